"""Steps about the cluster and the release's objects: tools, nodes, pods, probes, endpoints, ConfigMaps,
scaling, deletion, diagnostics."""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pytest_bdd import given, parsers, step, then, when

from harness import diagnostics, helm, leak_scan
from harness.checks import SECRET_NAME, confinement, manifests
from harness.checks.verify import VERIFY_CHECKS, verify_release
from harness.clusters.base import ClusterInfo
from harness.components import APP_COMPONENTS
from harness.docker_engine import ensure_docker_engine
from harness.drain import DrainObserver
from harness.images import ImageRef
from harness.k8s import K8s, pod_ready, pod_summary
from harness.proc import run
from harness.release import AppUrls, Release, ReleaseRestorer
from harness.timeouts import Timeouts
from harness.waits import wait_until
from steps.evidence import Evidence
from steps.session import HarnessSession

# ---- tools and cluster ----


@then("the Docker engine answers with its version")
def _docker(evidence: Evidence, timeouts: Timeouts) -> None:
    version = ensure_docker_engine(timeout=timeouts.docker_engine).version()
    evidence.text("docker version", f"{version.get('Version')} (API {version.get('ApiVersion')})")
    assert version.get("Version"), f"docker answered without a version: {version}"


@then("helm answers with a version 3 release")
def _helm_version(evidence: Evidence) -> None:
    version = run([str(helm.ensure_helm()), "version", "--short"], quiet=True).stdout.strip()
    evidence.text("helm version", version)
    assert version.startswith("v3."), f"helm reports {version!r}, expected v3.x"


@then("the API server answers with its version")
def _server_version(k8s: K8s, evidence: Evidence) -> None:
    version = k8s.server_version()
    evidence.text("kubernetes version", version)
    assert version.startswith("v1."), f"the API server reports {version!r}"


@then("every node of the cluster is Ready")
def _nodes_ready(k8s: K8s) -> None:
    nodes = k8s.core.list_node().items
    assert nodes, "the cluster has no nodes"
    unready = [
        n.metadata.name
        for n in nodes
        if not any(c.type == "Ready" and c.status == "True" for c in n.status.conditions or [])
    ]
    assert not unready, f"nodes not Ready: {unready}"


@then("the cluster DNS is Ready")
def _dns_ready(k8s: K8s) -> None:
    pods = k8s.pods("kube-system", "k8s-app=kube-dns")
    assert any(pod_ready(p) for p in pods), f"no Ready cluster DNS pod: {[pod_summary(p) for p in pods]}"


@then("the run uses a private kubeconfig")
def _private_kubeconfig(cluster_info: ClusterInfo) -> None:
    path = Path(cluster_info.kubeconfig)
    assert path.is_file(), f"kubeconfig {path} does not exist"
    assert path.resolve() != (Path.home() / ".kube" / "config").resolve(), "the run writes to ~/.kube/config"


@then("the node holds every application image")
def _node_images(loaded_images: dict[str, ImageRef], k8s: K8s) -> None:
    present = k8s.node_images()
    missing = [
        image.ref
        for image in loaded_images.values()
        if not any(name == image.ref or name.endswith("/" + image.ref) for name in present)
    ]
    assert not missing, f"images the node does not hold: {missing}"


# ---- pods ----


def _release_pods(release: Release, k8s: K8s, component: str | None = None) -> list[Any]:
    """The release's running workload pods: not `helm test` hooks, not pods on their way out."""
    selector = release.component_selector(component) if component else release.selector
    return [
        p
        for p in k8s.pods(release.namespace, selector)
        if p.metadata.deletion_timestamp is None
        and p.status.phase != "Succeeded"
        and "helm.sh/hook" not in (p.metadata.annotations or {})
    ]


