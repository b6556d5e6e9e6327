"""A small wrapper over the `kubernetes` client bound to one kubeconfig/context: rollouts, pods, scaling,
endpoints, logs, events, a port-forward and `python3 -c` in a container (the app's images have no shell)."""

from __future__ import annotations

import contextlib
import select
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import kubernetes
import kubernetes.client.api_client
from dateutil.parser import parse as _dateutil_parse
from kubernetes import client, watch
from kubernetes.client.exceptions import ApiException
from kubernetes.stream import portforward

from harness.log import get_logger
from harness.timeouts import DEFAULT_TIMEOUTS
from harness.waits import RolloutCannotSucceed, WaitTimeout, wait_until

log = get_logger("k8s")


def _api_timestamp(text: str) -> datetime:
    """A timestamp of the API (RFC 3339: `2026-11-30T20:43:38Z`, `.123456Z` for MicroTime) read by
    `datetime.fromisoformat`, with dateutil's general parser for anything else. The client reads every
    timestamp of every object it deserialises with dateutil (a pod has a dozen: conditions, managedFields,
    container states): 1.8 ms of CPU per pod, 0.5 ms this way, and the harness deserialises thousands of
    pods a run (its pod watch, rollout waits, endpoint polls) on the cores the app needs."""
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return _dateutil_parse(text)


# the module's own name for the parser it reads dates and date-times with (ApiClient.__deserialize_datetime)
kubernetes.client.api_client.parse = _api_timestamp  # type: ignore[attr-defined]

POD_SECURITY_RESTRICTED = {
    "pod-security.kubernetes.io/enforce": "restricted",
    "pod-security.kubernetes.io/enforce-version": "latest",
    "pod-security.kubernetes.io/warn": "restricted",
}


