"""Release.test_checks without a cluster: the checks a scenario asks for are read as soon as they have ended,
while `helm test` still runs the test pod's other checks; the last run's pod is never read as this run's; a
`helm test` that ends without those checks ending stops the wait with its output."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from kubernetes.client.exceptions import ApiException

from harness.clusters.base import ClusterInfo
from harness.release import Release
from harness.waits import WaitStopped


def _container(name: str, exit_code: int | None) -> Any:
    terminated = None if exit_code is None else SimpleNamespace(exit_code=exit_code)
    return SimpleNamespace(name=name, state=SimpleNamespace(terminated=terminated))


def _pod(uid: str, **checks: int | None) -> Any:
    statuses = [_container(name, code) for name, code in checks.items()]
    return SimpleNamespace(
        metadata=SimpleNamespace(uid=uid, name="tcb-test"),
        status=SimpleNamespace(container_statuses=statuses),
    )


class _Cluster:
    """The test pod as the API shows it: the last run's until helm creates this run's, whose backend check
    fails at once while the frontend's keeps retrying until `frontend_ends` is set."""

    def __init__(self) -> None:
        self.started = threading.Event()
        self.frontend_ends = threading.Event()
        self.core = self

    def read_namespaced_pod(self, name: str, namespace: str) -> Any:
        if not self.started.is_set():
            return _pod("last-run", backend=0, frontend=0)
        return _pod("this-run", backend=1, frontend=0 if self.frontend_ends.is_set() else None)

    def logs(self, namespace: str, pod: str, container: str | None = None) -> str:
        return f"{container}: GET … -> None ConnectionRefusedError"


class _Helm:
    def __init__(self, cluster: _Cluster, creates_pod: bool = True) -> None:
        self.cluster, self.creates_pod = cluster, creates_pod
        self.returned = threading.Event()

    def test_hooks(self, release: str, namespace: str) -> list[Any]:
        return [SimpleNamespace(name="tcb-test")]

    def run_tests(self, release: str, namespace: str, timeout: float) -> Any:
        time.sleep(0.3)
        if self.creates_pod:
            self.cluster.started.set()
            self.cluster.frontend_ends.wait(10)  # helm waits for the whole pod
        self.returned.set()
        return SimpleNamespace(returncode=1, stdout="", stderr="Error: pod tcb-test failed")


def _release(cluster: _Cluster, helm: _Helm) -> Release:
    rel = Release(ClusterInfo("local", Path("/k"), None, "127.0.0.1", True), cluster, "tcb", "ns")  # type: ignore[arg-type]
    fake: Any = helm
    rel.helm = lambda: fake  # type: ignore[method-assign]
    return rel


def test_a_failed_check_is_read_while_helm_test_still_runs_the_others() -> None:
    cluster = _Cluster()
    helm = _Helm(cluster)
    results, run = _release(cluster, helm).test_checks(["backend"], timeout=10)
    assert [(r.name, r.phase) for r in results] == [("tcb-test/backend", "Failed")]
    assert "ConnectionRefusedError" in results[0].log
    assert not helm.returned.is_set(), "read only after helm test had ended: the early read did nothing"
    cluster.frontend_ends.set()
    run.join(5)
    assert helm.returned.is_set()


def test_the_last_runs_pod_is_not_this_runs_result() -> None:
    """Before helm replaces it, the last run's pod (all checks passed) is still there: it must not be read."""
    cluster = _Cluster()
    results, run = _release(cluster, _Helm(cluster)).test_checks(["backend"], timeout=10)
    assert results[0].phase == "Failed"
    cluster.frontend_ends.set()
    run.join(5)


def test_helm_test_that_ends_without_the_check_stops_the_wait_with_its_output() -> None:
    cluster = _Cluster()
    with pytest.raises(WaitStopped, match="helm test ended") as stopped:
        _release(cluster, _Helm(cluster, creates_pod=False)).test_checks(["backend"], timeout=10)
    assert "pod tcb-test failed" in str(stopped.value)


def test_a_missing_test_pod_is_waited_for_and_other_api_errors_are_raised() -> None:
    cluster = _Cluster()

    def refused(name: str, namespace: str) -> Any:
        raise ApiException(status=403, reason="Forbidden")

    cluster.read_namespaced_pod = refused  # type: ignore[method-assign]
    with pytest.raises(ApiException):
        _release(cluster, _Helm(cluster)).test_checks(["backend"], timeout=2)