@then("every pod of the release is Running and Ready")
def _all_ready(release: Release, k8s: K8s, evidence: Evidence, timeouts: Timeouts) -> None:
    def probe() -> tuple[bool, str]:
        pods = _release_pods(release, k8s)
        done = bool(pods) and all(p.status.phase == "Running" and pod_ready(p) for p in pods)
        return done, "; ".join(pod_summary(p) for p in pods) or "no pods"

    evidence.text(
        "pods",
        wait_until(
            f"every pod of release {release.name} to be Running and Ready",
            probe,
            timeout=timeouts.pods_ready,
            interval=0.5,
        ),
    )


@then("these components have a Ready pod:")
def _components_ready(release: Release, k8s: K8s, datatable: list[list[str]]) -> None:
    missing = [
        c.strip()
        for (c,) in datatable[1:]
        if not any(pod_ready(p) for p in _release_pods(release, k8s, c.strip()))
    ]
    assert not missing, f"no Ready pod for {missing}"


def _restarts(release: Release, k8s: K8s, component: str | None = None) -> list[str]:
    return [
        f"{p.metadata.name}/{s.name} restarted {s.restart_count}x"
        for p in _release_pods(release, k8s, component)
        for s in p.status.container_statuses or []
        if s.restart_count
    ]


@then("no container of the release has restarted")
def _no_restarts(release: Release, k8s: K8s) -> None:
    restarted = _restarts(release, k8s)
    assert not restarted, "; ".join(restarted)


@then(parsers.parse("no {component} container has restarted"))
def _no_component_restarts(release: Release, k8s: K8s, component: str) -> None:
    restarted = _restarts(release, k8s, component)
    assert not restarted, "; ".join(restarted)


@then("every application container of the release has liveness, readiness and startup probes")
def _probes(release: Release, k8s: K8s, evidence: Evidence) -> None:
    workloads = [
        k8s.api_client.sanitize_for_serialization(
            k8s.deployment(release.namespace, release.deployment_name(c))
        )
        for c in APP_COMPONENTS
    ]
    evidence.json(
        "probes",
        {
            w["metadata"]["name"]: {
                c["name"]: {p: c.get(p) for p in ("livenessProbe", "readinessProbe", "startupProbe")}
                for c in manifests.containers_of(w)
            }
            for w in workloads
        },
    )
    problems = manifests.missing_probes(workloads)
    assert not problems, "; ".join(problems)


@then(parsers.parse("the backend pods are Running but not Ready"))
def _running_not_ready(release: Release, k8s: K8s, timeouts: Timeouts) -> None:
    def probe() -> tuple[bool, str]:
        pods = _release_pods(release, k8s, "backend")
        done = bool(pods) and all(p.status.phase == "Running" and not pod_ready(p) for p in pods)
        return done, "; ".join(pod_summary(p) for p in pods) or "no pods"

    wait_until("every backend pod to be Running but not Ready", probe, timeout=timeouts.unready, interval=0.5)


# ---- endpoints, scaling, deletion ----


def _service_name(release: Release, k8s: K8s, component: str) -> str:
    services = k8s.services(release.namespace, release.component_selector(component))
    assert services, f"release {release.name} has no {component} Service"
    return str(services[0].metadata.name)


def _wait_endpoints(release: Release, k8s: K8s, component: str, count: int, timeout: float) -> list[str]:
    service = _service_name(release, k8s, component)

    def probe() -> tuple[bool, list[str]]:
        addresses = k8s.endpoints_ready_addresses(release.namespace, service)
        return len(addresses) == count, addresses

    return list(
        wait_until(f"service {service} to have {count} ready endpoints", probe, timeout=timeout, interval=0.5)
    )


@step(parsers.parse("the {component} Service has {count:d} ready endpoints"))
def _endpoints(
    release: Release, k8s: K8s, component: str, count: int, evidence: Evidence, timeouts: Timeouts
) -> None:
    addresses = _wait_endpoints(release, k8s, component, count, timeouts.endpoints)
    evidence.text(f"{component} endpoints", "\n".join(addresses))


@then(parsers.parse("the {component} Service has no ready endpoints"))
def _no_endpoints(release: Release, k8s: K8s, component: str, timeouts: Timeouts) -> None:
    _wait_endpoints(release, k8s, component, 0, timeouts.endpoints_gone)