class K8s:
    """Core/apps/discovery APIs for one cluster, plus the waits the harness needs."""

    def __init__(self, kubeconfig: Path, context: str | None = None) -> None:
        self.kubeconfig = Path(kubeconfig)
        self.context = context
        self.api_client = kubernetes.config.new_client_from_config(
            config_file=str(kubeconfig), context=context
        )
        # Any: the client's all-Optional models would need a None check on fields the API always sets
        self.core: Any = client.CoreV1Api(self.api_client)
        self.apps: Any = client.AppsV1Api(self.api_client)
        self.discovery: Any = client.DiscoveryV1Api(self.api_client)

    # --- cluster ------------------------------------------------------------------------------------------
    def server_version(self, timeout: float = 5.0) -> str:  # a probe's bound, not a wait
        info = client.VersionApi(self.api_client).get_code(_request_timeout=timeout)
        return str(info.git_version)

    def node_address(self) -> str:
        """The first node's InternalIP (where NodePorts answer), or its ExternalIP/hostname."""
        nodes = self.core.list_node().items
        if not nodes:
            raise RuntimeError("the cluster has no nodes")
        addresses = {a.type: a.address for a in nodes[0].status.addresses or []}
        for kind in ("InternalIP", "ExternalIP", "Hostname"):
            if kind in addresses:
                return str(addresses[kind])
        raise RuntimeError(f"node {nodes[0].metadata.name} reports no address")

    def node_images(self) -> set[str]:
        """Every image name the nodes report as present (so a missing image is named before pods fail)."""
        names: set[str] = set()
        for node in self.core.list_node().items:
            for image in node.status.images or []:
                names.update(image.names or [])
        return names

    # --- namespaces ---------------------------------------------------------------------------------------
    def ensure_namespace(self, name: str, labels: dict[str, str] | None = None) -> bool:
        """Create the namespace (or add the labels to an existing one); True if it was created."""
        body = client.V1Namespace(metadata=client.V1ObjectMeta(name=name, labels=labels or {}))
        try:
            self.core.create_namespace(body)
            log.info("created namespace %s %s", name, labels or "")
            return True
        except ApiException as exc:
            if exc.status != 409:
                raise
        if labels:
            self.core.patch_namespace(name, {"metadata": {"labels": labels}})
        return False

    def namespace_exists(self, name: str) -> bool:
        try:
            self.core.read_namespace(name)
            return True
        except ApiException as exc:
            if exc.status == 404:
                return False
            raise

    def delete_namespace(
        self, name: str, *, wait: bool = True, timeout: float = DEFAULT_TIMEOUTS.namespace_gone
    ) -> None:
        try:
            self.core.delete_namespace(name)
        except ApiException as exc:
            if exc.status == 404:
                return
            raise
        if wait:
            wait_until(
                f"namespace {name} to be deleted",
                lambda: (not self.namespace_exists(name), "still terminating"),
                timeout=timeout,
                interval=1.0,
            )
        log.info("deleted namespace %s%s", name, "" if wait else " (terminating in the background)")

    def wait_namespaces_gone(
        self, names: list[str], timeout: float = DEFAULT_TIMEOUTS.namespace_gone
    ) -> None:
        """Wait until every one of these namespaces (deleted with wait=False) is gone: one wait for all, so
        their pods drain and their volumes are released side by side."""
        if not names:
            return

        def probe() -> tuple[bool, list[str]]:
            left = [name for name in names if self.namespace_exists(name)]
            return not left, left

        wait_until(f"namespaces {', '.join(names)} to be deleted", probe, timeout=timeout, interval=1.0)
        log.info("deleted namespaces %s", ", ".join(names))

    # --- workloads ----------------------------------------------------------------------------------------
    def workloads(self, namespace: str, selector: str | None = None) -> list[tuple[str, str]]:
        """(kind, name) of every Deployment and StatefulSet in the namespace."""
        found = [
            ("Deployment", d.metadata.name)
            for d in self.apps.list_namespaced_deployment(namespace, label_selector=selector).items
        ]
        found += [
            ("StatefulSet", s.metadata.name)
            for s in self.apps.list_namespaced_stateful_set(namespace, label_selector=selector).items
        ]
        return found

    def deployment(self, namespace: str, name: str) -> Any:
        return self.apps.read_namespaced_deployment(name, namespace)

    def rollouts_completed_at(self, namespace: str, selector: str | None = None) -> datetime | None:
        """When the last of the namespace's Deployments finished its latest rollout (its Progressing
        condition's NewReplicaSetAvailable, to the second); None if one has not, or has no such condition."""
        latest = None
        for deployment in self.apps.list_namespaced_deployment(namespace, label_selector=selector).items:
            progressing = next(
                (c for c in deployment.status.conditions or [] if c.type == "Progressing"), None
            )
            if progressing is None or progressing.reason != "NewReplicaSetAvailable":
                return None
            at = progressing.last_update_time
            latest = at if latest is None or (at is not None and at > latest) else latest
        return latest

    def scale(self, namespace: str, deployment: str, replicas: int) -> None:
        self.apps.patch_namespaced_deployment_scale(deployment, namespace, {"spec": {"replicas": replicas}})
        log.info("scaled deployment/%s to %d replicas", deployment, replicas)

    def replicas(self, kind: str, namespace: str, name: str) -> int:
        """The replicas a Deployment or StatefulSet asks for (spec.replicas)."""
        read = (
            self.apps.read_namespaced_deployment
            if kind == "Deployment"
            else self.apps.read_namespaced_stateful_set
        )
        return int(read(name, namespace).spec.replicas or 0)

    def set_replicas(self, kind: str, namespace: str, name: str, replicas: int) -> None:
        if kind == "Deployment":
            self.scale(namespace, name, replicas)
        else:
            self.scale_statefulset(namespace, name, replicas)

    def statefulset_name(self, namespace: str, selector: str) -> str:
        items = self.apps.list_namespaced_stateful_set(namespace, label_selector=selector).items
        if not items:
            raise LookupError(f"no StatefulSet matches {selector} in {namespace}")
        return str(items[0].metadata.name)

    def scale_statefulset(self, namespace: str, name: str, replicas: int) -> None:
        self.apps.patch_namespaced_stateful_set_scale(name, namespace, {"spec": {"replicas": replicas}})
        log.info("scaled statefulset/%s to %d replicas", name, replicas)

    def restart_deployment(self, namespace: str, name: str) -> None:
        """What `kubectl rollout restart` does: a new pod-template annotation starts a rolling update."""
        stamp = datetime.now(UTC).isoformat()
        patch = {
            "spec": {"template": {"metadata": {"annotations": {"kubectl.kubernetes.io/restartedAt": stamp}}}}
        }
        self.apps.patch_namespaced_deployment(name, namespace, patch)
        log.info("restarted deployment/%s", name)

    def workload_status(self, namespace: str, selector: str) -> list[tuple[str, str, int, int]]:
        """(kind, name, ready replicas, wanted replicas) of every Deployment and StatefulSet."""
        rows = []
        for kind, name in self.workloads(namespace, selector):
            obj = (
                self.apps.read_namespaced_deployment(name, namespace)
                if kind == "Deployment"
                else self.apps.read_namespaced_stateful_set(name, namespace)
            )
            rows.append((kind, name, int(obj.status.ready_replicas or 0), int(obj.spec.replicas or 0)))
        return rows

    def wait_for_rollout(
        self,
        kind: str,
        name: str,
        namespace: str,
        timeout: float = DEFAULT_TIMEOUTS.rollout,
        *,
        watch_pods: str | None = None,
    ) -> float:
        """Watch a Deployment/StatefulSet until its rollout is complete (as `kubectl rollout status` judges).

        Returns the seconds it took. On timeout raises WaitTimeout naming the object, its replica counts and
        its pods' phases and waiting reasons. Ends early with RolloutCannotSucceed (the pod's events and last
        log lines attached) when a pod matching `watch_pods` (default: the workload's own pods) shows that the
        rollout cannot succeed: a frontend waiting on a crash-looping backend is as stuck as the backend.
        """
        if kind not in ("Deployment", "StatefulSet"):
            raise ValueError(f"cannot wait for a rollout of a {kind}")
        lister, reader = (
            (self.apps.list_namespaced_deployment, self.apps.read_namespaced_deployment)
            if kind == "Deployment"
            else (self.apps.list_namespaced_stateful_set, self.apps.read_namespaced_stateful_set)
        )
        what = f"{kind.lower()}/{name} in {namespace} to finish its rollout"
        started = time.monotonic()
        deadline = started + timeout
        last = "no object seen yet"
        obj = None
        blockers = BlockerTracker()
        log.info("waiting for %s (timeout %.0fs)", what, timeout)
        while time.monotonic() < deadline:
            # pods can fail while the workload's object stays unchanged: look at them between short watches
            if obj is not None:
                self._raise_if_blocked(what, watch_pods or _selector_of(obj), namespace, blockers, last)
            remaining = max(1, min(int(deadline - time.monotonic()), BLOCKER_CHECK_SECONDS))
            stream = watch.Watch()
            try:
                for event in stream.stream(
                    lister,
                    namespace,
                    field_selector=f"metadata.name={name}",
                    # "0" = start from the API server's watch cache: a list-then-watch from etcd's newest
                    # revision gets 504 "Too large resource version" while the cache lags (etcd 3.4 sends no
                    # progress notifications), and retrying the same request only repeats the error
                    resource_version="0",
                    timeout_seconds=remaining,
                    _request_timeout=remaining + 5,
                ):
                    obj = event["object"]
                    done, last = rollout_status(obj)
                    if done:
                        # the watch cache may trail etcd: confirm with a read that etcd serves
                        obj = reader(name, namespace)
                        done, last = rollout_status(obj)
                    if done:
                        stream.stop()
                        took = time.monotonic() - started
                        log.info("%s %s: %s (%.1fs)", kind.lower(), name, last, took)
                        return took
            except Exception as exc:
                # the watch cache can lag etcd ("Too large resource version"): note it once, watch again
                last = (
                    last.split(" (watch error")[0] + f" (watch error: {type(exc).__name__}: {str(exc)[:100]})"
                )
                time.sleep(1)
            finally:
                stream.stop()
        pods = self.describe_pods(namespace, _selector_of(obj)) if obj is not None else "no pods looked up"
        raise WaitTimeout(what, timeout, f"{last}; pods: {pods}")

    def wait_all_rollouts(
        self, namespace: str, selector: str | None = None, timeout: float = DEFAULT_TIMEOUTS.rollout
    ) -> list[tuple[str, float]]:
        """Wait for every Deployment/StatefulSet in the namespace; returns what was awaited and how long."""
        deadline = time.monotonic() + timeout
        results = []
        for kind, name in self.workloads(namespace, selector):
            took = self.wait_for_rollout(
                kind, name, namespace, max(1.0, deadline - time.monotonic()), watch_pods=selector
            )
            results.append((f"{kind.lower()}/{name}", took))
        return results

    def _raise_if_blocked(
        self, what: str, selector: str | None, namespace: str, blockers: BlockerTracker, last: str
    ) -> None:
        """End a rollout wait at once when a pod shows it cannot succeed (see rollout_blockers)."""
        pods = self.pods(namespace, selector) if selector else []
        found = blockers.update(pods, time.monotonic())
        if not found:
            return
        details = [f"{last}; pods: {'; '.join(pod_summary(p) for p in pods)}"]
        for pod_name in sorted({b.split(":", 1)[0] for b in found}):
            details.append(self.pod_story(namespace, pod_name))
        raise RolloutCannotSucceed(what, "; ".join(found), "\n".join(details))

    def pod_story(self, namespace: str, pod_name: str, tail_lines: int = 20) -> str:
        """A failing pod's events and each container's last log lines (previous run first), for a report."""
        lines = [f"--- pod {pod_name}: events"]
        try:
            events = self.core.list_namespaced_event(
                namespace, field_selector=f"involvedObject.name={pod_name}"
            ).items
            lines += [
                f"{event_time(e):%H:%M:%S} {e.type} {e.reason}: {e.message}"
                for e in sorted(events, key=event_time)
            ] or ["(none)"]
            pod = self.core.read_namespaced_pod(pod_name, namespace)
        except ApiException as exc:
            return "\n".join([*lines, f"(could not read: {exc.reason})"])
        for container in [*(pod.spec.init_containers or []), *pod.spec.containers]:
            for previous in (True, False):
                try:
                    text = self.logs(
                        namespace, pod_name, container.name, previous=previous, tail_lines=tail_lines
                    )
                except ApiException:
                    continue
                if text.strip():
                    label = "previous run" if previous else "current run"
                    lines += [
                        f"--- pod {pod_name} container {container.name}: last log lines ({label})",
                        text,
                    ]
        return "\n".join(lines)

    # --- pods ---------------------------------------------------------------------------------------------
    def pods(self, namespace: str, selector: str | None = None) -> list[Any]:
        return list(self.core.list_namespaced_pod(namespace, label_selector=selector).items)

    def describe_pods(self, namespace: str, selector: str | None = None) -> str:
        """One line per pod: name, phase, ready containers, restarts and why any container is not running."""
        lines = [pod_summary(p) for p in self.pods(namespace, selector)]
        return "; ".join(lines) if lines else "no pods"

    def wait_pods_ready(
        self,
        namespace: str,
        selector: str,
        count: int | None = None,
        timeout: float = DEFAULT_TIMEOUTS.pods_ready,
    ) -> list[Any]:
        """Wait until `count` (default: all, at least one) non-terminating pods match and are all Ready."""

        def probe() -> tuple[bool, Any]:
            pods = [p for p in self.pods(namespace, selector) if p.metadata.deletion_timestamp is None]
            ready = [p for p in pods if pod_ready(p)]
            want = count if count is not None else max(1, len(pods))
            done = len(ready) >= want and (count is None or len(pods) == count)
            return done, (
                pods
                if done
                else f"{len(ready)}/{want} ready: " + ("; ".join(pod_summary(p) for p in pods) or "no pods")
            )

        return list(wait_until(f"pods {selector} in {namespace} to be Ready", probe, timeout=timeout))

    def resolved_env(self, namespace: str, pod: Any) -> dict[str, dict[str, str]]:
        """Each container's non-secret environment as the kubelet gives it: literals, ConfigMap keys and whole
        ConfigMaps (envFrom). Read from the API because the images have no shell to ask the process."""
        configmaps: dict[str, dict[str, str]] = {}

        def configmap(name: str) -> dict[str, str]:
            if name not in configmaps:
                configmaps[name] = dict(self.core.read_namespaced_config_map(name, namespace).data or {})
            return configmaps[name]

        result = {}
        for container in pod.spec.containers:
            env: dict[str, str] = {}
            for source in container.env_from or []:  # envFrom first: explicit env entries override it
                if source.config_map_ref is not None:
                    prefix = source.prefix or ""
                    env.update({prefix + k: v for k, v in configmap(source.config_map_ref.name).items()})
            for item in container.env or []:
                if item.value is not None:
                    env[item.name] = item.value
                elif item.value_from is not None and item.value_from.config_map_key_ref is not None:
                    ref = item.value_from.config_map_key_ref
                    env[item.name] = configmap(ref.name).get(ref.key, "")
            result[container.name] = env
        return result

    def evict(self, namespace: str, name: str) -> int:
        """Ask the Eviction API (what `kubectl drain` calls) to evict a pod: 201 when it was evicted, 429 when
        a PodDisruptionBudget refused it, else the API's status."""
        from kubernetes.client.rest import ApiException

        body = client.V1Eviction(metadata=client.V1ObjectMeta(name=name, namespace=namespace))
        try:
            self.core.create_namespaced_pod_eviction(name, namespace, body)
        except ApiException as error:
            log.info("eviction of pod %s refused: %s", name, error.status)
            return int(error.status)
        log.info("evicted pod %s", name)
        return 201

    def disruption_budgets(self, namespace: str, selector: str | None = None) -> list[Any]:
        api = client.PolicyV1Api(self.api_client)
        return list(api.list_namespaced_pod_disruption_budget(namespace, label_selector=selector).items)

    def delete_pod(self, namespace: str, name: str, grace_period_seconds: int | None = None) -> None:
        self.core.delete_namespaced_pod(name, namespace, grace_period_seconds=grace_period_seconds)
        log.info("deleted pod %s", name)

    def logs(
        self,
        namespace: str,
        pod: str,
        container: str | None = None,
        *,
        previous: bool = False,
        tail_lines: int | None = None,
        since_seconds: int | None = None,
    ) -> str:
        """A container's log as text. Read raw and decoded here: the client's own reading of this `str`
        endpoint gives `str(bytes)` in some versions ("b'line one\\nline two'"), which would make every log
        one line with its newlines, quotes and non-ASCII characters escaped."""
        optional = {"tail_lines": tail_lines, "since_seconds": since_seconds}
        response = self.core.read_namespaced_pod_log(
            pod,
            namespace,
            container=container,
            previous=previous,
            _preload_content=False,
            **{k: v for k, v in optional.items() if v is not None},
        )
        return bytes(response.data).decode("utf-8", errors="replace")

    def pod_get(
        self, namespace: str, pod: str, port: int, path: str, timeout: float = DEFAULT_TIMEOUTS.request
    ) -> str:
        """GET http://<pod>:<port>/<path> through the API server's pod proxy: the pod itself answers."""
        response = self.core.connect_get_namespaced_pod_proxy_with_path(
            f"{pod}:{port}", namespace, path.lstrip("/"), _request_timeout=timeout, _preload_content=False
        )
        return str(response.data.decode())  # raw: the client would turn a JSON body into a Python repr

    def exec_python(
        self,
        namespace: str,
        pod: str,
        code: str,
        container: str | None = None,
        timeout: float = DEFAULT_TIMEOUTS.command,
    ) -> tuple[int | None, str]:
        """Run `python3 -c code` in a container (the images have python, no shell); (exit status, output)."""
        from kubernetes.stream import stream

        response = stream(
            self.core.connect_get_namespaced_pod_exec,
            pod,
            namespace,
            container=container,
            command=["python3", "-c", code],
            stderr=True,
            stdin=False,
            stdout=True,
            tty=False,
            _preload_content=False,
        )
        try:
            response.run_forever(timeout=timeout)
            output = response.read_stdout() + response.read_stderr()
            return response.returncode, output
        finally:
            response.close()

    def events(self, namespace: str) -> list[Any]:
        """Events of the namespace, oldest first."""
        items = self.core.list_namespaced_event(namespace).items
        return sorted(items, key=event_time)

    # --- services -----------------------------------------------------------------------------------------
    def service(self, namespace: str, name: str) -> Any:
        return self.core.read_namespaced_service(name, namespace)

    def services(self, namespace: str, selector: str | None = None) -> list[Any]:
        return list(self.core.list_namespaced_service(namespace, label_selector=selector).items)

    def endpoints_ready_addresses(self, namespace: str, service: str) -> list[str]:
        """Addresses of the service's ready endpoints, from its EndpointSlices."""
        slices = self.discovery.list_namespaced_endpoint_slice(
            namespace, label_selector=f"kubernetes.io/service-name={service}"
        ).items
        addresses = []
        for eps in slices:
            for endpoint in eps.endpoints or []:
                if endpoint.conditions is None or endpoint.conditions.ready is not False:
                    addresses.extend(endpoint.addresses)
        return sorted(addresses)

    def ready_pod_for_service(self, namespace: str, service: str) -> str:
        slices = self.discovery.list_namespaced_endpoint_slice(
            namespace, label_selector=f"kubernetes.io/service-name={service}"
        ).items
        for eps in slices:
            for endpoint in eps.endpoints or []:
                ready = endpoint.conditions is None or endpoint.conditions.ready is not False
                if ready and endpoint.target_ref is not None and endpoint.target_ref.kind == "Pod":
                    return str(endpoint.target_ref.name)
        raise RuntimeError(f"service {service} in {namespace} has no ready pod to forward to")

    @contextlib.contextmanager
    def port_forward(self, namespace: str, service: str, port: int) -> Iterator[int]:
        """Forward a loopback port to a ready pod behind `service`'s `port` (kubernetes.stream portforward).

        Yields the local port. Each accepted connection opens its own stream to a currently ready pod, so a
        deleted pod only breaks the connections that were on it.
        """
        svc = self.service(namespace, service)
        target = next((p.target_port for p in svc.spec.ports if p.port == port), port)
        forwarder = _PortForwarder(self, namespace, service, target)
        try:
            yield forwarder.start()
        finally:
            forwarder.stop()


