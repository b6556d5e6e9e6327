"""Watch pods of a component while they terminate, and measure how long each kept serving after it began to.

A pod that is deleted leaves its Service's endpoints at the moment it starts terminating, but every node's
kube-proxy drops it a little later; a pod that stops serving at once (no preStop drain) refuses the
connections routed to it meanwhile. On a single fast node that window can be too short for a load to hit,
so the drain is observed directly: each terminating pod is asked `/api/health` through the API server's pod
proxy until it stops answering or is gone.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

from harness.log import get_logger

log = get_logger("drain")


@dataclass
class Termination:
    pod: str
    began: float  # monotonic time this observer first saw the pod terminating
    last_answer: float | None = None  # the last time it answered /api/health after `began`
    ended: bool = False  # stopped answering (twice in a row: one slow API server call is not an end), or gone
    failures: list[str] = field(default_factory=list)
    misses: int = 0  # consecutive probes without an answer

    @property
    def served_s(self) -> float:
        """Seconds the pod kept answering after it began terminating (0 if it never answered again)."""
        return max(0.0, self.last_answer - self.began) if self.last_answer is not None else 0.0

    def __str__(self) -> str:
        state = "ended" if self.ended else "still terminating"
        why = f" (then: {self.failures[-1]})" if self.failures else ""
        return f"{self.pod}: kept serving {self.served_s:.1f} s after it began terminating, {state}{why}"


class DrainObserver:
    """Polls the pods matching `selector`; each one seen terminating is probed until it stops answering."""

    def __init__(self, k8s: Any, namespace: str, selector: str, interval: float = 0.25) -> None:
        self.k8s = k8s
        self.namespace = namespace
        self.selector = selector
        self.interval = interval
        self.terminations: dict[str, Termination] = {}
        self._ports: dict[str, int] = {}
        # pods seen Ready and not terminating: only their termination can be timed. A pod deleted before it
        # was ever Ready (scaling down removes unready pods first) never served, so it has nothing to drain.
        self._serving: set[str] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> DrainObserver:
        self._thread = threading.Thread(target=self._run, name=f"drain-{self.namespace}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)  # a poll loop just told to stop: ends within one poll, not a wait

    def snapshot(self) -> list[Termination]:
        with self._lock:
            return [
                Termination(t.pod, t.began, t.last_answer, t.ended, list(t.failures))
                for t in self.terminations.values()
            ]

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.poll()
            except Exception as exc:  # the API server busy for a moment: the next poll sees the same pods
                log.info("drain observer of %s: %s", self.namespace, exc)
            self._stop.wait(self.interval)

    def poll(self) -> None:
        pods = self.k8s.core.list_namespaced_pod(self.namespace, label_selector=self.selector).items
        present = set()
        for pod in pods:
            name = str(pod.metadata.name)
            present.add(name)
            if pod.spec.containers and pod.spec.containers[0].ports:
                self._ports[name] = int(pod.spec.containers[0].ports[0].container_port)
            if pod.metadata.deletion_timestamp is None:
                if _ready(pod):
                    self._serving.add(name)
                continue
            if name not in self._serving:
                continue  # terminating when first seen (an earlier rollout), or never Ready: nothing to time
            with self._lock:
                termination = self.terminations.setdefault(name, Termination(name, time.monotonic()))
            if not termination.ended:
                self._probe(termination)
        with self._lock:
            for termination in self.terminations.values():
                if termination.pod not in present and not termination.ended:
                    termination.ended = True
                    termination.failures.append("pod gone")

    def _probe(self, termination: Termination) -> None:
        port = self._ports.get(termination.pod)
        if port is None:
            return
        try:
            # one probe's bound (two misses in a row end the drain), not a wait
            self.k8s.pod_get(self.namespace, termination.pod, port, "api/health", timeout=2)
        except Exception as exc:
            with self._lock:
                termination.misses += 1
                termination.ended = termination.misses >= 2
                termination.failures.append(
                    f"{type(exc).__name__}: {(str(exc).splitlines() or [''])[0][:120]}"
                )
            return
        with self._lock:
            termination.last_answer = time.monotonic()
            termination.misses = 0


def _ready(pod: Any) -> bool:
    conditions = (pod.status.conditions if pod.status is not None else None) or []
    return any(c.type == "Ready" and c.status == "True" for c in conditions)
