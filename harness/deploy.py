"""Installing the chart with pyhelm3 into a fresh Pod-Security-restricted namespace, waiting for every
rollout, and finding the app's URLs (NodePort, else a port-forward); plus upgrade, `helm test`, status and
uninstall.

Secrets are generated per install (a 48-character JWT secret, a random Postgres password) and reach helm only
through pyhelm3's values on stdin: they are never written to a file, to git or to a command line.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import secrets
import time
from collections.abc import Coroutine, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar

import httpx
import yaml
from kubernetes import dynamic
from kubernetes.client.exceptions import ApiException

from harness import proc
from harness.clusters.base import ClusterInfo
from harness.k8s import POD_SECURITY_RESTRICTED, K8s
from harness.log import get_logger
from harness.paths import REPO
from harness.waits import wait_until

log = get_logger("deploy")
# pyhelm3 logs every failed helm call as a warning, even the expected "release: not found"; we raise with
# helm's message ourselves
logging.getLogger("pyhelm3").setLevel(logging.ERROR)
T = TypeVar("T")

CHART = REPO / "chart"
FRONTEND_PORT, BACKEND_PORT = 3000, 8000
# image name in build_images() -> top-level key of its values in the chart
IMAGE_VALUE_KEYS = {
    "backend": "backend",
    "chatbot": "chatbot",
    "frontend": "frontend",
    "postgres": "postgres",
    "llm-runtime": "llmRuntime",
}


class ImageLike(Protocol):
    repository: str
    tag: str


def _sync(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


# --- values -------------------------------------------------------------------------------------------------
def merge(*trees: Mapping[str, Any]) -> dict[str, Any]:
    """Deep-merge values trees, later ones winning (as helm merges -f files)."""
    merged: dict[str, Any] = {}
    for tree in trees:
        for key, value in tree.items():
            if isinstance(value, Mapping) and isinstance(merged.get(key), dict):
                merged[key] = merge(merged[key], value)
            else:
                merged[key] = dict(value) if isinstance(value, Mapping) else value
    return merged


def parse_set_values(pairs: Iterable[str] | Mapping[str, Any]) -> dict[str, Any]:
    """`a.b.c=v` pairs (or a {"a.b.c": v} mapping) as a nested tree. A string value is read as a YAML scalar
    (true, 3, null) unless its key ends in `tag` (image tags made of digits stay strings)."""
    items = pairs.items() if isinstance(pairs, Mapping) else (_split_pair(p) for p in pairs)
    tree: dict[str, Any] = {}
    for key, raw in items:
        value = raw
        if isinstance(raw, str) and not key.lower().endswith("tag"):
            value = yaml.safe_load(raw) if raw else ""
        node = tree
        *parents, leaf = key.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return tree


def _split_pair(pair: str) -> tuple[str, str]:
    key, sep, value = pair.partition("=")
    if not sep or not key:
        raise ValueError(f"--set expects key=value, got {pair!r}")
    return key.strip(), value


def generated_secrets() -> dict[str, Any]:
    """Fresh per-install secrets: never defaults, never stored."""
    return {
        "secrets": {
            "betterAuthSecret": secrets.token_urlsafe(36),
            "postgresPassword": secrets.token_urlsafe(24),
        }
    }


def image_values(images: Mapping[str, ImageLike], registry: str | None = None) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, image in images.items():
        key = IMAGE_VALUE_KEYS.get(name)
        if key is None:
            continue
        repository = f"{registry}/{image.repository}" if registry else image.repository
        values[key] = {"image": {"repository": repository, "tag": image.tag}}
    return values


def load_values_files(paths: Iterable[Path]) -> list[dict[str, Any]]:
    trees = []
    for path in paths:
        data = yaml.safe_load(Path(path).read_text()) or {}
        if not isinstance(data, dict):
            raise ValueError(f"values file {path} is not a mapping")
        trees.append(data)
    return trees


def secret_strings(values: Mapping[str, Any]) -> set[str]:
    """The secret values in a values tree (for scrubbing diagnostics)."""
    return {str(v) for v in (values.get("secrets") or {}).values() if v}


# --- the release --------------------------------------------------------------------------------------------
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
    _urls: AppUrls | None = field(default=None, repr=False)
    _forwards: contextlib.ExitStack = field(default_factory=contextlib.ExitStack, repr=False)

    @property
    def selector(self) -> str:
        return f"app.kubernetes.io/instance={self.name}"

    def component_selector(self, component: str) -> str:
        return f"{self.selector},app.kubernetes.io/component={component}"

    def helm(self) -> Any:
        from harness.helm import helm_client

        return helm_client(self.info.kubeconfig, self.info.context)

    def helm_argv(self, *args: str) -> list[str]:
        from harness.helm import ensure_helm

        argv = [
            str(ensure_helm()),
            *args,
            "--namespace",
            self.namespace,
            "--kubeconfig",
            str(self.info.kubeconfig),
        ]
        return argv + (["--kube-context", self.info.context] if self.info.context else [])

    # --- workloads ----------------------------------------------------------------------------------------
    def deployment_name(self, component: str) -> str:
        items = self.k8s.apps.list_namespaced_deployment(
            self.namespace, label_selector=self.component_selector(component)
        ).items
        if not items:
            raise LookupError(f"release {self.name} has no Deployment for {component} in {self.namespace}")
        return str(items[0].metadata.name)

    def wait_ready(self, timeout: float = 600) -> list[tuple[str, float]]:
        """Wait for every Deployment/StatefulSet of the release; records and returns what was waited for."""
        waited = self.k8s.wait_all_rollouts(self.namespace, self.selector, timeout)
        self.waits.extend(waited)
        return waited

    def scale(self, component: str, replicas: int, timeout: float = 300) -> float:
        """Scale a component's Deployment and wait for the rollout; returns seconds until all were Ready."""
        name = self.deployment_name(component)
        started = time.monotonic()
        self.k8s.scale(self.namespace, name, replicas)
        self.k8s.wait_for_rollout("Deployment", name, self.namespace, timeout)
        took = time.monotonic() - started
        self.waits.append((f"deployment/{name} scaled to {replicas}", took))
        return took

    # --- helm ---------------------------------------------------------------------------------------------
    def upgrade(self, set_values: Mapping[str, Any] | Iterable[str], timeout: float = 600) -> int:
        """`helm upgrade --reuse-values` with these values, wait for the rollouts; returns the revision."""
        client = self.helm()
        values = parse_set_values(set_values)

        async def go() -> Any:
            chart = await client.get_chart(CHART)
            return await client.install_or_upgrade_release(
                self.name,
                chart,
                values,
                namespace=self.namespace,
                create_namespace=False,
                reuse_values=True,
                timeout=f"{int(timeout)}s",
            )

        revision = _helm_call("helm upgrade", go)
        log.info("upgraded release %s to revision %s with %s", self.name, revision.revision, sorted(values))
        self.wait_ready(timeout)
        return int(revision.revision)

    def test(self, timeout: float = 300) -> list[HelmTestResult]:
        """`helm test`: one result per test pod, with its phase and log (a failed pod is a result)."""
        result = proc.run(self.helm_argv("test", self.name, "--timeout", f"{int(timeout)}s"), check=False)
        client = self.helm()

        async def hooks() -> list[Any]:
            revision = await client.get_current_revision(self.name, namespace=self.namespace)
            return [
                h for h in await revision.hooks() if "test" in [str(getattr(e, "value", e)) for e in h.events]
            ]

        results = []
        for hook in _sync(hooks()):
            phase = str(getattr(hook.phase, "value", hook.phase))
            try:
                text = self.k8s.logs(self.namespace, hook.name)
            except ApiException as exc:
                text = f"(no log: {exc.reason})"
            results.append(HelmTestResult(hook.name, phase, text))
        if not results:
            results.append(
                HelmTestResult(
                    "helm test", "Failed" if result.returncode else "Succeeded", result.stdout + result.stderr
                )
            )
        log.info("helm test: %s", ", ".join(f"{r.name} {r.phase}" for r in results))
        return results

    def images(self) -> dict[str, Any]:
        """name -> ImageRef of the images the release runs (from its values), sized from the local Docker
        engine when it holds them: what `tcb verify` checks, instead of whatever the tree would build now."""
        from harness.images import ImageRef

        client = self.helm()

        async def values() -> dict[str, Any]:
            revision = await client.get_current_revision(self.name, namespace=self.namespace)
            return dict(await revision.values(computed=True))

        tree = _sync(values())
        refs: dict[str, Any] = {}
        for name, key in IMAGE_VALUE_KEYS.items():
            section = tree.get(key) or {}
            image = section.get("image") or {}
            if not image.get("tag") or section.get("enabled") is False:
                continue
            refs[name] = ImageRef(image["repository"], str(image["tag"]), _local_image_size(image))
        return refs

    def status(self) -> dict[str, Any]:
        client = self.helm()
        revision = _sync(client.get_current_revision(self.name, namespace=self.namespace))
        return {
            "release": self.name,
            "namespace": self.namespace,
            "revision": revision.revision,
            "status": str(getattr(revision.status, "value", revision.status)),
            "updated": revision.updated.isoformat(),
            "description": revision.description,
        }

    def uninstall(self, *, delete_namespace: bool = True, timeout: float = 300) -> None:
        self.close()
        client = self.helm()
        _helm_call(
            "helm uninstall",
            lambda: client.uninstall_release(
                self.name, namespace=self.namespace, wait=True, timeout=f"{int(timeout)}s"
            ),
        )
        log.info("uninstalled release %s from %s", self.name, self.namespace)
        if delete_namespace:
            self.k8s.delete_namespace(self.namespace, timeout=timeout)

    # --- URLs ---------------------------------------------------------------------------------------------
    def node_port(self, component: str) -> int:
        services = self.k8s.services(self.namespace, self.component_selector(component))
        for svc in services:
            for port in svc.spec.ports or []:
                if port.node_port:
                    return int(port.node_port)
        raise LookupError(f"release {self.name} has no NodePort Service for {component}")

    def urls(self, probe_timeout: float = 20) -> AppUrls:
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
                    timeout=probe_timeout,
                    interval=1.0,
                )
            self._urls = AppUrls(frontend, backend, "nodeport")
        except Exception as exc:  # an unreachable NodePort is the reason for the fallback
            log.info("NodePorts not usable from here (%s); using port-forwards", exc)
            front_svc = self._service_name("frontend")
            back_svc = self._service_name("backend")
            front = self._forwards.enter_context(
                self.k8s.port_forward(self.namespace, front_svc, FRONTEND_PORT)
            )
            back = self._forwards.enter_context(self.k8s.port_forward(self.namespace, back_svc, BACKEND_PORT))
            self._urls = AppUrls(f"http://127.0.0.1:{front}", f"http://127.0.0.1:{back}", "port-forward")
        log.info(
            "app URLs (%s): frontend %s, backend %s", self._urls.via, self._urls.frontend, self._urls.backend
        )
        return self._urls

    def _service_name(self, component: str) -> str:
        services = self.k8s.services(self.namespace, self.component_selector(component))
        if not services:
            raise LookupError(f"release {self.name} has no Service for {component}")
        return str(services[0].metadata.name)

    def close(self) -> None:
        """Stop port-forwards (the release keeps running)."""
        self._forwards.close()
        self._urls = None