class _PortForwarder:
    def __init__(self, k8s: K8s, namespace: str, service: str, target_port: int | str) -> None:
        self.k8s, self.namespace, self.service, self.target_port = k8s, namespace, service, target_port
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.stopping = threading.Event()

    def start(self) -> int:
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.listener.settimeout(0.5)
        threading.Thread(target=self._accept, name=f"port-forward-{self.service}", daemon=True).start()
        local = int(self.listener.getsockname()[1])
        log.info("port-forward 127.0.0.1:%d -> service/%s:%s", local, self.service, self.target_port)
        return local

    def stop(self) -> None:
        self.stopping.set()
        self.listener.close()

    def _accept(self) -> None:
        while not self.stopping.is_set():
            try:
                conn, _ = self.listener.accept()
            except (TimeoutError, OSError):
                continue
            threading.Thread(target=self._bridge, args=(conn,), daemon=True).start()

    def _bridge(self, conn: socket.socket) -> None:
        try:
            pod = self.k8s.ready_pod_for_service(self.namespace, self.service)
            port = self._resolve_port(pod)
            stream = portforward(
                self.k8s.core.connect_get_namespaced_pod_portforward, pod, self.namespace, ports=str(port)
            )
            remote = stream.socket(port)
            remote.setblocking(True)
            sockets = [conn, remote]
            while not self.stopping.is_set():
                readable, _, _ = select.select(sockets, [], [], 0.5)
                for sock in readable:
                    data = sock.recv(65536)
                    if not data:
                        return
                    (remote if sock is conn else conn).sendall(data)
        except Exception as exc:
            log.info("port-forward connection to %s ended: %s", self.service, exc)
        finally:
            conn.close()

    def _resolve_port(self, pod_name: str) -> int:
        if isinstance(self.target_port, int) or str(self.target_port).isdigit():
            return int(self.target_port)
        pod = self.k8s.core.read_namespaced_pod(pod_name, self.namespace)
        for container in pod.spec.containers:
            for port in container.ports or []:
                if port.name == self.target_port:
                    return int(port.container_port)
        raise RuntimeError(f"pod {pod_name} has no port named {self.target_port}")


