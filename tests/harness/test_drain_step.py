"""The scale-down step "every backend pod the scale-down removed kept serving for at least 1 s after it began
terminating", against a stand-in observer whose pods drain as scripted: it passes as soon as every removed
pod has served the second (not when their 10 s drains end), fails on a pod that stopped answering sooner
(the catalogue's prestop-drain-removed), and waits for a pod that is still terminating below the second."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from harness.drain import Termination
from harness.timeouts import DEFAULT_TIMEOUTS
from steps import cluster_steps
from steps.evidence import Evidence


class _Observer:
    """Snapshots of terminations that change as time passes: `script(now) -> list[Termination]`."""

    def __init__(self, pods: dict[str, tuple[float, float | None]]) -> None:
        # pod -> (seconds it answers after it began terminating, seconds until it is gone or None: draining)
        self.pods = pods
        self.began = time.monotonic()

    def snapshot(self) -> list[Termination]:
        now = time.monotonic() - self.began
        seen = []
        for pod, (answers_for, gone_at) in self.pods.items():
            answered = min(now, answers_for)
            ended = gone_at is not None and now >= gone_at
            seen.append(Termination(pod, self.began, self.began + answered, ended))
        return seen


def _step(observer: _Observer, request: pytest.FixtureRequest, tmp_path: Path) -> float:
    started = time.monotonic()
    cluster_steps._kept_serving_while_terminating(
        observer,  # type: ignore[arg-type]
        "backend",
        1.0,
        DEFAULT_TIMEOUTS,
        Evidence(request.node, tmp_path / "evidence"),
    )
    return time.monotonic() - started


def test_decided_once_every_removed_pod_has_served_the_second(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    # both pods would drain for 10 s; the step must not wait for that
    observer = _Observer({"backend-a": (30.0, None), "backend-b": (30.0, None)})
    took = _step(observer, request, tmp_path)
    assert took < 5, f"waited {took:.1f} s: the rest of the drain cannot change the verdict"


def test_a_pod_that_stopped_answering_at_once_fails(request: pytest.FixtureRequest, tmp_path: Path) -> None:
    observer = _Observer({"backend-a": (30.0, None), "backend-b": (0.2, 0.4)})  # no preStop drain
    with pytest.raises(AssertionError, match="stopped serving less than 1 s"):
        _step(observer, request, tmp_path)


def test_a_pod_still_terminating_below_the_second_is_waited_for(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """Decided only once it has served the second: a pod that then stops early would fail, so the step
    cannot pass while a pod's verdict is open."""
    observer = _Observer({"backend-a": (0.6, 0.8)})
    done = threading.Event()
    errors: list[BaseException] = []

    def run() -> None:
        try:
            _step(observer, request, tmp_path)
        except BaseException as exc:
            errors.append(exc)
        done.set()

    threading.Thread(target=run, daemon=True).start()
    assert done.wait(10)
    assert errors and isinstance(errors[0], AssertionError), errors
