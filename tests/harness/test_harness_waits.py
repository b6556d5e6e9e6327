"""Waits say what they waited for and what they last saw; rollout completion follows kubectl's rules."""

from __future__ import annotations

import time

import pytest
from kubernetes.client import (
    V1Deployment,
    V1DeploymentCondition,
    V1DeploymentSpec,
    V1DeploymentStatus,
    V1LabelSelector,
    V1ObjectMeta,
    V1PodTemplateSpec,
    V1StatefulSet,
    V1StatefulSetSpec,
    V1StatefulSetStatus,
)

from harness.k8s import rollout_status
from harness.timeouts import DEFAULT_TIMEOUTS, Timeouts
from harness.waits import StopWaiting, WaitStopped, WaitTimeout, wait_until


def test_wait_timeout_names_what_and_the_last_observation():
    seen = iter(range(1000))
    with pytest.raises(WaitTimeout) as err:
        wait_until("the answer to be 42", lambda: (False, f"got {next(seen)}"), timeout=0.3, interval=0.05)
    message = str(err.value)
    assert message.startswith("timed out after 0s waiting for the answer to be 42; last seen: got ")
    assert err.value.what == "the answer to be 42"


def test_a_probe_exception_is_an_observation_not_a_crash():
    with pytest.raises(WaitTimeout, match="last seen: ConnectionRefusedError: refused"):
        wait_until("a port", _refuse, timeout=0.2, interval=0.05)


def _refuse() -> tuple[bool, str]:
    raise ConnectionRefusedError("refused")


def deployment(
    replicas: int,
    *,
    ready: int,
    updated: int,
    total: int,
    available: int,
    generation: int = 2,
    observed: int = 2,
    conditions: list | None = None,
) -> V1Deployment:
    return V1Deployment(
        metadata=V1ObjectMeta(name="tcb-backend", generation=generation),
        spec=V1DeploymentSpec(
            replicas=replicas, selector=V1LabelSelector(match_labels={"a": "b"}), template=V1PodTemplateSpec()
        ),
        status=V1DeploymentStatus(
            replicas=total,
            ready_replicas=ready,
            updated_replicas=updated,
            available_replicas=available,
            observed_generation=observed,
            conditions=conditions,
        ),
    )


def test_deployment_done_only_when_all_updated_available_and_no_old_replicas():
    assert rollout_status(deployment(2, ready=2, updated=2, total=2, available=2)) == (
        True,
        "2/2 ready, 2 updated, 2 total",
    )
    done, text = rollout_status(deployment(2, ready=2, updated=2, total=3, available=2))
    assert not done and text == "2/2 ready, 2 updated, 3 total"  # an old pod is still there
    assert not rollout_status(deployment(2, ready=1, updated=2, total=2, available=1))[0]
    done, text = rollout_status(deployment(2, ready=2, updated=2, total=2, available=2, observed=1))
    assert not done and text.endswith("new spec not yet observed")


def test_deployment_progress_deadline_is_reported():
    stuck = V1DeploymentCondition(
        type="Progressing",
        status="False",
        reason="ProgressDeadlineExceeded",
        message='ReplicaSet "tcb-backend-x" has timed out progressing.',
    )
    done, text = rollout_status(deployment(2, ready=1, updated=1, total=2, available=1, conditions=[stuck]))
    assert not done and "progress deadline exceeded" in text


def test_statefulset_done_when_ready_and_on_the_update_revision():
    def sts(ready: int, current: str) -> V1StatefulSet:
        return V1StatefulSet(
            metadata=V1ObjectMeta(name="tcb-postgres", generation=1),
            spec=V1StatefulSetSpec(
                replicas=1, selector=V1LabelSelector(), service_name="pg", template=V1PodTemplateSpec()
            ),
            status=V1StatefulSetStatus(
                replicas=1,
                ready_replicas=ready,
                updated_replicas=1,
                observed_generation=1,
                current_revision=current,
                update_revision="rev-2",
            ),
        )

    assert rollout_status(sts(1, "rev-2"))[0]
    assert not rollout_status(sts(0, "rev-2"))[0]
    assert not rollout_status(sts(1, "rev-1"))[0]


def test_a_probe_can_stop_the_wait_early_with_a_reason():
    calls = iter(range(1000))

    def probe() -> tuple[bool, str]:
        if next(calls) == 2:
            raise StopWaiting("process exited with 3", "last log line: boom")
        return False, "starting"

    started = time.monotonic()
    with pytest.raises(WaitStopped) as err:
        wait_until("the server to answer", probe, timeout=60, interval=0.01)
    assert time.monotonic() - started < 5, "the wait ran on after its probe said it cannot succeed"
    assert err.value.reason == "process exited with 3"
    assert str(err.value).startswith(
        "gave up waiting for the server to answer after 0s: process exited with 3"
    )
    assert "last log line: boom" in str(err.value)
    assert isinstance(err.value, WaitTimeout)  # callers that handle a timeout handle this too


def test_timeouts_come_from_the_options():
    timeouts = Timeouts.from_options(deploy_timeout=1200, scale=2)
    assert timeouts.install == 1200
    assert timeouts.rollout == 2 * DEFAULT_TIMEOUTS.rollout
    assert timeouts.pods_ready == 2 * DEFAULT_TIMEOUTS.pods_ready
    assert timeouts.recovery == 2 * DEFAULT_TIMEOUTS.recovery
    # a verdict's threshold stays: a scale below 1 must not judge a slow connection as denied
    assert Timeouts.from_options(scale=0.5).connect_denied == DEFAULT_TIMEOUTS.connect_denied
    assert Timeouts.from_options() == DEFAULT_TIMEOUTS
    with pytest.raises(ValueError, match="positive"):
        Timeouts.from_options(scale=0)