def _local_image_size(image: Mapping[str, Any]) -> int:
    from harness.docker_engine import docker_client

    try:
        return int(
            docker_client(timeout=10).images.get(f"{image['repository']}:{image['tag']}").attrs["Size"]
        )
    except Exception:  # no engine, or an image pulled by the nodes only: size unknown
        return 0


def _health(url: str) -> tuple[bool, str]:
    response = httpx.get(f"{url}/api/health", timeout=3)
    return response.status_code == 200, f"{response.status_code} {response.text[:120]}"


def _helm_call(what: str, factory: Any) -> Any:
    import pyhelm3.errors

    try:
        return _sync(factory())
    except pyhelm3.errors.Error as exc:
        raise RuntimeError(f"{what} failed: {exc.stderr.decode(errors='replace').strip()}") from exc


# --- install / attach ---------------------------------------------------------------------------------------
def install_values(
    info: ClusterInfo,
    images: Mapping[str, ImageLike],
    values_files: Iterable[Path] = (),
    set_values: Mapping[str, Any] | Iterable[str] = (),
    *,
    previous_secrets: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The values tree of an install: generated secrets (or, on an upgrade, the release's current ones, so
    the database password and the users' tokens stay valid) < values files < built images < --set values."""
    return merge(
        generated_secrets(),
        {"secrets": dict(previous_secrets)} if previous_secrets else {},
        *load_values_files(values_files),
        image_values(images, info.notes.get("image_registry")),
        parse_set_values(set_values),
    )


def install_release(
    info: ClusterInfo,
    images: Mapping[str, ImageLike],
    *,
    namespace: str,
    release: str = "tcb",
    values_files: Iterable[Path] = (),
    set_values: Mapping[str, Any] | Iterable[str] = (),
    timeout: float = 600,
    k8s: K8s | None = None,
) -> Release:
    """Install (or upgrade) the chart into `namespace` (created restricted), then wait for every rollout.

    Not atomic on purpose: a failed install stays in place so the diagnostics bundle can show why; the caller
    uninstalls. Raises RuntimeError with helm's message, or WaitTimeout saying which rollout did not finish.
    """
    k8s = k8s or K8s(info.kubeconfig, info.context)
    started = time.monotonic()
    created = k8s.ensure_namespace(namespace, POD_SECURITY_RESTRICTED)
    rel = Release(info, k8s, release, namespace, created_namespace=created)
    client = rel.helm()
    previous = _previous_values(rel, client)
    values = install_values(info, images, values_files, set_values, previous_secrets=previous.get("secrets"))
    moved: dict[str, str] = {}
    values = merge(values, free_node_ports(k8s, namespace, values, moved))
    rel.moved_node_ports = moved
    rel.secret_values = secret_strings(values)

    async def go() -> Any:
        chart = await client.get_chart(CHART)
        return await client.install_or_upgrade_release(
            release, chart, values, namespace=namespace, create_namespace=False, timeout=f"{int(timeout)}s"
        )

    log.info(
        "installing release %s into namespace %s (images %s)",
        release,
        namespace,
        ", ".join(f"{v.repository}:{v.tag}" for v in images.values()),
    )
    revision = _helm_call("helm upgrade --install", go)
    log.info(
        "helm applied release %s revision %s (%.1fs); waiting for rollouts",
        release,
        revision.revision,
        time.monotonic() - started,
    )
    rel.wait_ready(max(30.0, timeout - (time.monotonic() - started)))
    log.info(
        "release %s ready in %.1fs: %s",
        release,
        time.monotonic() - started,
        ", ".join(f"{what} {secs:.1f}s" for what, secs in rel.waits),
    )
    return rel


def _previous_values(rel: Release, client: Any) -> dict[str, Any]:
    """The values of the release's current revision ({} if none). A first install that failed is removed,
    since helm cannot upgrade a release that was never deployed."""
    import pyhelm3.errors

    async def current() -> tuple[str, int, dict[str, Any]]:
        revision = await client.get_current_revision(rel.name, namespace=rel.namespace)
        status = str(getattr(revision.status, "value", revision.status))
        return status, int(revision.revision), await revision.values()

    try:
        status, number, values = _sync(current())
    except pyhelm3.errors.ReleaseNotFoundError:
        return {}
    if number == 1 and status in ("failed", "pending-install"):
        log.info("release %s: its first install is %s; removing it before installing again", rel.name, status)
        _helm_call(
            "helm uninstall", lambda: client.uninstall_release(rel.name, namespace=rel.namespace, wait=True)
        )
        # helm leaves StatefulSet volumes behind: a database set up with that install's password would refuse
        # the new one
        rel.k8s.core.delete_collection_namespaced_persistent_volume_claim(
            rel.namespace, label_selector=rel.selector
        )
        return {}
    log.info(
        "release %s exists (revision %d, %s): upgrading it, keeping its secrets", rel.name, number, status
    )
    return dict(values or {})


def free_node_ports(
    k8s: K8s, namespace: str, values: Mapping[str, Any], moved: dict[str, str] | None = None
) -> dict[str, Any]:
    """NodePorts are cluster-wide: when another namespace already holds the one a component asks for (another
    release of the app), give this release a free one instead of failing the install."""
    taken: dict[int, str] = {}
    for svc in k8s.core.list_service_for_all_namespaces().items:
        if svc.metadata.namespace == namespace:
            continue
        for port in svc.spec.ports or []:
            if port.node_port:
                taken[int(port.node_port)] = f"{svc.metadata.namespace}/{svc.metadata.name}"
    changes: dict[str, Any] = {}
    candidates = (p for p in range(30100, 32768) if p not in taken)
    for component, default in (("frontend", 30080), ("backend", 30081)):
        service = (values.get(component) or {}).get("service") or {}
        wanted = service.get("nodePort", default)
        if service.get("type", "NodePort") == "NodePort" and wanted in taken:
            port = next(candidates)
            log.info("NodePort %d is held by %s; %s gets NodePort %d", wanted, taken[wanted], component, port)
            changes[component] = {"service": {"nodePort": port}}
            if moved is not None:
                moved[component] = f"{wanted} is held by {taken[wanted]}; using {port}"
    return changes


def attach_release(info: ClusterInfo, release: str, namespace: str, k8s: K8s | None = None) -> Release:
    """A Release object for an already installed release (e.g. for `tcb verify`); checks that it exists."""
    rel = Release(info, k8s or K8s(info.kubeconfig, info.context), release, namespace)
    status = rel.status()
    if status["status"] != "deployed":
        raise RuntimeError(f"release {release} in {namespace} is {status['status']}, not deployed")
    return rel


# --- dry run ------------------------------------------------------------------------------------------------
@dataclass
class DryRunReport:
    namespace: str
    accepted: list[str]  # "Kind/name"
    rejected: list[str]  # "Kind/name: reason"

    @property
    def ok(self) -> bool:
        return not self.rejected


def dry_run_install(
    info: ClusterInfo,
    images: Mapping[str, ImageLike],
    *,
    namespace: str,
    release: str = "tcb",
    values_files: Iterable[Path] = (),
    set_values: Mapping[str, Any] | Iterable[str] = (),
) -> DryRunReport:
    """Render the chart and have the API server validate every object (server-side dry run) in a restricted
    namespace; nothing is installed. A namespace created only for this is deleted again."""
    k8s = K8s(info.kubeconfig, info.context)
    values = install_values(info, images, values_files, set_values)
    values = merge(values, free_node_ports(k8s, namespace, values))  # as the install would
    # Hooks (the `helm test` pods) are left out: they name the release's ServiceAccount, which a dry run
    # never creates. --kube-version: offline `helm template` assumes v1.20 (pyhelm3's has no such flag).
    # Values go on stdin, as pyhelm3 sends them, so the secrets stay off the command line.
    argv = Release(info, k8s, release, namespace).helm_argv(
        "template", release, str(CHART), "--kube-version", k8s.server_version(), "--values", "-", "--no-hooks"
    )
    rendered = proc.run(argv, input=json.dumps(values), quiet=True).stdout
    objects = [o for o in yaml.safe_load_all(rendered) if o]
    created = k8s.ensure_namespace(namespace, POD_SECURITY_RESTRICTED)
    api = dynamic.DynamicClient(k8s.api_client)
    accepted, rejected = [], []
    try:
        for obj in objects:
            ident = f"{obj['kind']}/{obj['metadata']['name']}"
            resource, ns = None, None
            try:
                resource = api.resources.get(api_version=obj["apiVersion"], kind=obj["kind"])
                ns = namespace if resource.namespaced else None
                resource.create(body=obj, namespace=ns, dry_run="All")
                accepted.append(ident)
            except ApiException as exc:
                if (
                    exc.status == 409 and resource is not None
                ):  # already exists: validate as an update instead
                    try:
                        resource.server_side_apply(
                            body=obj, namespace=ns, dry_run="All", field_manager="tcb", force_conflicts=True
                        )
                        accepted.append(ident)
                        continue
                    except ApiException as again:
                        exc = again
                rejected.append(f"{ident}: {exc.status} {_api_message(exc)}")
            except Exception as exc:  # e.g. an API kind this cluster does not serve
                rejected.append(f"{ident}: {type(exc).__name__}: {exc}")
    finally:
        if created:
            k8s.delete_namespace(namespace, wait=False)
    log.info("dry run: %d objects accepted, %d rejected", len(accepted), len(rejected))
    return DryRunReport(namespace, accepted, rejected)


def _api_message(exc: ApiException) -> str:
    try:
        return str(json.loads(exc.body or "{}").get("message", exc.reason))
    except ValueError:
        return str(exc.reason)


# --- the whole path, for the CLI ----------------------------------------------------------------------------
@dataclass
class Deployment:
    info: ClusterInfo
    images: Mapping[str, ImageLike]
    release: Release | None  # None for a dry run
    dry_run: DryRunReport | None
    seconds: dict[str, float]  # phase -> seconds (cluster, build, load, install)


def deploy_app(
    *,
    target: str = "auto",
    kubeconfig: Path | None = None,
    image_registry: str | None = None,
    namespace: str,
    release: str = "tcb",
    values_files: Iterable[Path] = (),
    set_values: Iterable[str] = (),
    timeout: float = 900,
    dry_run: bool = False,
) -> Deployment:
    """Cluster (found or started) -> images built and loaded -> chart installed (or dry-run validated)."""
    from harness.clusters.select import choose_target
    from harness.images import build_images

    seconds: dict[str, float] = {}
    mark = time.monotonic()
    choice = choose_target(target, kubeconfig=kubeconfig, image_registry=image_registry, reuse=True)
    info = choice.cluster.ensure_up()
    info.notes["selection"] = choice.describe()
    seconds["cluster"], mark = time.monotonic() - mark, time.monotonic()
    images = build_images(progress=True)
    seconds["build"], mark = time.monotonic() - mark, time.monotonic()
    if dry_run:
        report = dry_run_install(
            info,
            images,
            namespace=namespace,
            release=release,
            values_files=values_files,
            set_values=set_values,
        )
        seconds["dry run"] = time.monotonic() - mark
        return Deployment(info, images, None, report, seconds)
    choice.cluster.load_images([image.ref for image in images.values()])
    seconds["load"], mark = time.monotonic() - mark, time.monotonic()
    rel = install_release(
        info,
        images,
        namespace=namespace,
        release=release,
        values_files=values_files,
        set_values=set_values,
        timeout=timeout,
    )
    seconds["install"] = time.monotonic() - mark
    return Deployment(info, images, rel, None, seconds)


def find_release(
    *, target: str = "auto", kubeconfig: Path | None = None, namespace: str, release: str = "tcb"
) -> Release:
    """The installed release on the chosen target (the cluster is found, or started if it is down)."""
    from harness.clusters.select import choose_target

    info = choose_target(target, kubeconfig=kubeconfig, reuse=True).cluster.ensure_up()
    return Release(info, K8s(info.kubeconfig, info.context), release, namespace)
