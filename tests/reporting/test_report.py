"""The acceptance report made from a recorded run's outputs (tests/reporting/data/run, see its README: a real
targeted acceptance run, one scenario forced to fail), with the recorded load trace of data/load_trace.json
attached to one more scenario: what a reviewer must find on the page, the job summary, the Allure
attachments, and the clear refusal of an incomplete report directory."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path

import pytest
from markupsafe import escape

from harness.report import ReportInputError, build_report, load_run
from harness.report.allure import attach_evidence

RUN = Path(__file__).resolve().parent / "data" / "run"


def _matrix() -> dict:
    return json.loads((RUN / "traceability.json").read_text())


def test_the_recorded_run_has_what_the_report_needs(run_dir: Path) -> None:
    run = load_run(run_dir)
    statuses = {s.status for s in run.scenarios}
    assert {"passed", "failed"} <= statuses, statuses
    loaded = [s for s in run.scenarios if s.load_trace]
    assert loaded and all(s.load_events for s in loaded), "a scenario with a load trace and its events"
    assert any(e.path for s in run.scenarios for e in s.evidence if e.kind in ("text", "json"))
    assert len(run.criteria) == 10


def test_criteria_first_with_verdicts_scenarios_and_durations(run_dir: Path) -> None:
    page = (build_report(run_dir)[0]).read_text()
    criteria_at = page.index('id="criteria"')
    scenarios_at = page.index('id="scenarios-heading"')
    assert criteria_at < scenarios_at
    for row in _matrix()["requirements"]:
        if row["id"].startswith("SC-"):
            assert f'data-criterion="{row["id"]}" data-verdict="{row["status"]}"' in page, row["id"]
            assert f'href="traceability.html#{row["id"]}"' in page
    run = load_run(run_dir)
    for scenario in run.scenarios:
        assert f'id="{scenario.anchor}"' in page, scenario.name
        assert f'data-verdict="{scenario.status}"' in page


def test_steps_with_status_and_time_and_failures_expanded(run_dir: Path) -> None:
    page = (build_report(run_dir)[0]).read_text()
    run = load_run(run_dir)
    failed = next(s for s in run.scenarios if s.status == "failed" and "forced by the test" in s.reason)
    section = page[page.index(f'id="{failed.anchor}"') :]
    section = section[: section.index("</details>\n", section.index('class="body"'))]
    assert " open>" in section.split("\n")[0], "a failed scenario is shown expanded"
    assert 'data-step-status="failed"' in section
    assert "forced by the test" in section, "the failure's message is on the page"
    passed = next(s for s in run.scenarios if s.status == "passed" and s.steps)
    step = passed.steps[0]
    assert f'<span class="kw">{step.keyword}</span> {escape(step.name)}' in page


def test_self_contained_offline_page(run_dir: Path) -> None:
    page = (build_report(run_dir)[0]).read_text()
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page), "the page refers to the network"
    assert "<script" not in page and "<link" not in page
    sources = re.findall(r'<img src="([^"]+)"', page)
    assert sources and all(s.startswith("data:image/") for s in sources)
    assert page.count('data-plot="load"') == sum(1 for s in load_run(run_dir).scenarios if s.load_trace)
    assert 'data-plot="phases"' in page


def test_job_summary(run_dir: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    step_summary = tmp_path / "step-summary.md"
    step_summary.write_text("earlier step\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(step_summary))
    build_report(run_dir)
    summary = (run_dir / "summary.md").read_text()
    assert summary.startswith("## Acceptance: ❌ FAILED")
    for row in _matrix()["requirements"]:
        if row["id"].startswith("SC-"):
            assert f"**{row['id']}**" in summary
    assert "### Needs attention" in summary and "forced by the test" in summary
    assert step_summary.read_text() == "earlier step\n" + summary, "appended to the CI job summary"


def test_allure_results_get_the_evidence(run_dir: Path) -> None:
    run = load_run(run_dir)
    results_dir = run_dir / "allure-results"
    results_dir.mkdir()
    for scenario in run.scenarios:  # what allure-pytest-bdd writes for each scenario (the fields we read)
        if scenario.evidence:
            result = {"name": scenario.name, "fullName": f"features/{scenario.feature_file}:{scenario.name}"}
            (results_dir / f"{uuid.uuid4()}-result.json").write_text(
                json.dumps({**result, "status": "passed"})
            )
    first = attach_evidence(run)
    assert first > 0
    assert attach_evidence(load_run(run_dir)) == 0, "attaching twice adds nothing"
    results = [json.loads(p.read_text()) for p in (run_dir / "allure-results").glob("*-result.json")]
    names = {a["name"] for r in results for a in r.get("attachments", [])}
    assert "load trace" in names
    for result in results:
        for attachment in result.get("attachments", []):
            assert (run_dir / "allure-results" / attachment["source"]).is_file()


@pytest.mark.parametrize("missing", ["traceability.json", "cucumber.json"])
def test_an_incomplete_report_dir_is_refused_and_nothing_written(run_dir: Path, missing: str) -> None:
    (run_dir / missing).unlink()
    with pytest.raises(ReportInputError, match=f"{missing} is missing.*pytest features/ --report-dir"):
        build_report(run_dir)
    assert not (run_dir / "acceptance.html").exists() and not (run_dir / "summary.md").exists()


def test_corrupt_input_names_the_file(run_dir: Path) -> None:
    (run_dir / "cucumber.json").write_text("{not json")
    with pytest.raises(ReportInputError, match=r"cucumber\.json is not valid JSON"):
        build_report(run_dir)


def test_missing_evidence_file_is_shown_as_missing(run_dir: Path) -> None:
    victim = next(p for p in (run_dir / "evidence").rglob("*.txt"))
    victim.unlink()
    page = build_report(run_dir)[0].read_text()
    assert "is missing:" in page and victim.name in page