def rollout_status(obj: Any) -> tuple[bool, str]:
    """(done, description) for a Deployment or StatefulSet, using `kubectl rollout status`'s rules."""
    spec_replicas = obj.spec.replicas if obj.spec.replicas is not None else 1
    status = obj.status
    replicas = status.replicas or 0
    updated = status.updated_replicas or 0
    ready = status.ready_replicas or 0
    available = getattr(status, "available_replicas", None) or 0
    observed = (status.observed_generation or 0) >= (obj.metadata.generation or 0)
    text = f"{ready}/{spec_replicas} ready, {updated} updated, {replicas} total" + (
        "" if observed else ", new spec not yet observed"
    )
    if obj.kind == "StatefulSet" or hasattr(status, "current_revision"):
        revision_done = status.update_revision is None or status.current_revision == status.update_revision
        done = observed and ready >= spec_replicas and updated >= spec_replicas and revision_done
        return done, text
    conditions = {c.type: c for c in status.conditions or []}
    progressing = conditions.get("Progressing")
    if progressing is not None and progressing.reason == "ProgressDeadlineExceeded":
        text += f", progress deadline exceeded: {progressing.message}"
    done = (
        observed
        and updated >= spec_replicas
        and replicas == updated
        and available >= spec_replicas
        and ready >= spec_replicas
    )
    return done, text


