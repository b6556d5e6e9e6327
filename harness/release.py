"""A release of the chart on a cluster: installing it into a fresh Pod-Security-restricted namespace, waiting
for every rollout, finding the app's URLs (NodePort, else a port-forward); upgrade, `helm test`, status and
uninstall. Every helm call goes through harness.helm.Helm.
"""

from __future__ import annotations

import contextlib
import functools
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyhelm3.errors
from kubernetes.client.exceptions import ApiException

from harness import components, http_client
from harness.clusters.base import ClusterInfo
from harness.helm import Helm, SetValues, values_tree
from harness.k8s import POD_SECURITY_RESTRICTED, K8s
from harness.log import get_logger
from harness.timeouts import DEFAULT_TIMEOUTS, Timeouts
from harness.values import ImageLike, free_node_ports, install_values, merge, secret_strings
from harness.waits import StopWaiting, wait_until

log = get_logger("deploy")


@dataclass
class AppUrls:
    frontend: str
    backend: str
    via: str  # "nodeport" or "port-forward"


@dataclass
class HelmTestResult:
    name: str
    phase: str  # Succeeded, Failed, …
    log: str

    @property
    def passed(self) -> bool:
        return self.phase == "Succeeded"


@dataclass
class Release:
    info: ClusterInfo
    k8s: K8s
    name: str
    namespace: str
    created_namespace: bool = False
    waits: list[tuple[str, float]] = field(default_factory=list)  # what was waited for, seconds
    secret_values: set[str] = field(default_factory=set, repr=False)
    # component -> why it did not get its usual NodePort ("30080 is held by ns/svc; using 30100")
    moved_node_ports: dict[str, str] = field(default_factory=dict)
    timeouts: Timeouts = DEFAULT_TIMEOUTS
    _urls: AppUrls | None = field(default=None, repr=False)
    _forwards: contextlib.ExitStack = field(default_factory=contextlib.ExitStack, repr=False)

    @property
    def selector(self) -> str:
        return f"app.kubernetes.io/instance={self.name}"

    def component_selector(self, component: str) -> str:
        return f"{self.selector},app.kubernetes.io/component={component}"

    def helm(self) -> Helm:
        return Helm(self.info.kubeconfig, self.info.context)

    def helm_argv(self, *args: str) -> list[str]:
        """A helm command line against this release's cluster and namespace."""
        return self.helm().argv(*args, namespace=self.namespace)

    # --- workloads ----------------------------------------------------------------------------------------
    def deployment_name(self, component: str) -> str:
        items = self.k8s.apps.list_namespaced_deployment(
            self.namespace, label_selector=self.component_selector(component)
        ).items
        if not items:
            raise LookupError(f"release {self.name} has no Deployment for {component} in {self.namespace}")
        return str(items[0].metadata.name)

    def wait_ready(self, timeout: float | None = None) -> list[tuple[str, float]]:
        """Wait for every Deployment/StatefulSet of the release; records and returns what was waited for."""
        waited = self.k8s.wait_all_rollouts(self.namespace, self.selector, timeout or self.timeouts.install)
        self.waits.extend(waited)
        return waited

    def scale(self, component: str, replicas: int, timeout: float | None = None) -> float:
        """Scale a component's Deployment and wait for the rollout; returns seconds until all were Ready."""
        name = self.deployment_name(component)
        started = time.monotonic()
        self.k8s.scale(self.namespace, name, replicas)
        self.k8s.wait_for_rollout("Deployment", name, self.namespace, timeout or self.timeouts.rollout)
        took = time.monotonic() - started
        self.waits.append((f"deployment/{name} scaled to {replicas}", took))
        return took

    # --- helm ---------------------------------------------------------------------------------------------
    def upgrade(self, set_values: SetValues, timeout: float | None = None) -> int:
        """`helm upgrade --reuse-values` with these values, wait for the rollouts; returns the revision."""
        timeout = timeout or self.timeouts.install
        values = values_tree(set_values)
        revision = self.helm().install_or_upgrade(
            self.name, self.namespace, values, reuse_values=True, timeout=timeout
        )
        log.info("upgraded release %s to revision %s with %s", self.name, revision, sorted(values))
        self.wait_ready(timeout)
        return revision

    def test(self, timeout: float | None = None) -> list[HelmTestResult]:
        """`helm test`: one result per check, i.e. per container of each test pod (the chart's one test pod
        has one per service), with its outcome and log; a failed check is a result."""
        helm = self.helm()
        result = helm.run_tests(self.name, self.namespace, timeout or self.timeouts.helm_test)
        results = []
        for hook in helm.test_hooks(self.name, self.namespace):
            try:
                pod = self.k8s.core.read_namespaced_pod(hook.name, self.namespace)
            except ApiException as exc:
                phase = str(getattr(hook.phase, "value", hook.phase))
                results.append(HelmTestResult(hook.name, phase, f"(no pod: {exc.reason})"))
                continue
            results += self._check_results(pod, set())
        if not results:
            results.append(
                HelmTestResult(
                    "helm test", "Failed" if result.returncode else "Succeeded", result.stdout + result.stderr
                )
            )
        log.info("helm test: %s", ", ".join(f"{r.name} {r.phase}" for r in results))
        return results

    def test_checks(
        self, components: Iterable[str], timeout: float | None = None
    ) -> tuple[list[HelmTestResult], threading.Thread]:
        """`helm test`, read as soon as the checks of `components` have ended: the test pod's other checks may
        still be retrying refused connections (up to 20 s) when these have long failed. Returns their results
        and the thread that runs `helm test` to its end: join it before the release changes again."""
        helm = self.helm()
        timeout = timeout or self.timeouts.helm_test
        only = set(components)
        hooks = [hook.name for hook in helm.test_hooks(self.name, self.namespace)]
        before = {name: self._pod_uid(name) for name in hooks}  # the last run's pods, replaced by this one
        finished: list[Any] = []  # helm test's CompletedProcess, once it has returned
        run = threading.Thread(
            target=lambda: finished.append(helm.run_tests(self.name, self.namespace, timeout)),
            name="helm-test",
            daemon=True,
        )
        run.start()

        def ended() -> tuple[bool, Any]:
            done, seen = _ended()
            if not done and finished:  # helm test has returned, and these checks never ended: they never ran
                output = finished[0].stdout + finished[0].stderr
                raise StopWaiting(f"helm test ended ({seen})", output[-2000:])
            return done, seen

        def _ended() -> tuple[bool, Any]:
            results: list[HelmTestResult] = []
            for name in hooks:
                try:
                    pod = self.k8s.core.read_namespaced_pod(name, self.namespace)
                except ApiException as exc:
                    if exc.status == 404:
                        return False, f"test pod {name} not created yet"
                    raise
                if pod.metadata.uid == before[name]:
                    return False, f"test pod {name} is the last run's"
                results += self._check_results(pod, only)
            running = [r.name for r in results if r.phase == "Running"]
            done = bool(results) and not running and {r.name.rsplit("/", 1)[-1] for r in results} >= only
            return (
                done,
                results if done else f"checks still running or not started: {running or sorted(only)}",
            )

        results = wait_until(
            f"the helm test checks of {sorted(only)} to end", ended, timeout=timeout, interval=0.5
        )
        log.info("helm test (read early): %s", ", ".join(f"{r.name} {r.phase}" for r in results))
        return results, run

    def _pod_uid(self, name: str) -> str | None:
        try:
            return str(self.k8s.core.read_namespaced_pod(name, self.namespace).metadata.uid)
        except ApiException as exc:
            if exc.status == 404:
                return None
            raise

    def _check_results(self, pod: Any, only: set[str]) -> list[HelmTestResult]:
        """One result per container of a test pod (a check), with its log; only `only`'s if given."""
        results = []
        for status in pod.status.container_statuses or []:
            if only and status.name not in only:
                continue
            ended = status.state.terminated if status.state else None
            phase = "Running" if ended is None else "Succeeded" if ended.exit_code == 0 else "Failed"
            try:
                text = self.k8s.logs(self.namespace, pod.metadata.name, status.name) if ended else ""
            except ApiException as exc:
                text = f"(no log: {exc.reason})"
            results.append(HelmTestResult(f"{pod.metadata.name}/{status.name}", phase, text))
        return results

    def images(self) -> dict[str, Any]:
        """name -> ImageRef of the images the release runs (from its values), sized from the local Docker
        engine when it holds them: what `tcb verify` checks, instead of whatever the tree would build now."""
        from harness.images import ImageRef

        tree = self.helm().revision_values(self.name, self.namespace, computed=True)
        refs: dict[str, Any] = {}
        for name, key in components.image_value_keys().items():
            section = tree.get(key) or {}
            image = section.get("image") or {}
            if not image.get("tag") or section.get("enabled") is False:
                continue
            refs[name] = ImageRef(image["repository"], str(image["tag"]), _local_image_size(image))
        return refs

    def status(self) -> dict[str, Any]:
        revision = self.helm().current_revision(self.name, self.namespace)
        return {
            "release": self.name,
            "namespace": self.namespace,
            "revision": revision.revision,
            "status": str(getattr(revision.status, "value", revision.status)),
            "updated": revision.updated.isoformat(),
            "description": revision.description,
        }

    def notes(self) -> str:
        """`helm get notes`: the NOTES.txt the release printed."""
        return self.helm().notes(self.name, self.namespace)

    def revision(self) -> int:
        """The number of the release's current revision."""
        return int(self.helm().current_revision(self.name, self.namespace).revision)

    def rollback(self, revision: int, timeout: float | None = None, *, wait: bool = True) -> None:
        """`helm rollback` to an earlier revision (its values and manifests), then wait for the rollouts
        (wait=False: return once the objects are changed; the caller waits, `K8s.wait_all_rollouts`)."""
        timeout = timeout or self.timeouts.install
        self.helm().rollback(self.name, self.namespace, revision, timeout=timeout, wait=wait)
        log.info("rolled release %s back to revision %d", self.name, revision)
        if wait:
            self.k8s.wait_all_rollouts(self.namespace, self.selector, timeout)

    def uninstall(
        self, *, delete_namespace: bool = True, timeout: float | None = None, wait: bool = True
    ) -> None:
        """`helm uninstall`, then delete the namespace. wait=False: return once both are asked for (the
        caller waits for the namespace to be gone, e.g. for several at once: K8s.wait_namespaces_gone)."""
        self.close()
        timeout = timeout or self.timeouts.uninstall
        self.helm().uninstall(self.name, self.namespace, timeout=timeout, wait=wait)
        log.info("uninstalled release %s from %s", self.name, self.namespace)
        if delete_namespace:
            self.k8s.delete_namespace(self.namespace, timeout=timeout, wait=wait)

    # --- URLs ---------------------------------------------------------------------------------------------
    def node_port(self, component: str) -> int:
        services = self.k8s.services(self.namespace, self.component_selector(component))
        for svc in services:
            for port in svc.spec.ports or []:
                if port.node_port:
                    return int(port.node_port)
        raise LookupError(f"release {self.name} has no NodePort Service for {component}")

    def urls(self, probe_timeout: float | None = None) -> AppUrls:
        """NodePort URLs at the node address if /api/health answers there, else loopback port-forwards."""
        if self._urls is not None:
            return self._urls
        host = self.info.node_address
        try:
            frontend = f"http://{host}:{self.node_port('frontend')}"
            backend = f"http://{host}:{self.node_port('backend')}"
            for url in (frontend, backend):
                wait_until(
                    f"{url}/api/health to answer through the NodePort",
                    functools.partial(_health, url),
                    timeout=probe_timeout or self.timeouts.nodeport_probe,
                    interval=1.0,
                )
            self._urls = AppUrls(frontend, backend, "nodeport")
        except Exception as exc:  # an unreachable NodePort is the reason for the fallback
            log.info("NodePorts not usable from here (%s); using port-forwards", exc)
            front, back = (
                self._forwards.enter_context(
                    self.k8s.port_forward(
                        self.namespace, self.service_name(name), components.container_port(name)
                    )
                )
                for name in ("frontend", "backend")
            )
            self._urls = AppUrls(f"http://127.0.0.1:{front}", f"http://127.0.0.1:{back}", "port-forward")
        log.info(
            "app URLs (%s): frontend %s, backend %s", self._urls.via, self._urls.frontend, self._urls.backend
        )
        return self._urls

    def service_name(self, component: str) -> str:
        services = self.k8s.services(self.namespace, self.component_selector(component))
        if not services:
            raise LookupError(f"release {self.name} has no Service for {component}")
        return str(services[0].metadata.name)

    def close(self) -> None:
        """Stop port-forwards (the release keeps running)."""
        self._forwards.close()
        self._urls = None


