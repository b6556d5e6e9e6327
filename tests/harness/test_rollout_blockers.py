"""A rollout wait ends early, with the reason, when a pod shows the rollout cannot succeed — and only then."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from kubernetes.client import (
    V1ContainerState,
    V1ContainerStateTerminated,
    V1ContainerStateWaiting,
    V1ContainerStatus,
    V1ObjectMeta,
    V1Pod,
    V1PodCondition,
    V1PodStatus,
)

from harness.k8s import BlockerTracker, rollout_blockers


def status(
    name: str = "backend",
    *,
    waiting: str | None = None,
    restarts: int = 0,
    last_terminated: str | None = None,
    message: str | None = None,
) -> V1ContainerStatus:
    return V1ContainerStatus(
        name=name,
        image="backend:abc",
        image_id="",
        ready=waiting is None,
        restart_count=restarts,
        state=V1ContainerState(waiting=V1ContainerStateWaiting(reason=waiting, message=message))
        if waiting
        else V1ContainerState(),
        last_state=V1ContainerState(
            terminated=V1ContainerStateTerminated(exit_code=137, reason=last_terminated)
        )
        if last_terminated
        else V1ContainerState(),
    )


def pod(
    *statuses: V1ContainerStatus,
    init: list[V1ContainerStatus] | None = None,
    conditions: list[V1PodCondition] | None = None,
    deleting: bool = False,
) -> V1Pod:
    return V1Pod(
        metadata=V1ObjectMeta(
            name="tcb-backend-1", deletion_timestamp=datetime.now(UTC) if deleting else None
        ),
        status=V1PodStatus(
            phase="Running",
            container_statuses=list(statuses),
            init_container_statuses=init,
            conditions=conditions,
        ),
    )


def test_a_healthy_or_starting_pod_is_no_blocker() -> None:
    assert rollout_blockers(pod(status())) == []
    assert rollout_blockers(pod(status(waiting="ContainerCreating"))) == []
    assert rollout_blockers(pod(status(restarts=1))) == []  # one restart: could be a slow dependency


def test_each_sign_of_a_rollout_that_cannot_succeed_is_named() -> None:
    cases: dict[str, Any] = {
        "CrashLoopBackOff": pod(status(waiting="CrashLoopBackOff", restarts=1, message="back-off 10s")),
        "ErrImageNeverPull": pod(status(waiting="ErrImageNeverPull")),
        "ImagePullBackOff": pod(status(waiting="ImagePullBackOff")),
        "CreateContainerConfigError": pod(status(waiting="CreateContainerConfigError")),
        "OOMKilled": pod(status(last_terminated="OOMKilled", restarts=1)),
        "restarted 2 times": pod(status(restarts=2)),
        "container wait-for-db restarted 3 times": pod(status(), init=[status("wait-for-db", restarts=3)]),
    }
    for expected, case in cases.items():
        found = rollout_blockers(case)
        assert len(found) == 1 and expected in found[0] and found[0].startswith("tcb-backend-1:"), (
            expected,
            found,
        )


def test_a_terminating_pod_is_ignored() -> None:
    assert rollout_blockers(pod(status(waiting="CrashLoopBackOff"), deleting=True)) == []


def test_an_unschedulable_pod_blocks_only_after_the_grace_period() -> None:
    unschedulable = pod(
        conditions=[
            V1PodCondition(
                type="PodScheduled",
                status="False",
                reason="Unschedulable",
                message="0/1 nodes: Insufficient cpu",
            )
        ]
    )
    tracker = BlockerTracker(grace=30)
    assert tracker.update([unschedulable], now=100.0) == []
    assert tracker.update([unschedulable], now=120.0) == []
    found = tracker.update([unschedulable], now=131.0)
    assert found and "unschedulable for 31s" in found[0] and "Insufficient cpu" in found[0]
    # scheduled in between: the clock starts again
    assert tracker.update([pod(status())], now=140.0) == []
    assert tracker.update([unschedulable], now=150.0) == []
