"""The harness's fixtures. They are lazy: nothing starts unless a test asks for it. The chain is
cluster_target -> cluster_info -> k8s; built_images -> loaded_images -> release -> app_urls -> api /
new_user / user; release_restorer puts back what a disruptive step changed."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pytest

from harness.app_client import AppClient, AppError
from harness.clusters.base import ClusterInfo
from harness.clusters.select import TargetChoice, choose_target
from harness.log import get_logger
from harness.timeouts import Timeouts
from steps import second_release
from steps.early_start import EarlyStart
from steps.session import STATE, HarnessSession

if TYPE_CHECKING:  # imported where used: a unit-test run loads this plugin too and needs none of them
    from collections.abc import Mapping

    from harness.images import ImageRef
    from harness.k8s import K8s
    from harness.release import AppUrls, Release, ReleaseRestorer

log = get_logger("plugin")


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """At the first scenario: prepare the cluster, images and release in the background (steps/early_start.py)
    when a selected scenario may need them, so the scenarios that need none run meanwhile."""
    hs = item.config.stash.get(STATE, None)
    if hs is not None and hs.unsettled is not None and hs.cluster_use.needs(item):
        hs.settle_restore()  # a restore that did not come back fails here, naming it
    if hs is None or hs.prepare_early is not None or item.path.suffix != ".feature":
        return
    items = item.session.items  # what was selected (-k, -m and deselection are done by now)
    hs.prepare_early = not hs.attach and any(hs.cluster_use.needs(other) for other in items)
    if not hs.prepare_early:
        return

    def install(info: ClusterInfo, k8s: K8s, images: Mapping[str, ImageRef]) -> Release:
        return _install_run_release(hs, items, info, k8s, images)

    hs.early = EarlyStart(hs, install=install)
    hs.early.start()


def _install_run_release(
    hs: HarnessSession, items: list[pytest.Item], info: ClusterInfo, k8s: K8s, images: Mapping[str, ImageRef]
) -> Release:
    """The run's release: the restart watch first (SC-018 counts from before the install), the second release
    beside it when a selected scenario needs one, then the chart installed and every component Ready."""
    from harness.pod_watch import PodIncidentWatch
    from harness.release import install_release

    # every restart and OOM kill from now to the end of the run, in pods that come and go (SC-018)
    hs.pod_watch = PodIncidentWatch(k8s.core, hs.namespace).start()
    second = None
    if second_release.needed_by(items):
        # its install starts once this one's NodePorts are taken, and the two wait for their pods side by side
        second = hs.second_release_install = second_release.SecondReleaseInstall(hs, info, k8s, images)
    rel = install_release(
        info,
        images,
        namespace=hs.namespace,
        release=hs.release_name,
        values_files=hs.values_files(),
        timeouts=hs.timeouts,
        k8s=k8s,
        after_apply=second.start if second is not None else None,
    )
    hs.release = rel
    hs.secret_values = set(rel.secret_values)
    return rel


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
    if harness_session.early is not None:
        choice: TargetChoice = harness_session.early.result("cluster_target")[0]
        harness_session.choice = choice
        return choice
    choice = choose_target(
        harness_session.option("target"),
        kubeconfig=harness_session.option("kubeconfig"),
        reuse=bool(harness_session.option("reuse_cluster")),
        image_registry=harness_session.option("image_registry"),
        timeouts=harness_session.timeouts,
    )
    harness_session.choice = choice
    return choice


@pytest.fixture(scope="session")
def cluster_info(
    request: pytest.FixtureRequest, harness_session: HarnessSession, cluster_target: TargetChoice
) -> Iterator[ClusterInfo]:
    """The running cluster (found or started); notes["selection"] says why this target was chosen."""
    if harness_session.early is not None:
        info: ClusterInfo = harness_session.early.result("cluster_info")[1]
    else:
        info = cluster_target.cluster.ensure_up()
        info.notes["selection"] = cluster_target.describe()
    harness_session.info = info
    log.info("cluster: %s at %s (%s)", info.target, info.node_address, info.notes["selection"])
    yield info
    if not cluster_target.stops_at_end(info):
        log.info("leaving the %s cluster running", info.target)
    elif not harness_session.keep_everything(request.session):
        # beside the end-of-run reports; steps/plugin.py's pytest_sessionfinish waits for it
        harness_session.stop_cluster_in_background(cluster_target.cluster.teardown)


@pytest.fixture(scope="session")
def k8s(
    harness_session: HarnessSession, cluster_target: TargetChoice, cluster_info: ClusterInfo
) -> Iterator[K8s]:
    """The Kubernetes client. At the end it waits for the namespaces the run deleted (the releases'), which
    are deleted side by side: each one's pods drain (preStop) and volumes go at the same time. It does not
    wait when the run stops the cluster next (that removes every namespace with it): a cluster that stays
    is left with no namespace of this run terminating, so the next run's NodePorts are free."""
    from harness.k8s import K8s

    if harness_session.early is not None:
        harness_session.k8s = harness_session.early.result("k8s")[2]
    else:
        harness_session.k8s = K8s(cluster_info.kubeconfig, cluster_info.context)
    yield harness_session.k8s
    deleting = harness_session.deleting_namespaces
    if deleting and cluster_target.stops_at_end(cluster_info):
        log.info(
            "not waiting for namespaces %s to be deleted: the cluster is stopped next", ", ".join(deleting)
        )
        return
    harness_session.k8s.wait_namespaces_gone(deleting, harness_session.timeouts.namespace_gone)


# --- images -------------------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def built_images(request: pytest.FixtureRequest, harness_session: HarnessSession) -> dict[str, ImageRef]:
    """The app's images, built (or found in the build cache) by content hash: name -> ImageRef.
    With --release: the images that release runs (what is being verified); nothing is built."""
    if harness_session.attach:
        return dict(request.getfixturevalue("release").images())
    if harness_session.early is not None:
        return dict(harness_session.early.result("built_images"))
    from harness.images import build_images

    return dict(build_images(progress=True))


@pytest.fixture(scope="session")
def loaded_images(
    built_images: dict[str, ImageRef],
    harness_session: HarnessSession,
    cluster_target: TargetChoice,
    cluster_info: ClusterInfo,
) -> dict[str, ImageRef]:
    """The built images, made available to the cluster's node (or pushed to --image-registry)."""
    if harness_session.early is not None:
        return dict(harness_session.early.result("loaded_images"))
    if not harness_session.attach:  # an installed release's images are on its node already
        cluster_target.cluster.load_images([image.ref for image in built_images.values()])
    return built_images


# --- release ------------------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def release(
    request: pytest.FixtureRequest,
    harness_session: HarnessSession,
    cluster_target: TargetChoice,
    cluster_info: ClusterInfo,
    k8s: K8s,
) -> Iterator[Release]:
    """The chart installed into a fresh restricted namespace (or, with --release, the release to verify)."""
    hs = harness_session
    if hs.attach:
        from harness.pod_watch import PodIncidentWatch
        from harness.release import attach_release

        # every restart and OOM kill from now to the end of the run, in pods that come and go (SC-018)
        hs.pod_watch = PodIncidentWatch(k8s.core, hs.namespace).start()
        request.addfinalizer(hs.pod_watch.stop)
        rel = attach_release(cluster_info, hs.release_name, hs.namespace, k8s)
        rel.timeouts = hs.timeouts
        hs.release = rel
        yield rel
        rel.close()
        return

    def cleanup() -> None:
        if hs.unsettled is not None:  # the run ended before the scenario that was to wait for it (-x, ^C)
            hs.settle_restore()  # raises naming the restore if it did not come back
        if hs.keep_everything(request.session):
            return
        if cluster_target.stops_at_end(cluster_info):  # the cluster's teardown takes the release with it
            log.info("not uninstalling release %s: the cluster is stopped next", hs.release_name)
            return
        if hs.release is not None:
            hs.release.uninstall(wait=False)  # the k8s fixture waits for the namespace to be gone
            hs.deleting_namespaces.append(hs.namespace)
        elif k8s.namespace_exists(hs.namespace):  # the install failed half-way
            k8s.delete_namespace(hs.namespace, wait=False)
            hs.deleting_namespaces.append(hs.namespace)

    # registered before the install (which may fail half-way); run in reverse: the second release, the
    # run's release, then the restart watch
    request.addfinalizer(lambda: hs.pod_watch.stop() if hs.pod_watch is not None else None)
    request.addfinalizer(cleanup)
    request.addfinalizer(
        lambda: hs.second_release_install.cleanup(request.session) if hs.second_release_install else None
    )
    if hs.early is not None:
        rel = hs.early.result("release")
    else:
        images = request.getfixturevalue("loaded_images")
        rel = _install_run_release(hs, request.session.items, cluster_info, k8s, images)
    yield rel


