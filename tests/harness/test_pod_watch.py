"""The whole-run restart watch: every restart and OOM kill is remembered, in pods that later went away too."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from kubernetes.client import (
    V1Container,
    V1ContainerState,
    V1ContainerStateRunning,
    V1ContainerStateTerminated,
    V1ContainerStatus,
    V1ObjectMeta,
    V1Pod,
    V1PodList,
    V1PodSpec,
    V1PodStatus,
    V1Probe,
)

from harness.pod_watch import LIVENESS_SLACK_S, PodIncidentWatch, incidents_of, liveness_shortfall


def pod(name: str, restarts: int = 0, reason: str | None = None, hook: bool = False) -> V1Pod:
    last = (
        V1ContainerState(terminated=V1ContainerStateTerminated(exit_code=137, reason=reason))
        if reason
        else V1ContainerState()
    )
    return V1Pod(
        metadata=V1ObjectMeta(name=name, annotations={"helm.sh/hook": "test"} if hook else None),
        status=V1PodStatus(
            container_statuses=[
                V1ContainerStatus(
                    name="app", image="x", image_id="", ready=True, restart_count=restarts, last_state=last
                )
            ]
        ),
    )


class FakeCore:
    """list_namespaced_pod as the API answers it now (the watch thread itself is not started here)."""

    def __init__(self) -> None:
        self.items: list[V1Pod] = []

    def list_namespaced_pod(self, namespace: str, label_selector: Any = None, **_: Any) -> V1PodList:
        return V1PodList(items=list(self.items))


def test_a_quiet_pod_has_no_incident_and_a_restart_or_oom_kill_is_one() -> None:
    assert incidents_of(pod("a")) == []
    (restart,) = incidents_of(pod("b", restarts=1, reason="Error"))
    assert (restart.pod, restart.restarts, restart.reason) == ("b", 1, "Error")
    (oom,) = incidents_of(pod("c", restarts=0, reason="OOMKilled"))
    assert oom.reason == "OOMKilled"


def test_a_restart_in_a_pod_that_was_replaced_since_is_still_reported() -> None:
    """What a single reading at the end misses: the restarted pod is gone when the run ends."""
    core = FakeCore()
    watch = PodIncidentWatch(core, "ns")
    watch.observe(pod("backend-1", restarts=1, reason="Error"))  # seen while the run went on
    core.items = [pod("backend-2")]  # replaced (a rollout, a deletion) before the end
    incidents = watch.incidents()
    assert [str(i) for i in incidents] == [
        "backend-1 container app: 1 restart(s), last run ended Error (exit 137)"
    ]
    assert watch.pods_seen == 2


def test_helm_test_pods_are_not_counted() -> None:
    watch = PodIncidentWatch(FakeCore(), "ns")
    watch.observe(pod("tcb-test-backend", restarts=0, reason="Error", hook=True))
    assert watch.incidents() == []


def running_pod(component: str, started: datetime, *, probe: bool = True, phase: str = "Running") -> V1Pod:
    liveness = V1Probe(period_seconds=10, failure_threshold=3, timeout_seconds=3) if probe else None
    return V1Pod(
        metadata=V1ObjectMeta(name=f"{component}-x", labels={"app.kubernetes.io/component": component}),
        spec=V1PodSpec(containers=[V1Container(name="app", liveness_probe=liveness)]),
        status=V1PodStatus(
            phase=phase,
            container_statuses=[
                V1ContainerStatus(
                    name="app",
                    image="x",
                    image_id="",
                    ready=True,
                    restart_count=0,
                    state=V1ContainerState(running=V1ContainerStateRunning(started_at=started)),
                )
            ],
        ),
    )


def test_no_restart_is_conclusive_only_once_a_failing_liveness_probe_would_have_restarted_the_container() -> (
    None
):
    """A short run (one criterion's scenarios) ends before a liveness probe that always fails (a typo in its
    path) has restarted anything: 'no restarts' is judged only after each container lived that long."""
    now = datetime(2026, 11, 30, tzinfo=UTC)
    window = 10 * 3 + 3 + LIVENESS_SLACK_S
    young = running_pod("backend", now - timedelta(seconds=20))
    assert liveness_shortfall([young], now) == {"backend/app": pytest.approx(window - 20)}
    # one pod of the component that lived the whole window is enough: that one would have been restarted
    old = running_pod("backend", now - timedelta(seconds=window + 1))
    assert liveness_shortfall([young, old], now) == {}
    # a container without a liveness probe, or a pod that is not running, asks for no wait
    assert liveness_shortfall([running_pod("postgres", now, probe=False)], now) == {}
    assert liveness_shortfall([running_pod("chatbot", now, phase="Pending")], now) == {}