# how often a rollout wait looks at its pods, and how long a pod may stay unschedulable before the wait ends
BLOCKER_CHECK_SECONDS = 3
UNSCHEDULABLE_GRACE_SECONDS = 30.0
MAX_RESTARTS_DURING_ROLLOUT = 2
# waiting reasons that a rollout never recovers from without a change to the release
FATAL_WAITING_REASONS = {
    "CrashLoopBackOff",
    "ImagePullBackOff",
    "ErrImagePull",
    "ErrImageNeverPull",
    "InvalidImageName",
    "CreateContainerConfigError",
    "CreateContainerError",
    "RunContainerError",
}


def rollout_blockers(pod: Any) -> list[str]:
    """Signs in one pod that its rollout cannot succeed: "pod: container reason" lines (empty: none).

    CrashLoopBackOff, an image the node cannot find, a config error, an OOM kill, a container (init
    containers included) that restarted MAX_RESTARTS_DURING_ROLLOUT times. Unschedulable pods are judged by
    BlockerTracker, which needs to know for how long.
    """
    if pod.metadata.deletion_timestamp is not None:
        return []
    name = pod.metadata.name
    found = []
    statuses = [*(pod.status.init_container_statuses or []), *(pod.status.container_statuses or [])]
    for status in statuses:
        waiting = status.state.waiting if status.state else None
        if waiting is not None and waiting.reason in FATAL_WAITING_REASONS:
            message = f" ({waiting.message[:200]})" if waiting.message else ""
            found.append(f"{name}: container {status.name} {waiting.reason}{message}")
            continue
        terminated = status.last_state.terminated if status.last_state else None
        current = status.state.terminated if status.state else None
        if any(t is not None and t.reason == "OOMKilled" for t in (terminated, current)):
            found.append(f"{name}: container {status.name} OOMKilled")
        elif (status.restart_count or 0) >= MAX_RESTARTS_DURING_ROLLOUT:
            found.append(f"{name}: container {status.name} restarted {status.restart_count} times")
    return found


