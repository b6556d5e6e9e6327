"""The events on a scenario's load chart come from its own steps (timeline.json's wall clock): each When and
Then step that ended while the load ran, and where a long When step (a scale, an upgrade, a restart waiting
for its rollout) began — the disruption issued, not only its end. The load trace itself carries none: the
acceptance steps mark nothing on the generator."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from harness.report.outputs import LOAD_TRACE, Evidence, Scenario, Step, _attach_load

T0 = datetime(2026, 11, 30, 1, 30, tzinfo=UTC).timestamp()  # the load's start


def _scenario(tmp_path: Path, steps: list[Step]) -> Scenario:
    trace = tmp_path / "load_trace.json"
    trace.write_text(
        json.dumps(
            {
                "started": datetime.fromtimestamp(T0, UTC).isoformat(timespec="milliseconds"),
                "duration_s": 60.0,
                "columns": ["t", "latency", "operation", "status", "ok"],
                "samples": [[0.1, 0.01, "read", 200, True]],
                "events": [],
            }
        )
    )
    scenario = Scenario("scaling.feature::test_x", "Scaling", "scaling.feature", "x", [], "passed")
    scenario.steps = steps
    scenario.evidence = [Evidence("json", LOAD_TRACE, trace)]
    return scenario


def _step(keyword: str, kind: str, name: str, started: float | None, ended: float | None) -> Step:
    return Step(
        keyword,
        name,
        "passed",
        0.0,
        started=None if started is None else T0 + started,
        ended=None if ended is None else T0 + ended,
        type=kind,
    )


STEPS = [
    _step("Given", "given", "load on the app through NodePort 30081", -3.0, 0.5),  # a Given: no event
    _step("When", "when", "a backend pod is deleted", 10.0, 10.2),  # short: its end only
    _step("Then", "then", "the backend Deployment has 2 Ready replicas", 10.2, 14.0),
    _step("When", "when", "the backend is scaled to 4 replicas with `tcb scale`", 20.0, 31.0),  # long
    _step("And", "then", "the backend Deployment has 4 Ready replicas", 31.0, 32.0),
    _step("Then", "then", "no request of the load failed", 32.0, 61.0),  # after the load stopped
]


def test_a_load_chart_marks_the_steps_that_ran_during_the_load(tmp_path: Path) -> None:
    scenario = _scenario(tmp_path, STEPS)
    _attach_load(scenario)
    assert scenario.load_events == [
        (10.2, "When a backend pod is deleted"),
        (14.0, "Then the backend Deployment has 2 Ready replicas"),
        (20.0, "When the backend is scaled to 4 replicas with `tcb scale`: began"),
        (31.0, "When the backend is scaled to 4 replicas with `tcb scale`: done"),
        (32.0, "And the backend Deployment has 4 Ready replicas"),
    ]
    assert scenario.load_trace is not None and scenario.load_trace["events"] == scenario.load_events


def test_without_the_steps_clock_the_chart_has_no_event(tmp_path: Path) -> None:
    """The check above can fail: a run whose timeline.json has no step times (steps never timed) gives a
    load chart with nothing marked."""
    untimed = [_step(s.keyword, s.type, s.name, None, None) for s in STEPS]
    scenario = _scenario(tmp_path, untimed)
    _attach_load(scenario)
    assert scenario.load_trace is not None and scenario.load_events == []
