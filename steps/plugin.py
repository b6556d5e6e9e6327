"""Acceptance plugin: options, session fixtures, evidence and diagnostics (wiring only; logic in harness/).

Fixtures are lazy: nothing starts unless a test asks for it. The chain is cluster_target -> cluster_info ->
k8s; built_images -> loaded_images -> release -> app_urls -> api / new_user / user.
"""

from __future__ import annotations

import base64
import json
import os
import re
import secrets
import shutil
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from harness.app_client import AppClient
from harness.clusters.base import ClusterInfo
from harness.clusters.select import TargetChoice, choose_target
from harness.log import get_logger
from harness.paths import REPO, REPORTS
from harness.timeouts import DEFAULT_TIMEOUTS, Timeouts

log = get_logger("plugin")

CLUSTER_FIXTURES = {"release", "k8s"}
FEATURES_DIR = REPO / "features"


def not_verified(reason: str) -> None:
    """End the scenario as NOT VERIFIED (never as passed); the traceability matrix shows the reason."""
    pytest.skip(f"NOT VERIFIED: {reason}")


def default_namespace() -> str:
    return f"tcb-{datetime.now():%Y%m%d-%H%M%S}-{secrets.token_hex(2)}"


# --- options ------------------------------------------------------------------------------------------------
def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("todo-chatbot", "todo-chatbot acceptance harness")
    group.addoption(
        "--target",
        default="auto",
        choices=["auto", "kubeconfig", "kind", "minikube", "local"],
        help="cluster target; auto = reachable kubeconfig context, kind, minikube, then local",
    )
    group.addoption(
        "--kubeconfig",
        type=Path,
        default=None,
        help="kubeconfig of an existing cluster (target kubeconfig; default $KUBECONFIG, ~/.kube/config)",
    )
    group.addoption(
        "--namespace",
        default=None,
        help="namespace to install into (default: a fresh tcb-<yyyymmdd-hhmmss>-<hex> per run)",
    )
    group.addoption(
        "--keep-on-failure",
        action="store_true",
        help="when a scenario failed, leave the release, namespace and cluster as they are",
    )
    group.addoption(
        "--reuse-cluster",
        action="store_true",
        help="leave the cluster running at the end even if this run started it",
    )
    group.addoption(
        "--image-registry",
        default=None,
        help="push the built images to this registry (HOST[:PORT]) for target kubeconfig",
    )
    group.addoption(
        "--values",
        action="append",
        type=Path,
        default=[],
        metavar="FILE",
        help="extra chart values file (repeatable; later files win)",
    )
    group.addoption("--report-dir", type=Path, default=None, help=f"where reports go (default {REPORTS})")
    group.addoption(
        "--release",
        default=None,
        metavar="NAME",
        help="verify this already installed release (with --namespace) instead of installing",
    )
    group.addoption(
        "--allow-not-verified",
        action="store_true",
        help="exit 0 even when a success criterion is NOT VERIFIED (e.g. a target whose NodePorts this"
        " machine cannot reach); by default an unproven criterion fails the run",
    )
    group.addoption(
        "--deploy-timeout",
        type=float,
        default=DEFAULT_TIMEOUTS.install,
        help=f"seconds to wait for the chart's rollouts (default {DEFAULT_TIMEOUTS.install:.0f})",
    )
    group.addoption(
        "--timeout-scale",
        type=float,
        default=1.0,
        metavar="FACTOR",
        help="multiply every scenario wait's timeout (rollouts, pods, endpoints; see harness/timeouts.py)"
        " by FACTOR, for a slower machine (default 1)",
    )


def _is_acceptance_run(config: pytest.Config) -> bool:
    args = [a.split("::")[0] for a in config.args if not a.startswith("-")] or list(
        config.getini("testpaths")
    )
    for arg in args:
        path = (config.invocation_params.dir / arg).resolve()
        if path == FEATURES_DIR or FEATURES_DIR in path.parents or path in FEATURES_DIR.parents:
            return True
    return False


