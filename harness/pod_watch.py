"""Watch every pod of a namespace for the whole run and remember each container restart and OOM kill.

A restart count read once at the end misses what happened to pods that were replaced meanwhile (a rollout,
a deleted pod, a scale-down) and what happened before the reading; this watch sees every pod the namespace
ever had, from before the install to the end of the run.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kubernetes import watch

from harness.log import get_logger

log = get_logger("pod-watch")


@dataclass(frozen=True)
class ContainerIncident:
    pod: str
    container: str
    restarts: int  # the highest restart count seen
    reason: str  # why its last run ended (OOMKilled, Error, …), or "" if not known
    exit_code: int | None
    init: bool = False

    def __str__(self) -> str:
        kind = "init container" if self.init else "container"
        why = f", last run ended {self.reason}" if self.reason else ""
        code = f" (exit {self.exit_code})" if self.exit_code is not None else ""
        return f"{self.pod} {kind} {self.container}: {self.restarts} restart(s){why}{code}"


def incidents_of(pod: Any) -> list[ContainerIncident]:
    """Restarts and OOM kills of one pod's containers, as its status shows them now."""
    found = []
    for init, statuses in (
        (True, pod.status.init_container_statuses or []),
        (False, pod.status.container_statuses or []),
    ):
        for status in statuses:
            ended = [
                t
                for t in (
                    status.last_state.terminated if status.last_state else None,
                    status.state.terminated if status.state else None,
                )
                if t is not None
            ]
            oom = next((t for t in ended if t.reason == "OOMKilled"), None)
            if not status.restart_count and oom is None:
                continue
            last = oom or (ended[0] if ended else None)
            found.append(
                ContainerIncident(
                    pod=pod.metadata.name,
                    container=status.name,
                    restarts=int(status.restart_count or 0),
                    reason=str(last.reason or "") if last else "",
                    exit_code=int(last.exit_code) if last and last.exit_code is not None else None,
                    init=init,
                )
            )
    return found


# after the startup probe passed: its last period and a scheduling/probe jitter on a busy 2-core node
LIVENESS_SLACK_S = 10.0


def liveness_window(probe: Any) -> float:
    """Seconds from a container's start until a liveness probe that always fails has restarted it:
    its initial delay, failureThreshold periods, the last probe's timeout, and slack for the startup probe."""
    period = float(probe.period_seconds or 10)
    return (
        float(probe.initial_delay_seconds or 0)
        + period * float(probe.failure_threshold or 3)
        + float(probe.timeout_seconds or 1)
        + LIVENESS_SLACK_S
    )


def liveness_shortfall(pods: list[Any], now: datetime) -> dict[str, float]:
    """For each (component, container) with a liveness probe: how many more seconds until at least one of its
    running containers has lived long enough for a failing liveness probe to have restarted it. Only the
    entries still short are returned; {} means restarts (or their absence) are conclusive now."""
    best: dict[str, float] = {}
    for pod in pods:
        if pod.status.phase != "Running" or pod.metadata.deletion_timestamp is not None:
            continue
        component = (pod.metadata.labels or {}).get("app.kubernetes.io/component", pod.metadata.name)
        probes = {c.name: c.liveness_probe for c in pod.spec.containers if c.liveness_probe is not None}
        for status in pod.status.container_statuses or []:
            probe = probes.get(status.name)
            if probe is None:
                continue
            key = f"{component}/{status.name}"
            running = status.state.running if status.state else None
            lived = (now - running.started_at).total_seconds() if running and running.started_at else 0.0
            best[key] = min(best.get(key, float("inf")), max(0.0, liveness_window(probe) - lived))
    return {key: short for key, short in best.items() if short > 0}


class PodIncidentWatch:
    """A background watch of the namespace's pods; `incidents()` lists every container that restarted or was
    OOM-killed at any time since `start()`, including in pods that no longer exist."""

    def __init__(self, core_api: Any, namespace: str, label_selector: str | None = None) -> None:
        self.core = core_api
        self.namespace = namespace
        self.selector = label_selector
        self._seen: dict[tuple[str, str, bool], ContainerIncident] = {}
        self._pods_seen: set[str] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._watch: watch.Watch | None = None
        self.errors = 0

    def start(self) -> PodIncidentWatch:
        self._thread = threading.Thread(target=self._run, name=f"pod-watch-{self.namespace}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._watch is not None:
            self._watch.stop()
        if self._thread is not None:
            self._thread.join(timeout=10)  # the thread of a watch just stopped: ends at once, not a wait

    def observe(self, pod: Any) -> None:
        """Record what one pod's status shows (the watch calls this; so does `sweep`)."""
        if self.selector is None and "helm.sh/hook" in (pod.metadata.annotations or {}):
            return  # helm test pods end on purpose; a failed one is helm test's verdict, not a restart
        with self._lock:
            self._pods_seen.add(pod.metadata.name)
            for incident in incidents_of(pod):
                key = (incident.pod, incident.container, incident.init)
                old = self._seen.get(key)
                if old is None or incident.restarts > old.restarts or (incident.reason and not old.reason):
                    if old is None or incident.restarts > old.restarts:
                        log.info("pod incident: %s", incident)
                    self._seen[key] = incident

    def sweep(self) -> None:
        """One read of every pod now: what the watch may not have delivered yet."""
        for pod in self.core.list_namespaced_pod(self.namespace, label_selector=self.selector).items:
            self.observe(pod)

    def incidents(self) -> list[ContainerIncident]:
        self.sweep()
        with self._lock:
            return sorted(self._seen.values(), key=lambda i: (i.pod, i.init, i.container))

    @property
    def pods_seen(self) -> int:
        with self._lock:
            return len(self._pods_seen)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._watch = watch.Watch()
            try:
                for event in self._watch.stream(
                    self.core.list_namespaced_pod,
                    self.namespace,
                    label_selector=self.selector,
                    resource_version="0",  # from the watch cache (see K8s.wait_for_rollout)
                    timeout_seconds=60,  # the server ends each watch then and it is opened again: not a wait
                    _request_timeout=70,  # the socket's read bound: timeout_seconds and slack, not a wait
                ):
                    self.observe(event["object"])
                    if self._stop.is_set():
                        break
            except Exception as exc:  # a dropped watch is re-opened; sweep() at the end closes any gap
                self.errors += 1
                log.info("pod watch of %s re-opened after %s: %s", self.namespace, type(exc).__name__, exc)
                self._stop.wait(1)
            finally:
                self._watch.stop()
            if not self._stop.is_set():
                try:
                    self.sweep()
                except Exception as exc:
                    log.info("pod sweep of %s failed: %s", self.namespace, exc)
                    time.sleep(1)