SETTLED_AT_ONCE_S = 0.5  # a rollout wait this short found it complete: the Deployments say when it did


class ReleaseRestorer:
    """Undo for disruptive steps: remembers how the release was before the first change of each kind (a
    workload's replicas, the helm revision) and puts it back when the scenario ends, passed or failed, so a
    failing scenario never leaves the release changed for the next (the e2e framework's DeferCleanup)."""

    def __init__(self, release: Release, scenario: str = "") -> None:
        self.release = release
        self.scenario = scenario  # whose changes these are (a node id), for the run's timing
        self._replicas: dict[tuple[str, str], int] = {}  # (kind, name) -> replicas before the first change
        self._revision: int | None = None
        self._order: list[tuple[str, str]] = []  # what was remembered, oldest first
        self.unsettled: list[str] = []  # restored, its rollouts not waited for yet
        self.restore_seconds: float | None = None  # from the restore's start until its rollouts completed
        self._restore_started = 0.0
        self._restore_started_at = datetime.now(UTC)

    def settle(self) -> None:
        """Wait for the rollouts of what `restore` put back; raises RuntimeError naming it if they fail."""
        if not self.unsettled:
            return
        restored, self.unsettled = self.unsettled, []
        rel = self.release
        whose = f" after {self.scenario}" if self.scenario else ""
        try:
            waited = rel.k8s.wait_all_rollouts(rel.namespace, rel.selector, rel.timeouts.rollout)
        except Exception as exc:
            raise RuntimeError(
                f"release {rel.name} did not come back from the restore{whose} ({'; '.join(restored)}): {exc}"
            ) from exc
        if any(seconds >= SETTLED_AT_ONCE_S for _, seconds in waited or []):
            # the rollouts were still going when asked: their time is the restore's
            self.restore_seconds = time.monotonic() - self._restore_started
            return
        # found complete: when they completed, as the Deployments recorded it
        done = rel.k8s.rollouts_completed_at(rel.namespace, rel.selector)
        if done is not None and done >= self._restore_started_at:
            self.restore_seconds = (done - self._restore_started_at).total_seconds()

    def remember_replicas(self, kind: str, name: str) -> None:
        """Call before changing a workload's replicas."""
        if (kind, name) not in self._replicas:
            self._replicas[(kind, name)] = self.release.k8s.replicas(kind, self.release.namespace, name)
            self._order.append((kind, name))

    def remember_revision(self) -> None:
        """Call before a helm upgrade."""
        if self._revision is None:
            self._revision = self.release.revision()
            self._order.append(("revision", ""))

    def restore(self, *, wait: bool = True) -> list[str]:
        """Put back everything remembered, the latest first, and wait for the release's rollouts (wait=False:
        leave that to `settle`); returns what was restored. Tries everything, then raises RuntimeError naming
        what could not be restored."""
        rel, restored, errors = self.release, [], []
        self._restore_started = time.monotonic()
        self._restore_started_at = datetime.now(UTC).replace(microsecond=0)  # the API's resolution
        for kind, name in reversed(self._order):
            try:
                if kind == "revision":
                    assert self._revision is not None
                    if rel.revision() != self._revision:
                        rel.rollback(self._revision, wait=False)  # one wait for everything, below
                        restored.append(f"release {rel.name} rolled back to revision {self._revision}")
                elif rel.k8s.replicas(kind, rel.namespace, name) != self._replicas[(kind, name)]:
                    rel.k8s.set_replicas(kind, rel.namespace, name, self._replicas[(kind, name)])
                    restored.append(f"{kind.lower()}/{name} back to {self._replicas[(kind, name)]} replicas")
            except Exception as exc:  # restore the rest, then say what failed
                errors.append(f"{kind} {name}: {type(exc).__name__}: {exc}")
        self._order.clear()
        self._replicas.clear()
        self._revision = None
        if restored:
            log.info("restored after a disruptive scenario: %s", "; ".join(restored))
            self.unsettled = restored
            if wait:
                self.settle()
        if errors:
            raise RuntimeError(
                f"could not restore release {rel.name} in {rel.namespace}: " + "; ".join(errors)
            )
        return restored