@pytest.hookimpl(tryfirst=True)  # before pytest-html and junitxml read their options
def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("release") and not config.getoption("namespace"):
        raise pytest.UsageError("--release NAME needs the --namespace it is installed in")
    if config.getoption("timeout_scale") <= 0 or config.getoption("deploy_timeout") <= 0:
        raise pytest.UsageError("--timeout-scale and --deploy-timeout must be positive")
    report_dir = Path(config.getoption("report_dir") or REPORTS)
    config.stash[STATE] = HarnessSession(config, report_dir)
    if config.option.collectonly or not _is_acceptance_run(config):
        return  # unit-test runs keep the last acceptance reports
    report_dir.mkdir(parents=True, exist_ok=True)
    if getattr(config.option, "xmlpath", "missing") is None:
        config.option.xmlpath = str(report_dir / "junit.xml")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Scenarios tagged @at_end judge the whole run (e.g. no restart since the install): run them last."""
    items.sort(key=lambda item: item.get_closest_marker("at_end") is not None)  # stable: order kept otherwise


# Every request of the run comes from this one machine (one client address, through kube-proxy) and it signs
# up dozens of users and chats under load: the chart's abuse limits would throttle the proof itself. They are
# raised for the run's release only; tests/security proves the limits against the real services.
ACCEPTANCE_VALUES = {
    "config": {
        "limits": {
            "signupPerAddress": "100000/3600",
            "loginPerAddress": "100000/60",
            "chatPerAccount": "100000/60",
            "chatPerAddress": "100000/60",
        }
    }
}


# --- session state ------------------------------------------------------------------------------------------
class HarnessSession:
    """What the fixtures created, so hooks can reach it without starting anything."""

    def __init__(self, config: pytest.Config, report_dir: Path) -> None:
        self.config = config
        self.report_dir = report_dir
        self.namespace: str = config.getoption("namespace") or default_namespace()
        self.release_name: str = config.getoption("release") or "tcb"
        self.attach = config.getoption("release") is not None
        self.timeouts = Timeouts.from_options(
            deploy_timeout=config.getoption("deploy_timeout"), scale=config.getoption("timeout_scale")
        )
        self.choice: TargetChoice | None = None
        self.info: ClusterInfo | None = None
        self.k8s: Any = None
        self.release: Any = None
        self.secret_values: set[str] = set()
        self.pod_watch: Any = None  # PodIncidentWatch of the release's namespace, from before the install
        self.setup_bundles: dict[str, Path] = {}

    def values_files(self) -> list[Path]:
        """The chart values of this run: the acceptance overlay, then the --values files (later wins)."""
        overlay = self.report_dir / "acceptance-values.yaml"
        overlay.parent.mkdir(parents=True, exist_ok=True)
        overlay.write_text(yaml.safe_dump(ACCEPTANCE_VALUES))
        return [overlay, *self.option("values")]

    def option(self, name: str) -> Any:
        return self.config.getoption(name)

    def failed(self, session: pytest.Session) -> bool:
        return session.testsfailed > 0

    def keep_everything(self, session: pytest.Session) -> bool:
        keep = bool(self.option("keep_on_failure")) and self.failed(session)
        if keep:
            log.info(
                "a scenario failed and --keep-on-failure is set: leaving namespace %s and the cluster;"
                " clean up with `tcb down --namespace %s`",
                self.namespace,
                self.namespace,
            )
        return keep


STATE = pytest.StashKey[HarnessSession]()


@pytest.fixture(scope="session")
def harness_session(request: pytest.FixtureRequest) -> HarnessSession:
    return request.config.stash[STATE]


@pytest.fixture(scope="session")
def timeouts(harness_session: HarnessSession) -> Timeouts:
    """How long each kind of wait may take, from --deploy-timeout and --timeout-scale."""
    return harness_session.timeouts


# --- cluster ------------------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def cluster_target(harness_session: HarnessSession) -> TargetChoice:
    """The chosen target and why (auto records why each earlier target was skipped)."""
    choice = choose_target(
        harness_session.option("target"),
        kubeconfig=harness_session.option("kubeconfig"),
        reuse=bool(harness_session.option("reuse_cluster")),
        image_registry=harness_session.option("image_registry"),
    )
    harness_session.choice = choice
    return choice


@pytest.fixture(scope="session")
def cluster_info(
    request: pytest.FixtureRequest, harness_session: HarnessSession, cluster_target: TargetChoice
) -> Iterator[ClusterInfo]:
    """The running cluster (found or started); notes["selection"] says why this target was chosen."""
    info = cluster_target.cluster.ensure_up()
    info.notes["selection"] = cluster_target.describe()
    harness_session.info = info
    log.info("cluster: %s at %s (%s)", info.target, info.node_address, info.notes["selection"])
    yield info
    keep_local = info.target == "local" and os.environ.get("TCB_KEEP_CLUSTER") == "1"
    if not info.started_by_us or cluster_target.reuse or keep_local:
        log.info("leaving the %s cluster running", info.target)
    elif not harness_session.keep_everything(request.session):
        cluster_target.cluster.teardown()


@pytest.fixture(scope="session")
def k8s(harness_session: HarnessSession, cluster_info: ClusterInfo) -> Any:
    from harness.k8s import K8s

    harness_session.k8s = K8s(cluster_info.kubeconfig, cluster_info.context)
    return harness_session.k8s


# --- images -------------------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def built_images(request: pytest.FixtureRequest, harness_session: HarnessSession) -> dict[str, Any]:
    """The app's images, built (or found in the build cache) by content hash: name -> ImageRef.
    With --release: the images that release runs (what is being verified); nothing is built."""
    if harness_session.attach:
        return dict(request.getfixturevalue("release").images())
    from harness.images import build_images

    return dict(build_images(progress=True))


@pytest.fixture(scope="session")
def loaded_images(
    built_images: dict[str, Any],
    harness_session: HarnessSession,
    cluster_target: TargetChoice,
    cluster_info: ClusterInfo,
) -> dict[str, Any]:
    """The built images, made available to the cluster's node (or pushed to --image-registry)."""
    if not harness_session.attach:  # an installed release's images are on its node already
        cluster_target.cluster.load_images([image.ref for image in built_images.values()])
    return built_images