def unschedulable_message(pod: Any) -> str | None:
    for condition in pod.status.conditions or []:
        if (
            condition.type == "PodScheduled"
            and condition.status == "False"
            and condition.reason == "Unschedulable"
        ):
            return str(condition.message or "unschedulable")
    return None


class BlockerTracker:
    """Remembers since when each pod has been unschedulable, so a transient state does not end a wait."""

    def __init__(self, grace: float = UNSCHEDULABLE_GRACE_SECONDS) -> None:
        self.grace = grace
        self.unschedulable_since: dict[str, float] = {}

    def update(self, pods: list[Any], now: float) -> list[str]:
        found: list[str] = []
        seen = set()
        for pod in pods:
            found += rollout_blockers(pod)
            message = unschedulable_message(pod) if pod.metadata.deletion_timestamp is None else None
            if message is None:
                continue
            name = pod.metadata.name
            seen.add(name)
            since = self.unschedulable_since.setdefault(name, now)
            if now - since >= self.grace:
                found.append(f"{name}: unschedulable for {now - since:.0f}s ({message[:200]})")
        self.unschedulable_since = {k: v for k, v in self.unschedulable_since.items() if k in seen}
        return found


def pod_ready(pod: Any) -> bool:
    return any(c.type == "Ready" and c.status == "True" for c in pod.status.conditions or [])