def scale_postgres(
    release: Release, k8s: K8s, replicas: int, release_restorer: ReleaseRestorer, timeouts: Timeouts
) -> None:
    """Scale the release's Postgres StatefulSet (waiting for its rollout unless to 0); the restorer puts its
    replicas back when the scenario ends, whatever its outcome, so later scenarios have a database."""
    name = k8s.statefulset_name(release.namespace, release.component_selector("postgres"))
    release_restorer.remember_replicas("StatefulSet", name)
    k8s.scale_statefulset(release.namespace, name, replicas)
    if replicas:
        k8s.wait_for_rollout("StatefulSet", name, release.namespace, timeout=timeouts.pods_ready)


@when(parsers.parse("the Postgres StatefulSet is scaled to {replicas:d}"))
def _scale_postgres(
    release: Release, k8s: K8s, replicas: int, release_restorer: ReleaseRestorer, timeouts: Timeouts
) -> None:
    scale_postgres(release, k8s, replicas, release_restorer, timeouts)


@when(parsers.parse("the backend is scaled to {replicas:d} replicas"))
def _scale_backend(
    release: Release, replicas: int, evidence: Evidence, release_restorer: ReleaseRestorer
) -> None:
    release_restorer.remember_replicas("Deployment", release.deployment_name("backend"))
    evidence.figure(f"seconds to scale to {replicas}", round(release.scale("backend", replicas), 1), "s")


@given(parsers.parse("the {component} pods are watched as they terminate"), target_fixture="drain_observer")
def _watch_terminations(
    release: Release, k8s: K8s, component: str, request: pytest.FixtureRequest
) -> DrainObserver:
    observer = DrainObserver(k8s, release.namespace, release.component_selector(component)).start()
    request.addfinalizer(observer.stop)
    return observer


@then(
    parsers.parse(
        "every {component} pod the scale-down removed kept serving for at least {seconds:g} s after it began"
        " terminating"
    )
)
def _kept_serving_while_terminating(
    drain_observer: DrainObserver, component: str, seconds: float, timeouts: Timeouts, evidence: Evidence
) -> None:
    """The preStop drain, observed: each removed pod still answered on its own address while the Service
    and kube-proxy dropped it (on a busy node that takes up to a kube-proxy sync period, 1 s by default).
    Decided for each pod as soon as it has answered `seconds` after it began terminating, or has stopped
    answering before: the rest of its drain cannot change the verdict, so it is not waited for."""

    def all_decided() -> tuple[bool, str]:
        seen = drain_observer.snapshot()
        decided = bool(seen) and all(t.ended or t.served_s >= seconds for t in seen)
        return decided, "; ".join(map(str, seen)) or "no pod terminating yet"

    wait_until(
        f"each removed {component} pod to serve {seconds:g} s while terminating, or to stop",
        all_decided,
        timeout=timeouts.rollout,
    )
    seen = drain_observer.snapshot()
    evidence.text(f"{component} pods while terminating", "\n".join(map(str, seen)))
    short = [str(t) for t in seen if t.served_s < seconds]
    assert not short, (
        f"{len(short)} of {len(seen)} {component} pods stopped serving less than {seconds:g} s after they "
        f"began terminating (connections kube-proxy still routes to them are refused): {short}"
    )


@step(parsers.parse("the {component} Deployment has {replicas:d} Ready replicas"))
def _ready_replicas(release: Release, k8s: K8s, component: str, replicas: int, timeouts: Timeouts) -> None:
    selector = release.component_selector(component)
    k8s.wait_pods_ready(release.namespace, selector, count=replicas, timeout=timeouts.pods_ready)