@pytest.fixture
def release_restorer(
    request: pytest.FixtureRequest, release: Release, harness_session: HarnessSession
) -> Iterator[ReleaseRestorer]:
    """Disruptive steps (scaling, upgrades) record here how the release was; when the scenario ends, passed
    or failed, it is put back, so the next scenario finds the release as it was installed. A scenario tagged
    @restores_beside leaves the wait for that rollout to the next scenario that needs the cluster (the ones
    between need none: steps/early_start.py), when there is one."""
    from harness.release import ReleaseRestorer

    restorer = ReleaseRestorer(release, scenario=request.node.nodeid)
    yield restorer
    items = request.session.items
    later = items[items.index(request.node) + 1 :] if request.node in items else []
    beside = request.node.get_closest_marker("restores_beside") is not None and any(
        harness_session.cluster_use.needs(item) for item in later
    )
    try:
        restorer.restore(wait=not beside)
    finally:  # what was put back before an error is still awaited
        if restorer.unsettled:
            harness_session.unsettled = restorer
        else:
            harness_session.record_restore(restorer)


@pytest.fixture(scope="session")
def app_urls(release: Release) -> AppUrls:
    """.frontend and .backend base URLs (NodePort, else port-forward; .via says which)."""
    return release.urls()


@pytest.fixture(scope="session")
def api(app_urls: AppUrls) -> Iterator[AppClient]:
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