def pod_summary(pod: Any) -> str:
    statuses = pod.status.container_statuses or []
    ready = sum(1 for s in statuses if s.ready)
    restarts = sum(s.restart_count or 0 for s in statuses)
    reasons = []
    for s in [*(pod.status.init_container_statuses or []), *statuses]:
        if s.state and s.state.waiting:
            reasons.append(
                f"{s.name} waiting: {s.state.waiting.reason}"
                + (f" ({s.state.waiting.message[:160]})" if s.state.waiting.message else "")
            )
        elif s.state and s.state.terminated and not s.ready:
            reasons.append(
                f"{s.name} terminated: {s.state.terminated.reason} (exit {s.state.terminated.exit_code})"
            )
    terminating = " terminating" if pod.metadata.deletion_timestamp else ""
    text = (
        f"{pod.metadata.name} {pod.status.phase}{terminating} {ready}/{len(pod.spec.containers)} ready"
        f" restarts={restarts}"
    )
    unschedulable = [
        c.message
        for c in pod.status.conditions or []
        if c.type == "PodScheduled" and c.status == "False" and c.message
    ]
    return text + "".join(f" [{r}]" for r in reasons + unschedulable)


def event_time(event: Any) -> datetime:
    for value in (
        getattr(event, "last_timestamp", None),
        getattr(event, "event_time", None),
        getattr(event, "first_timestamp", None),
        event.metadata.creation_timestamp,
    ):
        if value is not None:
            return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.min.replace(tzinfo=UTC)


def _selector_of(obj: Any) -> str | None:
    labels = obj.spec.selector.match_labels if obj.spec and obj.spec.selector else None
    return ",".join(f"{k}={v}" for k, v in sorted(labels.items())) if labels else None