@then(parsers.parse("a drain may evict one {component} pod but not the other while the first is replaced"))
def _drain_meets_disruption_budget(
    release: Release, k8s: K8s, component: str, evidence: Evidence, timeouts: Timeouts
) -> None:
    """The PodDisruptionBudget in effect, as a node drain meets it: the Eviction API evicts one of the two
    Ready pods and refuses the other (429) while the first one's replacement is not Ready yet."""
    selector = release.component_selector(component)
    k8s.wait_pods_ready(release.namespace, selector, count=2, timeout=timeouts.pods_ready)
    ready = [p for p in _release_pods(release, k8s, component) if pod_ready(p)]
    assert len(ready) == 2, f"expected 2 Ready {component} pods, found {[p.metadata.name for p in ready]}"

    def budget_current() -> tuple[bool, str]:
        # the budget's status must count these pods (not those of a scale-down a moment ago) before a drain
        budgets = k8s.disruption_budgets(release.namespace, selector)
        seen = [(b.metadata.name, b.status.current_healthy if b.status else None) for b in budgets]
        return all(healthy == len(ready) for _, healthy in seen), f"budgets and their healthy pods: {seen}"

    wait_until(
        f"the {component} PodDisruptionBudget to count its pods", budget_current, timeout=timeouts.request
    )
    first, second = (str(p.metadata.name) for p in ready)
    answers = {first: k8s.evict(release.namespace, first)}
    answers[second] = k8s.evict(release.namespace, second)
    evidence.json("evictions (201 evicted, 429 refused by a PodDisruptionBudget)", answers)
    assert answers[first] == 201, f"the eviction of {first} was answered {answers[first]} with 2 pods Ready"
    assert answers[second] == 429, (
        f"a drain evicted both {component} pods ({first}, then {second} while {first} was being replaced:"
        f" {answers}): no PodDisruptionBudget keeps one {component} pod serving"
    )


@dataclass(frozen=True)
class DeletedPod:
    name: str
    uid: str


def _delete_one_pod(release: Release, k8s: K8s, component: str) -> DeletedPod:
    pods = _release_pods(release, k8s, component)
    assert pods, f"no {component} pod to delete"
    deleted = DeletedPod(str(pods[0].metadata.name), str(pods[0].metadata.uid))
    k8s.delete_pod(release.namespace, deleted.name)
    return deleted


@when("a backend pod is deleted", target_fixture="deleted_pod")
def _delete_backend_pod(release: Release, k8s: K8s) -> DeletedPod:
    return _delete_one_pod(release, k8s, "backend")


@when("the Postgres pod is deleted", target_fixture="deleted_pod")
def _delete_postgres_pod(release: Release, k8s: K8s) -> DeletedPod:
    return _delete_one_pod(release, k8s, "postgres")


@then("the Postgres pod is Ready again")
def _postgres_back(release: Release, k8s: K8s, deleted_pod: DeletedPod, timeouts: Timeouts) -> None:
    def probe() -> tuple[bool, str]:
        pods = _release_pods(release, k8s, "postgres")
        new = [p for p in pods if p.metadata.uid != deleted_pod.uid and pod_ready(p)]
        return bool(new), "; ".join(pod_summary(p) for p in pods) or "no pods"

    wait_until("a new Postgres pod to be Ready", probe, timeout=timeouts.pods_ready, interval=0.5)


@when("the backend Deployment is restarted")
def _restart_backend(release: Release, k8s: K8s) -> None:
    k8s.restart_deployment(release.namespace, release.deployment_name("backend"))


@then(parsers.parse("the rollout of the {component} Deployment completes"))
def _rollout_done(release: Release, k8s: K8s, component: str, evidence: Evidence, timeouts: Timeouts) -> None:
    took = k8s.wait_for_rollout(
        "Deployment", release.deployment_name(component), release.namespace, timeout=timeouts.rollout
    )
    evidence.figure(f"{component} rollout", round(took, 1), "s")


@then("the rollout of every application Deployment completes")
def _all_rollouts_done(release: Release, k8s: K8s, timeouts: Timeouts) -> None:
    for component in APP_COMPONENTS:
        name = release.deployment_name(component)
        k8s.wait_for_rollout("Deployment", name, release.namespace, timeout=timeouts.rollout)


# ---- configuration ----


def _configmaps(release: Release, k8s: K8s) -> list[dict[str, Any]]:
    items = k8s.core.list_namespaced_config_map(release.namespace).items
    return [k8s.api_client.sanitize_for_serialization(cm) for cm in items]