# --- release ------------------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def release(
    request: pytest.FixtureRequest, harness_session: HarnessSession, cluster_info: ClusterInfo, k8s: Any
) -> Iterator[Any]:
    """The chart installed into a fresh restricted namespace (or, with --release, the release to verify)."""
    from harness.pod_watch import PodIncidentWatch
    from harness.release import attach_release, install_release

    hs = harness_session
    # every restart and OOM kill from now to the end of the run, in pods that come and go (SC-018)
    hs.pod_watch = PodIncidentWatch(k8s.core, hs.namespace).start()
    request.addfinalizer(hs.pod_watch.stop)
    if hs.attach:
        rel = attach_release(cluster_info, hs.release_name, hs.namespace, k8s)
        rel.timeouts = hs.timeouts
        hs.release = rel
        yield rel
        rel.close()
        return
    images = request.getfixturevalue("loaded_images")

    def cleanup() -> None:
        if hs.keep_everything(request.session):
            return
        if hs.release is not None:
            hs.release.uninstall()
        elif k8s.namespace_exists(hs.namespace):  # the install failed half-way
            k8s.delete_namespace(hs.namespace)

    request.addfinalizer(cleanup)
    rel = install_release(
        cluster_info,
        images,
        namespace=hs.namespace,
        release=hs.release_name,
        values_files=hs.values_files(),
        timeouts=hs.timeouts,
        k8s=k8s,
    )
    hs.release = rel
    hs.secret_values = set(rel.secret_values)
    yield rel


@pytest.fixture
def release_restorer(release: Any) -> Iterator[Any]:
    """Disruptive steps (scaling, upgrades) record here how the release was; when the scenario ends, passed
    or failed, it is put back, so the next scenario finds the release as it was installed."""
    from harness.release import ReleaseRestorer

    restorer = ReleaseRestorer(release)
    yield restorer
    restorer.restore()


