"""The drain observer behind SC-023's drain step: how long a terminating pod kept answering, measured from
when it was first seen terminating. A stand-in API (pods and pod-proxy answers) drives it poll by poll."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from kubernetes.client import (
    V1Container,
    V1ContainerPort,
    V1ObjectMeta,
    V1Pod,
    V1PodCondition,
    V1PodList,
    V1PodSpec,
    V1PodStatus,
)

from harness.drain import DrainObserver


def pod(name: str, terminating: bool, ready: bool = True) -> V1Pod:
    return V1Pod(
        metadata=V1ObjectMeta(
            name=name, deletion_timestamp=datetime(2026, 11, 30, tzinfo=UTC) if terminating else None
        ),
        spec=V1PodSpec(containers=[V1Container(name="app", ports=[V1ContainerPort(container_port=8000)])]),
        status=V1PodStatus(conditions=[V1PodCondition(type="Ready", status=str(ready))]),
    )


class FakeK8s:
    def __init__(self) -> None:
        self.pods: list[V1Pod] = []
        self.serving: set[str] = set()
        self.core = self

    def list_namespaced_pod(self, namespace: str, label_selector: Any = None) -> V1PodList:
        return V1PodList(items=list(self.pods))

    def pod_get(self, namespace: str, name: str, port: int, path: str, timeout: float = 10) -> str:
        if name not in self.serving:
            raise ConnectionRefusedError(f"dial tcp {name}:{port}: connect: connection refused")
        return '{"status": "ok"}'


def test_a_pod_that_drains_is_measured_from_termination_to_its_last_answer() -> None:
    k8s = FakeK8s()
    k8s.pods = [pod("a", terminating=False), pod("b", terminating=False)]
    k8s.serving = {"a", "b"}
    observer = DrainObserver(k8s, "ns", "sel")
    observer.poll()
    assert observer.snapshot() == []  # nobody terminating: nobody probed
    k8s.pods = [pod("a", terminating=True), pod("b", terminating=False)]
    observer.poll()  # a: seen terminating, still answers
    time.sleep(0.3)
    observer.poll()  # a: answers 0.3 s later (its drain)
    k8s.serving.discard("a")
    observer.poll()
    assert not observer.snapshot()[0].ended  # one miss is not an end (a slow API server call)
    observer.poll()
    (a,) = observer.snapshot()
    assert a.ended and a.served_s >= 0.3 and "connection refused" in a.failures[-1]


def test_a_pod_that_stops_at_once_served_zero_seconds_and_a_vanished_pod_has_ended() -> None:
    k8s = FakeK8s()
    k8s.pods = [pod("a", terminating=False), pod("b", terminating=False), pod("old", terminating=True)]
    observer = DrainObserver(k8s, "ns", "sel")
    observer.poll()  # "old" was terminating before it was first seen (an earlier rollout): not timed
    k8s.pods = [pod("a", terminating=True), pod("b", terminating=False)]  # a: no drain, refuses at once
    observer.poll()
    observer.poll()
    k8s.pods = [pod("b", terminating=True)]
    k8s.serving = {"b"}
    observer.poll()
    k8s.pods = []  # b gone between two polls
    observer.poll()
    a, b = sorted(observer.snapshot(), key=lambda t: t.pod)
    assert (a.ended, a.served_s) == (True, 0.0)
    assert b.ended and b.failures[-1] == "pod gone" and b.served_s < 0.1  # answered once, at once


def test_a_pod_deleted_before_it_was_ever_ready_is_not_timed() -> None:
    """Scaling down removes unready pods first: one that never served has nothing to drain (it failed a CI
    run's drain check as "kept serving 0.0 s" in the making). A Ready pod deleted alongside it still is."""
    k8s = FakeK8s()
    k8s.pods = [pod("new", terminating=False, ready=False), pod("old", terminating=False)]
    observer = DrainObserver(k8s, "ns", "sel")
    observer.poll()
    k8s.pods = [pod("new", terminating=True, ready=False), pod("old", terminating=True)]
    observer.poll()
    observer.poll()
    (old,) = observer.snapshot()
    assert old.pod == "old" and old.ended and old.served_s == 0.0