@then("the release's ConfigMap sets ENVIRONMENT and LOG_LEVEL")
def _configmap_settings(release: Release, k8s: K8s, evidence: Evidence) -> None:
    configmaps = [
        cm
        for cm in _configmaps(release, k8s)
        if (cm["metadata"].get("labels") or {}).get("app.kubernetes.io/instance") == release.name
    ]
    evidence.json("configmaps", {cm["metadata"]["name"]: cm.get("data") for cm in configmaps})
    assert any({"ENVIRONMENT", "LOG_LEVEL"} <= set(cm.get("data") or {}) for cm in configmaps), (
        "no ConfigMap of the release sets both ENVIRONMENT and LOG_LEVEL"
    )


@then("no ConfigMap of the release holds a secret value")
def _configmaps_clean(release: Release, k8s: K8s) -> None:
    values = set(release.secret_values) | diagnostics.namespace_secret_values(k8s, release.namespace)
    problems = manifests.configmap_secret_problems(_configmaps(release, k8s), values)
    assert not problems, "; ".join(problems)


# what each service cannot run without, and must get from a Secret
REQUIRED_SECRET_ENV = {"backend": ("DATABASE_URL", "BETTER_AUTH_SECRET"), "chatbot": ("DATABASE_URL",)}


@then("every application container takes its secrets from a Secret")
def _env_from_secret(release: Release, k8s: K8s, evidence: Evidence) -> None:
    """Every secret-named variable of every application container (and each service's required ones) comes
    from a Secret object, never from a literal or a ConfigMap."""
    problems = []
    seen: dict[str, dict[str, str]] = {}
    for component in APP_COMPONENTS:
        deployment = k8s.api_client.sanitize_for_serialization(
            k8s.deployment(release.namespace, release.deployment_name(component))
        )
        for container in manifests.containers_of(deployment):
            sources = manifests.env_sources(container)
            seen[f"{component}/{container['name']}"] = sources
            secret_names = [
                n[len("<secret:") : -1] for n, kind in sources.items() if n.startswith("<secret:")
            ]
            from_secret_objects: set[str] = set()
            for name in secret_names:
                secret = k8s.core.read_namespaced_secret(name, release.namespace)
                from_secret_objects |= manifests.secret_keys(
                    k8s.api_client.sanitize_for_serialization(secret)
                )
            for key in REQUIRED_SECRET_ENV.get(component, ()):
                if sources.get(key) != "secret" and key not in from_secret_objects:
                    problems.append(
                        f"{component}/{container['name']}: {key} comes from {sources.get(key, 'nowhere')}"
                    )
            for key, kind in sources.items():
                if not key.startswith("<") and SECRET_NAME.search(key) and kind != "secret":
                    problems.append(
                        f"{component}/{container['name']}: secret-named {key} comes from a {kind}"
                    )
    evidence.json("where each variable comes from", seen)
    assert not problems, "; ".join(problems)


# ---- operations fallbacks ----


@then("a listing of the release's workloads shows each with its ready replicas")
def _workload_listing(release: Release, k8s: K8s, evidence: Evidence) -> None:
    rows = k8s.workload_status(release.namespace, release.selector)
    evidence.text(
        "workloads", "\n".join(f"{kind}/{name}: {ready}/{wanted} ready" for kind, name, ready, wanted in rows)
    )
    assert rows, "the release has no workloads"
    short = [f"{kind}/{name} {ready}/{wanted}" for kind, name, ready, wanted in rows if ready < wanted]
    assert not short, f"workloads short of ready replicas: {short}"


@when("a diagnostics bundle is collected for the release", target_fixture="bundle")
def _collect_bundle(release: Release, k8s: K8s, tmp_path: Path) -> Path:
    helm_binary = helm.helm_path()
    return diagnostics.collect_bundle(
        k8s,
        release.namespace,
        release.name,
        tmp_path / "bundle",
        helm=helm_binary if helm_binary.exists() else None,
        extra_secrets=release.secret_values,
    )