def _local_image_size(image: Mapping[str, Any]) -> int:
    from harness.docker_engine import docker_client

    try:
        client = docker_client(timeout=10)  # one API call's bound, not a wait
        return int(client.images.get(f"{image['repository']}:{image['tag']}").attrs["Size"])
    except Exception:  # no engine, or an image pulled by the nodes only: size unknown
        return 0


def _health(url: str) -> tuple[bool, str]:
    response = http_client.get(f"{url}/api/health", timeout=3)  # one probe of the NodePort wait, not a wait
    return response.status_code == 200, f"{response.status_code} {response.text[:120]}"


# --- install / attach ---------------------------------------------------------------------------------------
def install_release(
    info: ClusterInfo,
    images: Mapping[str, ImageLike],
    *,
    namespace: str,
    release: str = "tcb",
    values_files: Iterable[Path] = (),
    set_values: SetValues = (),
    timeouts: Timeouts = DEFAULT_TIMEOUTS,
    k8s: K8s | None = None,
    chart: Path = components.CHART,
    after_apply: Callable[[], None] | None = None,
) -> Release:
    """Install (or upgrade) the chart into `namespace` (created restricted), then wait for every rollout.
    `chart`: this tree's chart/ unless another checkout's is measured (benchmarks/install_bench.py).
    `after_apply` runs once helm has created the objects (the release's NodePorts are taken), before the wait.

    Not atomic on purpose: a failed install stays in place so the diagnostics bundle can show why; the caller
    uninstalls. Raises RuntimeError with helm's message, or WaitTimeout saying which rollout did not finish.
    """
    k8s = k8s or K8s(info.kubeconfig, info.context)
    started = time.monotonic()
    created = k8s.ensure_namespace(namespace, POD_SECURITY_RESTRICTED)
    rel = Release(info, k8s, release, namespace, created_namespace=created, timeouts=timeouts)
    timeout = timeouts.install
    previous = _previous_values(rel)
    values = install_values(info, images, values_files, set_values, previous_secrets=previous.get("secrets"))
    moved: dict[str, str] = {}
    values = merge(values, free_node_ports(k8s, namespace, values, moved))
    rel.moved_node_ports = moved
    rel.secret_values = secret_strings(values)
    log.info(
        "installing release %s into namespace %s (images %s)",
        release,
        namespace,
        ", ".join(f"{v.repository}:{v.tag}" for v in images.values()),
    )
    revision = rel.helm().install_or_upgrade(release, namespace, values, timeout=timeout, chart=chart)
    log.info(
        "helm applied release %s revision %s (%.1fs); waiting for rollouts",
        release,
        revision,
        time.monotonic() - started,
    )
    if after_apply is not None:
        after_apply()
    rel.wait_ready(max(30.0, timeout - (time.monotonic() - started)))
    log.info(
        "release %s ready in %.1fs: %s",
        release,
        time.monotonic() - started,
        ", ".join(f"{what} {secs:.1f}s" for what, secs in rel.waits),
    )
    return rel


