"""The early start (steps/early_start.py): the cluster, images and release prepared in a thread while the
scenarios that need none of them run; the order that puts those scenarios first, learnt from earlier runs."""

from __future__ import annotations

import io
import threading
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from harness.clusters.base import ClusterInfo
from harness.clusters.select import TargetChoice
from harness.log import PLAIN, Progress
from harness.timeouts import DEFAULT_TIMEOUTS
from steps import early_start
from steps.early_start import ClusterUse, EarlyStart, order_items
from steps.session import STATE

INFO = ClusterInfo("local", Path("/nonexistent/kubeconfig"), None, "127.0.0.1", True)


@pytest.fixture(autouse=True)
def _own_progress(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> io.StringIO:
    """The stages' progress lines and durations go to this test's own display (not the machine's recorded
    durations, which the next real run compares with)."""
    out = io.StringIO()
    own = Progress()
    own.configure(out, mode=PLAIN, history=tmp_path / "durations.json")
    monkeypatch.setattr(early_start, "progress", own)
    return out


class _Cluster:
    name = "local"

    def __init__(self, log: list[str], fail: str = "", slow: float = 0.0) -> None:
        self.log, self.fail, self.slow = log, fail, slow
        self.info = INFO

    def ensure_up(self) -> ClusterInfo:
        self.log.append("cluster")
        time.sleep(self.slow)
        if self.fail == "cluster":
            raise RuntimeError("etcd did not start")
        return self.info

    def teardown(self) -> None:
        self.log.append("teardown")

    def load_images(self, refs: list[str]) -> None:
        self.log.append(f"load {','.join(refs)}")


def _early(
    log: list[str], fail: str = "", gate: threading.Event | None = None, slow: float = 0.0
) -> EarlyStart:
    """Fakes for every stage; `slow`: the build and the cluster stage each take that many seconds."""
    cluster = _Cluster(log, fail, slow)
    choice = SimpleNamespace(cluster=cluster, describe=lambda: "local: test")

    def build() -> dict[str, Any]:
        log.append("build")
        time.sleep(slow)
        if gate is not None:
            gate.wait(5)
        if fail == "build":
            raise RuntimeError("docker build failed")
        return {"backend": SimpleNamespace(ref="todo-chatbot/backend:1")}

    def install(info: ClusterInfo, k8s: Any, images: Any) -> str:
        log.append(f"install on {info.node_address} with {sorted(images)}")
        return "the release"

    hs: Any = SimpleNamespace(timeouts=DEFAULT_TIMEOUTS)
    fakes: dict[str, Any] = {
        "install": install,
        "choose": lambda: choice,
        "connect": lambda info: "k8s",
        "tools": lambda: None,
    }
    return EarlyStart(hs, build=build, **fakes)


def test_each_fixture_gets_its_stage_and_the_stages_run_in_order(_own_progress: io.StringIO) -> None:
    log: list[str] = []
    early = _early(log)
    early.start()
    assert early.result("release") == "the release"
    assert early.result("cluster_info")[1] is INFO and early.result("k8s")[2] == "k8s"
    assert early.result("loaded_images") == early.result("built_images")
    assert sorted(log[:2]) == ["build", "cluster"]  # side by side
    assert log[2:] == ["load todo-chatbot/backend:1", "install on 127.0.0.1 with ['backend']"]
    assert [early.phases[s]["ok"] for s in ("build", "cluster", "load", "install")] == [True] * 4
    assert set(early.waited) == {"release", "cluster_info", "k8s", "loaded_images", "built_images"}
    shown = _own_progress.getvalue()
    assert "✓ cluster: find or start it" in shown and "✓ install: the chart" in shown


def test_a_fixture_waits_only_for_its_own_stage() -> None:
    """The build waits on a gate: nothing is ready and the fixture waits; then it gets its images while the
    later stages may still run."""
    log: list[str] = []
    gate = threading.Event()
    early = _early(log, gate=gate)
    early.start()
    assert not early.futures["build"].done()
    threading.Timer(0.3, gate.set).start()
    assert "backend" in early.result("built_images")
    assert early.waited["built_images"] >= 0.2


def test_the_cluster_starts_while_the_images_build() -> None:
    """On a bare machine the cluster stage builds Kubernetes for minutes: it must not wait for the images
    (which wait on downloads meanwhile); the load waits for both."""
    log: list[str] = []
    gate = threading.Event()
    early = _early(log, gate=gate)
    early.start()
    try:
        assert early.futures["cluster"].result(timeout=5)[1] is INFO
        assert not early.futures["build"].done() and not early.futures["load"].done()
    finally:
        gate.set()
    assert early.result("release") == "the release"
    assert log[-2:] == ["load todo-chatbot/backend:1", "install on 127.0.0.1 with ['backend']"]


def test_the_tools_are_prepared_beside_the_stages() -> None:
    """helm (minutes of `go install` on a bare machine) is built beside the images and the cluster, not when
    the first chart scenario or the install asks for it."""
    early = _early([])
    helm_ready = threading.Event()
    early._tools = helm_ready.set
    early.start()
    assert helm_ready.wait(5)
    early.wait_all(5)


def test_a_failed_build_fails_the_load_and_install_but_not_the_cluster() -> None:
    """The cluster still starts (and is stopped as any started cluster is); the fixtures that need the images
    raise the build's own error."""
    log: list[str] = []
    early = _early(log, fail="build")
    early.start()
    assert early.result("cluster_info")[1] is INFO
    for fixture in ("built_images", "loaded_images", "release"):
        with pytest.raises(RuntimeError, match="docker build failed"):
            early.result(fixture)
    assert early.phases["cluster"]["ok"] is True and early.phases["build"]["ok"] is False
    assert not any(entry.startswith(("load", "install")) for entry in log)


def test_a_failed_stage_fails_it_and_every_later_stage_with_its_own_error() -> None:
    log: list[str] = []
    early = _early(log, fail="cluster")
    early.start()
    assert "backend" in early.result("built_images")  # the stage before it stands
    for fixture in ("cluster_info", "loaded_images", "release"):
        with pytest.raises(RuntimeError, match="etcd did not start"):
            early.result(fixture)
    assert early.phases["cluster"]["ok"] is False and "install" not in early.phases
    assert not any(entry.startswith("install") for entry in log)
    assert early.wait_all(1.0)


def test_the_background_figure_is_the_wall_span_not_the_stages_seconds_summed() -> None:
    """The images build (0.5 s) beside the cluster stage (0.5 s): the scenarios in front of the first one
    that needs the cluster must outlast about 0.5 s of wall time, not the 1 s the stages' own seconds add up
    to (the next run's order compares its scenarios' seconds with this figure)."""
    log: list[str] = []
    early = _early(log, slow=0.5)
    early.start()
    early.result("release")
    assert early.wait_all(5.0)
    summed = sum(p["seconds"] for p in early.phases.values())
    assert early.span is not None and summed >= 1.0, (early.span, summed)
    assert 0.5 <= early.span < 0.9, f"span {early.span} s: the side-by-side stages counted twice"


def test_a_failed_stage_leaves_no_background_figure() -> None:
    early = _early([], fail="cluster")
    early.start()
    assert early.wait_all(5.0)
    assert early.span is None


# --- the order -------------------------------------------------------------------------------------------
def _item(
    nodeid: str,
    at_end: bool = False,
    scenario: str = "",
    replaces_pods: bool = False,
    restores_beside: bool = False,
) -> Any:
    """A collected test; `scenario` (a scenario's name in the feature file of `nodeid`) gives it steps."""
    path = Path(nodeid.split("::")[0])
    markers = {"at_end": at_end, "replaces_pods": replaces_pods, "restores_beside": restores_beside}

    def test() -> None:
        pass

    if scenario:
        test.__doc__ = f"{path.resolve()}: {scenario}"  # what pytest-bdd writes
    return SimpleNamespace(
        nodeid=nodeid,
        path=path,
        function=test,
        get_closest_marker=lambda name: object() if markers.get(name) else None,
        name=nodeid.split("::")[-1],
    )


def test_scenarios_that_need_no_cluster_run_first_then_those_replacing_pods_and_at_end_ones_last(
    tmp_path: Path,
) -> None:
    use = ClusterUse(tmp_path / "use.json")
    use.known = {
        "features/chart.feature::test_lint": False,
        "features/access.feature::test_front": True,
        "features/images.feature::test_non_root": True,  # its Given names no cluster, a later step uses it
        "features/resilience.feature::test_pod_deleted": True,
    }
    items = [
        _item("tests/harness/test_x.py::test_unit"),  # not a scenario: keeps its place
        _item("features/access.feature::test_front"),
        _item("features/deployment.feature::test_no_restart", at_end=True),
        _item("features/images.feature::test_non_root", scenario="The images run as a non-root user"),
        # never seen: judged by its steps
        _item("features/access.feature::test_backend", scenario="The backend API answers at NodePort 30081"),
        _item(
            "features/chart.feature::test_render",
            scenario="The chart renders valid manifests for the whole app",
        ),
        _item("features/chart.feature::test_lint"),
        _item("features/resilience.feature::test_pod_deleted", replaces_pods=True),
    ]
    order_items(items, use)
    assert [i.nodeid.split("::")[1] for i in items] == [
        "test_unit",
        "test_render",
        "test_lint",
        "test_pod_deleted",  # replaces the release's pods: first among the cluster scenarios
        "test_front",
        "test_non_root",
        "test_backend",
        "test_no_restart",
    ]


def test_what_a_run_saw_is_the_next_runs_knowledge(tmp_path: Path) -> None:
    path = tmp_path / "cache" / "use.json"
    use = ClusterUse(path)
    a, b, c = (_item(f"features/x.feature::test_{n}") for n in "abc")
    use.known = {a.nodeid: True}
    assert use.needs(a)
    use.record(a.nodeid, ["request", "evidence"])
    use.record(b.nodeid, ["request", "user"])
    use.record(c.nodeid, ["request", "built_images"])  # the images alone: no cluster
    use.save()
    again = ClusterUse(path)
    assert not again.needs(a) and again.needs(b) and not again.needs(c)
    path.write_text("not json")
    assert ClusterUse(path).known == {}  # a broken record is as if none were kept


# --- what no scenario asked for -------------------------------------------------------------------------
class _K8s:
    def __init__(self) -> None:
        self.deleted: list[str] = []

    def namespace_exists(self, name: str) -> bool:
        return True

    def delete_namespace(self, name: str, wait: bool = True) -> None:
        self.deleted.append(name)


@pytest.mark.parametrize(
    ("started_by_us", "stops_cluster", "deletes_namespace"), [(True, True, False), (False, False, True)]
)
def test_what_the_early_start_made_for_nobody_is_cleaned_up(
    monkeypatch: pytest.MonkeyPatch, started_by_us: bool, stops_cluster: bool, deletes_namespace: bool
) -> None:
    """A run that ended before any scenario asked for the release (e.g. -x): the release's namespace goes
    from a cluster that stays; a cluster the run started is stopped (and takes the release with it)."""
    from steps.plugin import discard_unused_early_start

    monkeypatch.delenv("TCB_KEEP_CLUSTER", raising=False)
    cluster = _Cluster([])
    cluster.info = ClusterInfo("local", Path("/nonexistent/kubeconfig"), None, "127.0.0.1", started_by_us)
    k8s = _K8s()
    stopped: list[Any] = []
    watch_stopped: list[bool] = []
    choice = TargetChoice(cluster=cluster, reason="ok")  # type: ignore[arg-type]
    hs: Any = SimpleNamespace(
        timeouts=DEFAULT_TIMEOUTS,
        namespace="tcb-x",
        keep_everything=lambda session: False,
        pod_watch=SimpleNamespace(stop=lambda: watch_stopped.append(True)),
        second_release_install=None,
        stop_cluster_in_background=stopped.append,
    )
    fakes: dict[str, Any] = {
        "install": lambda *a: "release",
        "choose": lambda: choice,
        "connect": lambda i: k8s,
        "tools": lambda: None,
    }
    hs.early = EarlyStart(hs, build=dict, **fakes)
    hs.early.start()
    assert hs.early.wait_all(5)
    discard_unused_early_start(hs, SimpleNamespace(exitstatus=pytest.ExitCode.OK))  # type: ignore[arg-type]
    assert stopped == ([cluster.teardown] if stops_cluster else [])
    assert k8s.deleted == (["tcb-x"] if deletes_namespace else [])
    assert watch_stopped == [True]


def test_what_the_fixtures_took_is_left_to_them() -> None:
    from steps.plugin import discard_unused_early_start

    stopped: list[Any] = []
    hs: Any = SimpleNamespace(
        timeouts=DEFAULT_TIMEOUTS, keep_everything=lambda s: False, stop_cluster_in_background=stopped.append
    )
    hs.early = _early([])
    hs.early.start()
    hs.early.result("cluster_info")
    hs.early.result("release")
    discard_unused_early_start(hs, SimpleNamespace(exitstatus=pytest.ExitCode.OK))  # type: ignore[arg-type]
    assert stopped == []


def _session(*items: Any) -> list[Any]:
    session = SimpleNamespace(items=list(items))
    for item in items:
        item.session = session
    return list(items)


# --- when it starts -------------------------------------------------------------------------------------
@pytest.mark.parametrize(("selected_needs", "starts"), [(False, False), (True, True)])
def test_it_starts_only_when_a_selected_scenario_needs_the_cluster(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, selected_needs: bool, starts: bool
) -> None:
    """Decided at the first scenario from what is selected by then (-k and -m deselect after collection
    hooks ran): `-k history` of secrets.feature selects one cluster-free scenario of three and started a
    cluster for nobody."""
    from steps import fixtures

    started: list[bool] = []
    monkeypatch.setattr(
        fixtures, "EarlyStart", lambda hs, install: SimpleNamespace(start=lambda: started.append(True))
    )
    use = ClusterUse(tmp_path / "use.json")
    use.known = {"features/s.feature::history": False, "features/s.feature::release": True}
    first = _item("features/s.feature::history")
    _session(first, *([_item("features/s.feature::release")] if selected_needs else []))
    hs: Any = SimpleNamespace(prepare_early=None, attach=False, cluster_use=use, early=None, unsettled=None)
    first.config = SimpleNamespace(stash={STATE: hs})
    fixtures.pytest_runtest_setup(first)
    fixtures.pytest_runtest_setup(first)  # decided once
    assert started == ([True] if starts else []) and hs.prepare_early is starts


def test_the_local_cluster_is_given_the_images_to_move_while_it_starts() -> None:
    """A cluster that can preload (the local one) is told, before `ensure_up`, how to get the built images:
    a callable its moving thread calls once containerd answers, so they move to its node while its control
    plane starts (the load stage then finds them there) even though they may still be building."""
    log: list[str] = []
    early = _early(log)
    cluster: Any = early._choose().cluster
    given: list[Any] = []
    cluster.preload = given.append
    ensure_up = cluster.ensure_up

    def up() -> ClusterInfo:
        log.append("images to move: " + ",".join(given[0]()))  # as the moving thread calls it
        return ensure_up()

    cluster.ensure_up = up
    early.start()
    early.result("release")
    assert len(given) == 1 and callable(given[0])
    assert log.index("images to move: todo-chatbot/backend:1") < log.index("cluster")


def test_a_failed_build_leaves_nothing_to_preload() -> None:
    early = _early([], fail="build")
    cluster: Any = early._choose().cluster
    given: list[Any] = []
    cluster.preload = given.append
    early.start()
    early.result("cluster_info")
    assert given[0]() == []


def test_preloaded_images_are_moved_once_beside_the_start(tmp_path: Path) -> None:
    from harness.clusters.local import LocalCluster

    cluster = LocalCluster(state_dir=tmp_path / "local-cluster")
    moved: list[list[str]] = []
    cluster.containerd = SimpleNamespace(load_from_docker=moved.append)  # type: ignore[assignment]
    assert cluster._start_preload() is None  # nothing to move
    cluster.preload(["todo-chatbot/backend:1", "todo-chatbot/frontend:2"])
    future = cluster._start_preload()
    assert future is not None
    future.result(timeout=5)
    assert moved == [["todo-chatbot/backend:1", "todo-chatbot/frontend:2"]]
    assert cluster._start_preload() is None  # moved once
    cluster.preload(lambda: ["todo-chatbot/chatbot:3"])  # refs known only once the images are built
    later = cluster._start_preload()
    assert later is not None
    later.result(timeout=5)
    assert moved[-1] == ["todo-chatbot/chatbot:3"]
    cluster.preload(lambda: [])  # the build failed: nothing is moved
    nothing = cluster._start_preload()
    assert nothing is not None
    nothing.result(timeout=5)
    assert len(moved) == 2


def test_the_node_images_are_imported_beside_the_control_plane_and_before_the_kubelet(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pause, CoreDNS and helper images move to the node while the API server boots (they took 4.6 s
    before anything else could start); the kubelet, which would try to pull a missing one, starts after."""
    import threading
    import time

    from harness.clusters import local

    cluster = local.LocalCluster(state_dir=tmp_path / "local-cluster")
    events: list[str] = []
    apiserver_waited = threading.Event()

    def import_node_images() -> None:
        assert apiserver_waited.wait(5), "the import blocked the wait for the API server"
        time.sleep(0.2)  # slower than starting the other components
        events.append("node images imported")

    def wait_healthy(component: Any) -> None:
        if component.name == "kube-apiserver":
            apiserver_waited.set()

    monkeypatch.setattr(local.local_build, "is_built", lambda: True)
    for name in ("_check_layout", "_prepare_host", "_write_config", "_apply_addons", "_wait_node_registered"):
        monkeypatch.setattr(cluster, name, lambda: None)
    monkeypatch.setattr(cluster, "_wait_ready", lambda: None)
    monkeypatch.setattr(cluster, "_ensure_node_images", import_node_images)
    monkeypatch.setattr(cluster, "_start", lambda component: events.append(f"start {component.name}"))
    monkeypatch.setattr(cluster, "_wait_healthy", wait_healthy)
    monkeypatch.setattr(cluster, "info", lambda: None)
    cluster._ensure_up()
    assert events.index("node images imported") < events.index("start kubelet")
    assert events.index("start kube-scheduler") < events.index("node images imported")


def _timed_run(
    tmp_path: Path, background: float | None, teardown: float = 9.0
) -> tuple[ClusterUse, list[Any]]:
    """Five scenarios that need no cluster (10, 2, 3, 4 and 5 s in the last run), one tagged @restores_beside
    whose restore took `teardown` s, two more that need the cluster."""
    use = ClusterUse(tmp_path / "use.json")
    free = {"a": 10.0, "b": 2.0, "c": 3.0, "d": 4.0, "e": 5.0}
    use.known = {f"features/d.feature::test_{n}": False for n in free}
    use.known |= {f"features/r.feature::test_{n}": True for n in ("upgrade", "scale", "read")}
    use.timing.scenario = {f"features/d.feature::test_{n}": s for n, s in free.items()}
    use.timing.scenario["features/r.feature::test_upgrade"] = 25.0
    use.timing.restore = {"features/r.feature::test_upgrade": teardown}
    use.timing.background = background
    items = [_item(f"features/d.feature::test_{n}") for n in free]
    items += [
        _item("features/r.feature::test_read"),
        _item("features/r.feature::test_scale", replaces_pods=True),
        _item("features/r.feature::test_upgrade", replaces_pods=True, restores_beside=True),
    ]
    return use, items


def _names(items: list[Any]) -> list[str]:
    return [i.nodeid.split("::test_")[1] for i in items]


def test_scenarios_that_need_no_cluster_fill_the_restore_a_tagged_scenario_leaves_rolling(
    tmp_path: Path,
) -> None:
    """The last cluster-free scenarios that fit in the upgrade's 9 s restore run right after it, as long as
    those left before it still outlast the background stages (14 s): e (5 s) and d (4 s) move; c would
    overrun the 9 s."""
    use, items = _timed_run(tmp_path, background=14.0)
    order_items(items, use)
    assert _names(items) == ["a", "b", "c", "upgrade", "d", "e", "scale", "read"]


def test_the_background_keeps_enough_scenarios_in_front(tmp_path: Path) -> None:
    """With the background taking 20 s of the 24 s in front: moving e (5 s) would leave 19 s, too few; d
    (4 s) leaves 20 s and moves alone."""
    use, items = _timed_run(tmp_path, background=20.0)
    order_items(items, use)
    assert _names(items) == ["a", "b", "c", "e", "upgrade", "d", "scale", "read"]


@pytest.mark.parametrize("background", [None, 100.0])
def test_nothing_moves_without_a_timed_run_or_room(tmp_path: Path, background: float | None) -> None:
    use, items = _timed_run(tmp_path, background=background)
    order_items(items, use)
    assert _names(items) == ["a", "b", "c", "d", "e", "upgrade", "scale", "read"]


def test_nothing_moves_when_a_scenario_that_needs_no_cluster_was_never_timed(tmp_path: Path) -> None:
    use, items = _timed_run(tmp_path, background=14.0)
    del use.timing.scenario["features/d.feature::test_c"]
    order_items(items, use)
    assert _names(items) == ["a", "b", "c", "d", "e", "upgrade", "scale", "read"]


def test_a_run_records_the_seconds_the_next_run_orders_by(tmp_path: Path) -> None:
    use = ClusterUse(tmp_path / "cache" / "use.json")
    use.record("features/d.feature::test_a", ["built_images"])
    for seconds in (0.5, 3.0, 1.5):  # setup, call, teardown
        use.timing_now.add("features/d.feature::test_a", seconds)
    use.timing_now.restore["features/r.feature::test_upgrade"] = 9.5
    use.timing_now.background = 30.0
    use.save()
    again = ClusterUse(tmp_path / "cache" / "use.json")
    assert again.timing.scenario == {"features/d.feature::test_a": 5.0}
    assert again.timing.restore == {"features/r.feature::test_upgrade": 9.5}
    assert again.timing.background == 30.0


def test_a_cluster_free_scenario_after_the_tagged_one_stays_where_it_is(tmp_path: Path) -> None:
    """An @at_end scenario that needs no cluster runs last: it is neither moved nor counted in front."""
    use, items = _timed_run(tmp_path, background=14.0)
    items.append(_item("features/d.feature::test_z", at_end=True))
    use.known["features/d.feature::test_z"] = False
    use.timing.scenario["features/d.feature::test_z"] = 1.0
    order_items(items, use)
    assert _names(items) == ["a", "b", "c", "upgrade", "d", "e", "scale", "read", "z"]


def test_a_restore_left_unsettled_is_awaited_once_and_its_seconds_kept(tmp_path: Path) -> None:
    """HarnessSession.settle_restore, as the next cluster scenario's setup and the release's teardown call it:
    the rollout is awaited once, its seconds go to the next run's order; a restore that did not come back
    raises (naming it: ReleaseRestorer.settle), and is not awaited again."""
    from steps.session import HarnessSession

    settled: list[str] = []

    def restorer(fail: bool) -> Any:
        def settle() -> None:
            settled.append("settle")
            if fail:
                raise RuntimeError("release tcb did not come back from the restore after test_upgrade")

        return SimpleNamespace(
            settle=settle, restore_seconds=8.5, scenario="features/c.feature::test_upgrade"
        )

    hs: Any = SimpleNamespace(unsettled=restorer(False), cluster_use=ClusterUse(tmp_path / "use.json"))
    hs.record_restore = lambda r: HarnessSession.record_restore(hs, r)
    HarnessSession.settle_restore(hs)
    HarnessSession.settle_restore(hs)  # nothing left
    assert settled == ["settle"] and hs.unsettled is None
    assert hs.cluster_use.timing_now.restore == {"features/c.feature::test_upgrade": 8.5}
    hs.unsettled = restorer(True)
    with pytest.raises(RuntimeError, match="did not come back from the restore after test_upgrade"):
        HarnessSession.settle_restore(hs)
    assert hs.unsettled is None
