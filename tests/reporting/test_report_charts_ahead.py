"""A load chart drawn as soon as its scenario ends (from the trace file and the steps as the run recorded
them) is what the report shows at the end, without drawing it again there; a drawing made from other inputs
is never shown (the report draws anew)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from harness.report import html, load_run, plots
from harness.report.outputs import LOAD_TRACE, Scenario


def _loaded(run_dir: Path) -> tuple[Scenario, Path, list[dict[str, Any]]]:
    """The scenario with a load trace, its trace file and its steps as timeline.json holds them (what the
    recorder has in memory when the scenario ends)."""
    run = load_run(run_dir)
    scenario = next(s for s in run.scenarios if s.load_trace is not None)
    trace = next(e.path for e in scenario.evidence if e.name == LOAD_TRACE and e.path is not None)
    timeline = json.loads((run_dir / "timeline.json").read_text())
    steps = next(
        v["steps"]
        for nodeid, v in timeline["scenarios"].items()
        if nodeid.endswith(scenario.key.split("::")[1])
    )
    return scenario, trace, steps


@pytest.fixture
def drawings(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The titles of the charts actually drawn (ahead or at the report)."""
    drawn: list[str] = []
    draw = plots._draw_load_chart

    def counted(trace: plots.LoadTrace, title: str, bucket: float) -> str:
        drawn.append(title)
        return draw(trace, title, bucket)

    monkeypatch.setattr(plots, "_draw_load_chart", counted)
    monkeypatch.setattr(plots, "_drawn", {})
    return drawn


def test_the_report_takes_the_chart_drawn_when_its_scenario_ended(run_dir: Path, drawings: list[str]) -> None:
    scenario, trace, steps = _loaded(run_dir)
    assert any(step.get("ended") for step in steps), "the recorded run has no step clock for the scenario"
    html.draw_load_chart_ahead(scenario.name, trace, steps)
    assert len(drawings) == 1
    chart = html.load_chart(scenario)
    assert chart is not None and len(drawings) == 1  # taken, not drawn again
    plots._drawn.clear()
    again = html.load_chart(scenario)  # the same chart drawn at the end, as before
    assert again is not None and again.src == chart.src and len(drawings) == 2


def test_a_chart_drawn_from_other_inputs_is_not_shown(run_dir: Path, drawings: list[str]) -> None:
    """Seeded: the steps' clock recorded differently (a Then step ending 5 s into the load) gives another
    event; the report misses the drawing made ahead and draws the chart of its own inputs."""
    scenario, trace, steps = _loaded(run_dir)
    started = datetime.fromisoformat(json.loads(trace.read_text())["started"]).timestamp()
    shifted = [dict(step) for step in steps]
    last = max(i for i, step in enumerate(shifted) if step.get("ended") and step.get("type") != "given")
    shifted[last]["ended"] = started + 5.0
    html.draw_load_chart_ahead(scenario.name, trace, shifted)
    assert plots._drawn and len(drawings) == 1
    chart = html.load_chart(scenario)
    assert chart is not None and len(drawings) == 2  # drawn again, from the report's own inputs
    plots._drawn.clear()
    fresh = html.load_chart(scenario)
    assert fresh is not None and fresh.src == chart.src


def test_a_chart_waits_for_the_load_under_way_and_not_past_the_sessions_end(tmp_path: Path) -> None:
    """Drawn only once no load run is under way (it would slow the requests the next chart shows); at the
    session's end it stops waiting (a load that never ended must not hold the report for 10 minutes)."""
    import threading

    from harness.load import LOAD_RUNS
    from steps.reporting import _draw_load_chart

    ending = threading.Event()
    LOAD_RUNS.started()  # a load run under way
    try:
        job = threading.Thread(target=_draw_load_chart, args=("x", tmp_path / "none.json", [], ending))
        job.start()
        job.join(1.5)
        assert job.is_alive()  # waiting for the load
        ending.set()
        job.join(3.0)
        assert not job.is_alive()
    finally:
        LOAD_RUNS.ended()
