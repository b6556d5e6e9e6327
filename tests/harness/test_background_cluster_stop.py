"""The cluster a run started is stopped beside the end-of-run reports, not before them: the teardown runs in a
thread from the last scenario's teardown, and pytest waits for it after every other end-of-run hook. A
teardown that fails (or does not end) still fails the run. Run in a separate pytest with the plugin and a
stand-in cluster whose teardown takes a moment and says when it ended."""

from __future__ import annotations

import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from harness.clusters.base import ClusterInfo
from harness.clusters.select import TargetChoice
from harness.paths import REPO
from harness.timeouts import DEFAULT_TIMEOUTS

CONFTEST = """
import os
import time
from pathlib import Path

import pytest

from harness.clusters.base import ClusterInfo
from harness.clusters.select import TargetChoice

MARKS = Path(os.environ["MARKS"])


class StandInCluster:
    name = "local"

    def ensure_up(self):
        return ClusterInfo("local", Path("/nonexistent/kubeconfig"), None, "127.0.0.1", True)

    def teardown(self):
        MARKS.joinpath("teardown-started").write_text(str(time.time()))
        time.sleep(float(os.environ.get("TEARDOWN_SECONDS", "1")))
        if os.environ.get("TEARDOWN_FAILS"):
            raise RuntimeError("umount: target is busy")
        MARKS.joinpath("teardown-ended").write_text(str(time.time()))


@pytest.fixture(scope="session")
def cluster_target(harness_session):
    harness_session.choice = TargetChoice(cluster=StandInCluster(), reason="stand-in")
    return harness_session.choice


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session):
    # stands for the report writing and the Chromium check (trylast hooks of steps/reporting.py)
    MARKS.joinpath("reports-written").write_text(str(time.time()))
"""

TESTS = """
def test_uses_the_cluster(cluster_info):
    assert cluster_info.started_by_us
"""


def _run(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, **env: str) -> tuple[Any, Path]:
    marks = pytester.path / "marks"
    marks.mkdir()
    monkeypatch.setenv("PYTHONPATH", str(REPO))
    monkeypatch.setenv("MARKS", str(marks))
    monkeypatch.delenv("TCB_KEEP_CLUSTER", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_sample=TESTS)
    result = pytester.runpytest_subprocess(
        "-p", "steps.plugin", "--report-dir", str(pytester.path / "out"), "-p", "no:cacheprovider"
    )
    return result, marks


def _at(marks: Path, name: str) -> float:
    return float((marks / name).read_text())


def test_the_teardown_runs_beside_the_reports_and_ends_before_pytest_exits(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    result, marks = _run(pytester, monkeypatch, TEARDOWN_SECONDS="1.5")
    assert result.ret == 0, result.stdout.str()
    # the reports were written while the teardown ran (it started first, ended after) ...
    assert _at(marks, "teardown-started") < _at(marks, "reports-written") < _at(marks, "teardown-ended")


def test_a_failed_teardown_fails_the_run_and_says_why(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    result, marks = _run(pytester, monkeypatch, TEARDOWN_SECONDS="0.2", TEARDOWN_FAILS="1")
    assert result.ret == pytest.ExitCode.TESTS_FAILED, result.stdout.str()
    assert (
        "the cluster's teardown failed: umount: target is busy" in result.stderr.str() + result.stdout.str()
    )
    assert (marks / "reports-written").exists()


def test_a_teardown_that_does_not_end_is_reported_with_what_it_waited_for() -> None:
    from steps.session import HarnessSession

    hs: Any = SimpleNamespace(
        info=None, cluster_stop=None, timeouts=DEFAULT_TIMEOUTS.scaled(0.001)
    )  # cluster_teardown: 0.18 s
    HarnessSession.stop_cluster_in_background(hs, lambda: time.sleep(1.0))
    problem = HarnessSession.wait_cluster_stopped(hs)
    assert problem is not None and "had not ended after 0 s" in problem and "tcb cluster status" in problem
    assert HarnessSession.wait_cluster_stopped(hs) is None  # waited for once


# --- the release is not uninstalled from a cluster that is stopped next ------------------------------------
class _Release:
    def __init__(self) -> None:
        self.uninstalled: list[bool] = []
        self.secret_values: list[str] = []

    def uninstall(self, wait: bool = True) -> None:
        self.uninstalled.append(wait)


class _Request:
    def __init__(self) -> None:
        self.finalizers: list[Any] = []
        self.session = SimpleNamespace(items=[])

    def addfinalizer(self, fn: Any) -> None:
        self.finalizers.append(fn)

    def getfixturevalue(self, name: str) -> dict[str, Any]:
        return {}


@pytest.mark.parametrize(("reuse", "uninstalls"), [(False, False), (True, True)])
def test_the_release_is_uninstalled_only_from_a_cluster_that_stays(
    monkeypatch: pytest.MonkeyPatch, reuse: bool, uninstalls: bool
) -> None:
    import harness.pod_watch
    import harness.release
    from steps import fixtures

    rel = _Release()
    monkeypatch.delenv("TCB_KEEP_CLUSTER", raising=False)
    monkeypatch.setattr(harness.release, "install_release", lambda *a, **k: rel)
    stopped: list[bool] = []
    watch = SimpleNamespace(stop=lambda: stopped.append(True))
    monkeypatch.setattr(
        harness.pod_watch, "PodIncidentWatch", lambda *a: SimpleNamespace(start=lambda: watch)
    )
    hs: Any = SimpleNamespace(
        attach=False,
        namespace="tcb-x",
        release_name="tcb",
        release=None,
        timeouts=DEFAULT_TIMEOUTS,
        deleting_namespaces=[],
        values_files=lambda: [],
        keep_everything=lambda session: False,
        early=None,
        pod_watch=None,
        second_release_install=None,
        secret_values=set(),
        unsettled=None,  # no restore left to wait for
    )
    info = ClusterInfo("local", Path("/nonexistent/kubeconfig"), None, "127.0.0.1", True)
    choice = TargetChoice(cluster=SimpleNamespace(name="local"), reason="ok", reuse=reuse)  # type: ignore[arg-type]
    request = _Request()
    k8s: Any = SimpleNamespace(core=None, namespace_exists=lambda ns: True)
    gen = fixtures.release.__wrapped__(request, hs, choice, info, k8s)  # type: ignore[attr-defined]
    assert next(gen) is rel
    for finalizer in reversed(request.finalizers):  # as pytest runs them
        finalizer()
    assert rel.uninstalled == ([False] if uninstalls else [])
    assert hs.deleting_namespaces == (["tcb-x"] if uninstalls else [])
    assert stopped == [True]  # the restart watch ends either way