@then("the bundle holds pod logs, events and the helm status")
def _bundle_contents(bundle: Path, evidence: Evidence) -> None:
    evidence.text("bundle summary", diagnostics.bundle_summary(bundle))
    files = sorted(str(p.relative_to(bundle)) for p in bundle.rglob("*") if p.is_file())
    evidence.text("bundle files", "\n".join(files))
    assert any(f.startswith("logs/") and f.endswith(".log") for f in files), f"no pod logs in {files}"
    assert (bundle / "events.txt").is_file(), "no events.txt"
    assert (bundle / "helm-status.txt").is_file(), "no helm-status.txt"
    assert "STATUS: deployed" in (bundle / "helm-status.txt").read_text(), (
        "the helm status does not say deployed"
    )


@then("the bundle holds none of the run's secrets, plain or base64-encoded")
def _bundle_clean(bundle: Path, release: Release, k8s: K8s, evidence: Evidence) -> None:
    """Scrubbing replaces the plain values; an encoded copy (a Secret dumped as YAML, a token in a URL) would
    slip through it, so every form is searched for, with the values the cluster's Secrets really hold."""
    values = set(release.secret_values) | diagnostics.namespace_secret_values(k8s, release.namespace)
    files = leak_scan.files_of(bundle)
    evidence.figure("bundle files searched", len(files))
    leaks = leak_scan.leaks_in(files, values)
    assert not leaks, f"the diagnostics bundle leaks secrets: {[str(x) for x in leaks]}"


@then("the six verify checks pass:")
def _verify_checks(
    release: Release,
    k8s: K8s,
    app_urls: AppUrls,
    datatable: list[list[str]],
    evidence: Evidence,
    timeouts: Timeouts,
) -> None:
    wanted = [row[0].strip() for row in datatable[1:]]
    assert wanted == list(VERIFY_CHECKS), f"the scenario lists {wanted}, the harness runs {VERIFY_CHECKS}"
    results = verify_release(
        k8s, release.namespace, release.selector, app_urls.frontend, app_urls.backend, timeouts
    )
    evidence.text("verify", "\n".join(f"{name}: {problem or 'ok'}" for name, problem in results.items()))
    failed = {name: problem for name, problem in results.items() if problem}
    assert not failed, f"verify checks failed: {failed}"


@then("no container of the release restarted or was OOM-killed during the run")
def _no_incidents_during_run(
    harness_session: HarnessSession, release: Release, k8s: K8s, timeouts: Timeouts, evidence: Evidence
) -> None:
    from harness.pod_watch import liveness_shortfall

    watch = harness_session.pod_watch
    assert watch is not None, "the pod watch did not start with the release"

    # "none restarted" means nothing until the pods lived long enough for a failing liveness probe to restart
    # them (a short run, e.g. one criterion's scenarios, can end sooner): wait out what is missing.
    def exercised() -> tuple[bool, dict[str, float]]:
        if watch.incidents():
            return True, {}  # conclusive already
        pods = k8s.core.list_namespaced_pod(release.namespace, label_selector=release.selector).items
        short = liveness_shortfall(pods, datetime.now(UTC))
        return not short, short

    waited = datetime.now(UTC)
    wait_until(
        "every container's liveness probe to have had time to restart it",
        exercised,
        timeout=timeouts.pods_ready,
    )
    evidence.figure("waited for liveness probes (s)", round((datetime.now(UTC) - waited).total_seconds(), 1))
    incidents = watch.incidents()
    evidence.text(
        "container incidents",
        f"{watch.pods_seen} pods watched since before the install\n"
        + ("\n".join(str(i) for i in incidents) or "no container restarted or was OOM-killed"),
    )
    evidence.figure("pods watched", watch.pods_seen)
    assert watch.pods_seen > 0, "the pod watch saw no pod of the release"
    assert not incidents, "; ".join(str(i) for i in incidents)