def signup_when_available(client: AppClient, name: str, within: float) -> tuple[str, str]:
    """Sign up a fresh user, as a client told "503, Retry-After" would: wait and send it again, until `within`
    seconds have passed. For the users a scenario starts with, not for a claim: a scenario that comes right
    after a Postgres restart may find a backend replica still opening its first connections to the new pod
    (seen once at load average 8: refused for ~3 s after the previous scenario saw 10 requests in a row
    succeed). Any other status, or a 503 without Retry-After, fails at once; each retry is logged."""
    deadline = time.monotonic() + within
    while True:
        try:
            return client.signup_new_user(name)
        except AppError as exc:
            retry_after = exc.response.headers.get("retry-after")
            if exc.status != 503 or retry_after is None or time.monotonic() >= deadline:
                raise
            wait = min(float(retry_after) if retry_after.isdigit() else 1.0, 5.0)
            log.info(
                "sign-up answered 503 (Retry-After %s): %s; sending it again in %.0f s",
                retry_after,
                exc,
                wait,
            )
            time.sleep(wait)


@pytest.fixture
def new_user(app_urls: AppUrls, timeouts: Timeouts) -> Iterator[Callable[..., User]]:
    """Factory: new_user(name=...) signs up a fresh user (unique email, random password)."""
    clients: list[AppClient] = []

    def make(name: str = "Acceptance User") -> User:
        backend = AppClient(app_urls.backend)
        email, password = signup_when_available(backend, name, timeouts.recovery)
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