def _previous_values(rel: Release) -> dict[str, Any]:
    """The values of the release's current revision ({} if none). A first install that failed is removed,
    since helm cannot upgrade a release that was never deployed."""
    helm = rel.helm()
    try:
        revision = helm.current_revision(rel.name, rel.namespace)
    except pyhelm3.errors.ReleaseNotFoundError:
        return {}
    status, number = str(getattr(revision.status, "value", revision.status)), int(revision.revision)
    if number == 1 and status in ("failed", "pending-install"):
        log.info("release %s: its first install is %s; removing it before installing again", rel.name, status)
        helm.uninstall(rel.name, rel.namespace)
        # helm leaves StatefulSet volumes behind: a database set up with that install's password would refuse
        # the new one
        rel.k8s.core.delete_collection_namespaced_persistent_volume_claim(
            rel.namespace, label_selector=rel.selector
        )
        return {}
    log.info(
        "release %s exists (revision %d, %s): upgrading it, keeping its secrets", rel.name, number, status
    )
    return helm.revision_values(rel.name, rel.namespace)


def attach_release(info: ClusterInfo, release: str, namespace: str, k8s: K8s | None = None) -> Release:
    """A Release object for an already installed release (e.g. for `tcb verify`); checks that it exists."""
    rel = Release(info, k8s or K8s(info.kubeconfig, info.context), release, namespace)
    status = rel.status()
    if status["status"] != "deployed":
        raise RuntimeError(f"release {release} in {namespace} is {status['status']}, not deployed")
    return rel