@pytest.fixture(scope="session")
def app_urls(release: Any) -> Any:
    """.frontend and .backend base URLs (NodePort, else port-forward; .via says which)."""
    return release.urls()


@pytest.fixture(scope="session")
def api(app_urls: Any) -> Iterator[AppClient]:
    """An AppClient on the backend URL, without a token."""
    with AppClient(app_urls.backend) as client:
        yield client


@dataclass
class User:
    email: str
    password: str
    token: str
    api: AppClient  # the backend, with this user's token
    web: AppClient  # the frontend (which also proxies /api/chat), with this user's token
    profile: dict[str, Any] = field(default_factory=dict)


@pytest.fixture
def new_user(app_urls: Any) -> Iterator[Callable[..., User]]:
    """Factory: new_user(name=...) signs up a fresh user (unique email, random password)."""
    clients: list[AppClient] = []

    def make(name: str = "Acceptance User") -> User:
        backend = AppClient(app_urls.backend)
        email, password = backend.signup_new_user(name)
        assert backend.token is not None
        web = AppClient(app_urls.frontend, backend.token)
        clients.extend([backend, web])
        return User(email, password, backend.token, backend, web, dict(backend.user or {}))

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def user(new_user: Callable[..., User]) -> User:
    """A freshly signed-up user."""
    return new_user()


# --- evidence -----------------------------------------------------------------------------------------------
@dataclass
class EvidenceItem:
    kind: str  # text, json, image, figure
    name: str
    path: Path | None = None
    value: Any = None
    unit: str | None = None


EVIDENCE = pytest.StashKey[list[EvidenceItem]]()


def evidence_of(item: pytest.Item) -> list[EvidenceItem]:
    """The evidence a test recorded (for reports)."""
    return item.stash.get(EVIDENCE, [])


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_")[:120] or "item"


class Evidence:
    """Attach what a test saw to the HTML report (and junit properties): texts, JSON, screenshots, figures."""

    def __init__(self, item: pytest.Item, directory: Path) -> None:
        self.item = item
        self.directory = directory
        item.stash[EVIDENCE] = []

    def _add(self, entry: EvidenceItem) -> None:
        self.item.stash[EVIDENCE].append(entry)
        shown = str(entry.path) if entry.path else f"{entry.value} {entry.unit or ''}".strip()
        self.item.user_properties.append((f"{entry.kind}:{entry.name}", shown))

    def _file(self, name: str, suffix: str) -> Path:
        self.directory.mkdir(parents=True, exist_ok=True)
        return self.directory / f"{_safe(name)}{suffix}"

    def text(self, name: str, content: str) -> Path:
        path = self._file(name, ".txt")
        path.write_text(content)
        self._add(EvidenceItem("text", name, path, content))
        return path

    def json(self, name: str, obj: Any) -> Path:
        path = self._file(name, ".json")
        path.write_text(json.dumps(obj, indent=2, default=str))
        self._add(EvidenceItem("json", name, path, obj))
        return path

    def image(self, name: str, png_path: Path) -> Path:
        path = self._file(name, ".png")
        if Path(png_path).resolve() != path.resolve():
            shutil.copyfile(png_path, path)
        self._add(EvidenceItem("image", name, path))
        return path

    def figure(self, name: str, value: float | int | str, unit: str = "") -> None:
        self._add(EvidenceItem("figure", name, None, value, unit))


@pytest.fixture
def evidence(request: pytest.FixtureRequest, harness_session: HarnessSession) -> Evidence:
    return Evidence(request.node, harness_session.report_dir / "evidence" / _safe(request.node.name))


# --- report hooks -------------------------------------------------------------------------------------------
def _html_extras() -> Any:
    try:
        from pytest_html import extras
    except ImportError:
        return None
    return extras