@then(parsers.parse('every {component} pod answers /api/health as "{service}" inside the cluster'))
def _pods_answer_health(
    release: Release, k8s: K8s, component: str, service: str, evidence: Evidence, timeouts: Timeouts
) -> None:
    """Each pod itself, reached through the API server's pod proxy: not the Service, not a NodePort."""
    pods = [p for p in _release_pods(release, k8s, component) if p.status.phase == "Running"]
    assert pods, f"no running {component} pod"
    answers = []
    for pod in pods:
        port = pod.spec.containers[0].ports[0].container_port
        body = k8s.pod_get(release.namespace, pod.metadata.name, port, "api/health", timeouts.request)
        answers.append(f"{pod.metadata.name}:{port}/api/health -> {body[:200]}")
        health = json.loads(body)
        assert health.get("status") == "ok" and health.get("service") == service, answers[-1]
    evidence.text(f"{component} pods /api/health", "\n".join(answers))


# What the server process itself has loaded (the container's PID 1, read as its own user): uvicorn picks
# uvloop and httptools when they import, else asyncio's loop and the pure-Python h11 parser, silently. The
# benchmarks ran the services from the development environment, which has both; an image without them
# serves at about a third of the speed (the frontend's image had neither until 2026-12-01: ~3.2 ms of CPU
# per proxied request, 86-117 requests/s for its two pods).
SERVER_LIBS = (
    "import json\n"
    "cmd = open('/proc/1/cmdline', 'rb').read().replace(b'\\0', b' ').decode().strip()\n"
    "maps = [line.split()[-1] for line in open('/proc/1/maps') if line.rstrip().endswith('.so')]\n"
    "libs = sorted({p.split('/deps/')[-1] for p in maps if '/uvloop/' in p or '/httptools/' in p})\n"
    "print(json.dumps({'cmd': cmd, 'libs': libs}))\n"
)
FAST_PATHS = {"uvloop": "uvloop/loop.", "httptools": "httptools/parser/parser."}


@then("every application pod serves HTTP on uvloop and httptools, as the benchmarks ran it")
def _pods_serve_on_uvloop_and_httptools(
    release: Release, k8s: K8s, evidence: Evidence, timeouts: Timeouts
) -> None:
    """Observed in the running server process (its memory map), not in the image's files or requirements."""
    seen, missing = {}, []
    for component in APP_COMPONENTS:
        pods = [p for p in _release_pods(release, k8s, component) if p.status.phase == "Running"]
        assert pods, f"no running {component} pod"
        for pod in pods:
            name = pod.metadata.name
            code, output = k8s.exec_python(
                release.namespace,
                name,
                SERVER_LIBS,
                container=pod.spec.containers[0].name,
                timeout=timeouts.command,
            )
            assert code == 0, f"{name}: reading its server process's memory map failed ({code}): {output}"
            found = json.loads(output.strip().splitlines()[-1])
            seen[name] = found
            assert "uvicorn" in found["cmd"], f"{name}: PID 1 is not the uvicorn server: {found['cmd']!r}"
            lacks = [lib for lib, path in FAST_PATHS.items() if not any(path in so for so in found["libs"])]
            if lacks:
                missing.append(f"{name} ({component}) runs without {' and '.join(lacks)}")
    evidence.json("server libraries per pod", seen)
    assert not missing, (
        "; ".join(missing) + ": uvicorn fell back to asyncio's loop and the h11 parser (add uvloop and"
        " httptools to the service's dependencies)"
    )


@then(
    "every application container in the cluster runs on a read-only root filesystem, "
    "without privilege escalation or capabilities"
)
def _containers_confined(release: Release, k8s: K8s, evidence: Evidence, timeouts: Timeouts) -> None:
    """Read in each running server's own /proc (mounts, NoNewPrivs, capability sets), not in the pod spec."""
    seen: dict[str, Any] = {}
    unconfined: list[str] = []
    for component in APP_COMPONENTS:
        pods = [p for p in _release_pods(release, k8s, component) if p.status.phase == "Running"]
        assert pods, f"no running {component} pod"
        for pod in pods:
            name = pod.metadata.name
            for container in pod.spec.containers:
                code, output = k8s.exec_python(
                    release.namespace,
                    name,
                    confinement.PROBE,
                    container=container.name,
                    timeout=timeouts.command,
                )
                assert code == 0, (
                    f"{name}/{container.name}: reading its server process failed ({code}): {output}"
                )
                found = json.loads(output.strip().splitlines()[-1])
                seen[f"{name}/{container.name}"] = found
                unconfined.extend(f"{name}/{container.name}: {p}" for p in confinement.problems(found))
    evidence.json("confinement per container", seen)
    assert not unconfined, (
        "application containers run less confined than the chart's security context asks"
        " (readOnlyRootFilesystem, allowPrivilegeEscalation: false, capabilities drop ALL): "
        + "; ".join(unconfined)
    )


