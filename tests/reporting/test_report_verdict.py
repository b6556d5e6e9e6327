"""The report's verdict says what the run proved: a run of selected scenarios (`-k`, `-m`) that leaves
success criteria not run is a PARTIAL RUN, not PASSED, on the page and in the job summary."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.report.html import VERDICT_WORDS
from harness.report.outputs import Criterion, RunRecord, Scenario
from harness.report.summary import to_markdown


def _run(criteria: list[str], scenarios: list[str]) -> RunRecord:
    return RunRecord(
        report_dir=Path("reports"),
        run_info={},
        timings={},
        summary={},
        criteria=[
            Criterion(f"SC-0{16 + i}", "a criterion", status, "", [], 0.0)
            for i, status in enumerate(criteria)
        ],
        scenarios=[
            Scenario(f"f.feature::t{i}", "F", "f.feature", f"s{i}", [], st) for i, st in enumerate(scenarios)
        ],
        image_layers={},
        last_timings={},
        generated="now",
    )


@pytest.mark.parametrize(
    ("criteria", "scenarios", "verdict"),
    [
        (["passed", "passed"], ["passed", "passed"], "passed"),
        (["passed", "not run"], ["passed", "not run"], "partial run"),  # `pytest features/ -k …`
        (["not run", "not run"], ["not run"], "partial run"),  # nothing selected
        (["failed", "not run"], ["failed", "not run"], "failed"),
        (["not verified", "not run"], ["not verified", "not run"], "passed with gaps"),
        (["passed", "passed"], ["passed", "not run"], "passed"),  # a scenario no criterion needs
    ],
)
def test_the_verdict(criteria: list[str], scenarios: list[str], verdict: str) -> None:
    run = _run(criteria, scenarios)
    assert run.verdict == verdict
    assert verdict in VERDICT_WORDS  # the page has a word for it (the summary a heading: to_markdown runs)
    to_markdown(run)


def test_a_partial_run_is_not_called_passed() -> None:
    """The seeded defect this catches: a run that proved 1 of 10 criteria headed ✅ PASSED."""
    run = _run(["passed", *["not run"] * 9], ["passed", *["not run"] * 9])
    heading = to_markdown(run).splitlines()[0]
    assert heading == "## Acceptance: ⏭️ PARTIAL RUN: no failure, not every criterion run", heading
    assert "PASSED" not in VERDICT_WORDS[run.verdict].split(":")[0]