def _evidence_extras(item: pytest.Item, extras: Any) -> list[Any]:
    out = []
    for entry in evidence_of(item):
        if entry.kind == "text":
            out.append(extras.text(str(entry.value), name=entry.name))
        elif entry.kind == "json":
            out.append(extras.json(entry.value, name=entry.name))
        elif entry.kind == "image" and entry.path is not None:
            out.append(extras.png(base64.b64encode(entry.path.read_bytes()).decode(), name=entry.name))
        elif entry.kind == "figure":
            out.append(extras.text(f"{entry.value} {entry.unit or ''}".strip(), name=entry.name))
    return out


def _diagnostics(item: pytest.Item, report: pytest.TestReport, hs: HarnessSession) -> Path | None:
    """Collect a bundle for a failed cluster test (once per distinct setup failure of a session fixture)."""
    if hs.k8s is None:
        return None
    from harness.diagnostics import collect_bundle
    from harness.helm import helm_path

    key = ""
    if report.when == "setup":
        crash = getattr(report.longrepr, "reprcrash", None)
        key = str(getattr(crash, "message", report.longrepr))[:500]
        if key in hs.setup_bundles:
            return hs.setup_bundles[key]
    helm = helm_path()
    bundle = collect_bundle(
        hs.k8s,
        hs.namespace,
        hs.release_name if hs.release is not None or not hs.attach else None,
        hs.report_dir / "diagnostics" / _safe(item.name),
        helm=helm if helm.exists() else None,
        extra_secrets=hs.secret_values,
    )
    if key:
        hs.setup_bundles[key] = bundle
    return bundle


def _used(item: pytest.Item) -> set[str]:
    """Fixtures the test used, including those its steps fetched at run time (pytest-bdd step arguments are
    requested with getfixturevalue, so item.fixturenames alone misses them)."""
    names = set(getattr(item, "fixturenames", ()))
    request = getattr(item, "_request", None)  # the item's FixtureRequest: .fixturenames has the dynamic ones
    if request is not None:
        names.update(request.fixturenames)
    return names


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, Any]:
    report: pytest.TestReport = yield
    extras = _html_extras()
    added: list[Any] = []
    if report.when == "call" and extras is not None:
        added += _evidence_extras(item, extras)
    hs = item.config.stash.get(STATE, None)
    if (
        report.failed
        and report.when in ("setup", "call")
        and hs is not None
        and _used(item) & CLUSTER_FIXTURES
    ):
        try:
            bundle = _diagnostics(item, report, hs)
        except Exception as exc:  # a broken cluster must not hide the test's own failure
            log.warning("could not collect diagnostics for %s: %s", item.nodeid, exc)
            bundle = None
        if bundle is not None:
            from harness.diagnostics import bundle_summary

            summary = bundle_summary(bundle)
            report.sections.append(("diagnostics", f"bundle: {bundle}\n{summary}"))
            item.user_properties.append(("diagnostics", str(bundle)))
            if extras is not None:
                added.append(extras.text(summary, name="diagnostics summary"))
                added.append(extras.url(os.path.relpath(bundle, hs.report_dir), name="diagnostics bundle"))
    if added:
        report.extras = [*getattr(report, "extras", []), *added]
    return report


@pytest.hookimpl(optionalhook=True)
def pytest_html_results_summary(
    prefix: list[str], summary: list[str], postfix: list[str], session: pytest.Session
) -> None:
    hs = session.config.stash.get(STATE, None)
    if hs is None:
        return
    if hs.info is not None:
        prefix.append(f"<p>Cluster target: {hs.info.notes.get('selection', hs.info.target)}</p>")
    if hs.release is not None:
        waits = ", ".join(f"{what} {secs:.1f}s" for what, secs in getattr(hs.release, "waits", []))
        prefix.append(f"<p>Release {hs.release_name} in namespace {hs.namespace}; waited for: {waits}</p>")
        for component, why in getattr(hs.release, "moved_node_ports", {}).items():
            prefix.append(f"<p>NodePort of {component}: {why}</p>")