# clocks of this machine and the API server may differ a little on remote targets
CLOCK_SKEW = timedelta(seconds=5)


@then(
    parsers.parse(
        'every application pod was started after the upgrade with LOG_LEVEL "{level}" in its environment'
    )
)
def _pods_restarted_with(
    release: Release, k8s: K8s, upgraded_at: datetime, level: str, evidence: Evidence
) -> None:
    """A container's environment is fixed when it starts: a pod started after the ConfigMap changed runs
    with the new value; one started before it still runs with the old one, whatever the ConfigMap says now."""
    found = {}
    stale = []
    for component in APP_COMPONENTS:
        for pod in _release_pods(release, k8s, component):
            env = k8s.resolved_env(release.namespace, pod)
            found[pod.metadata.name] = {
                "created": pod.metadata.creation_timestamp.isoformat(),
                "LOG_LEVEL": {c: e.get("LOG_LEVEL") for c, e in env.items()},
            }
            if pod.metadata.creation_timestamp < upgraded_at - CLOCK_SKEW:
                stale.append(f"{pod.metadata.name} (started {pod.metadata.creation_timestamp:%H:%M:%S})")
    evidence.json("pods after the upgrade", {"upgrade began": upgraded_at.isoformat(), "pods": found})
    wrong = {p: v["LOG_LEVEL"] for p, v in found.items() if any(x != level for x in v["LOG_LEVEL"].values())}
    assert found, "no application pods"
    assert not stale, (
        f"pods still running from before the upgrade (at {upgraded_at:%H:%M:%S}) keep the old environment:"
        f" {stale}"
    )
    assert not wrong, f"pods whose LOG_LEVEL is not {level}: {wrong}"


@then(parsers.parse("the backend, chatbot and frontend write {level} lines to their logs after the upgrade"))
def _pods_log_at(
    release: Release, k8s: K8s, upgraded_at: datetime, level: str, evidence: Evidence, timeouts: Timeouts
) -> None:
    """The level a service uses, not the one it reports: each pod must really write a line at that level."""
    since = max(1, int((datetime.now(UTC) - upgraded_at).total_seconds()) + 5)
    marker = f" {level} "
    missing: list[str] = []
    excerpts: dict[str, str] = {}

    def probe() -> tuple[bool, str]:
        missing.clear()
        for component in APP_COMPONENTS:
            pods = [p for p in _release_pods(release, k8s, component) if p.status.phase == "Running"]
            if not pods:
                missing.append(f"no running {component} pod")
            for pod in pods:
                port = pod.spec.containers[0].ports[0].container_port
                with contextlib.suppress(Exception):  # a request that each service logs at DEBUG
                    k8s.pod_get(release.namespace, pod.metadata.name, port, "api/health", timeouts.request)
                text = k8s.logs(
                    release.namespace, pod.metadata.name, pod.spec.containers[0].name, since_seconds=since
                )
                lines = [line for line in text.splitlines() if marker in f" {line} "]
                if lines:
                    excerpts[pod.metadata.name] = lines[-1][:300]
                else:
                    missing.append(pod.metadata.name)
        return not missing, f"no {level} line yet from {missing}"

    wait_until(
        f"every application pod to write a {level} line", probe, timeout=timeouts.config_applied, interval=1.5
    )
    evidence.json(f"a {level} line per pod", excerpts)
