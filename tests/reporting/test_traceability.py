"""The traceability matrix from synthetic outcomes: each status, how scenarios fold into a requirement,
and the written files."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from harness import traceability as t

REQS = [
    t.Requirement("SC-016", "US1", "images built"),
    t.Requirement("SC-017", "US2", "chart installs"),
    t.Requirement("T001", "Setup", "layout"),
    t.Requirement("T002", "Setup", "guide"),
    t.Requirement("T003", "Setup", "gitignore"),
    t.Requirement("T068", "US3", "kubectl-ai", not_applicable="needs a download"),
    t.Requirement("T069", "US3", "kagent"),
]


def outcome(name: str, ids: list[str], status: str, reason: str = "") -> t.ScenarioOutcome:
    return t.ScenarioOutcome(f"features/x.feature::{name}", "X", name, ids, status, reason)


def statuses(matrix: t.Matrix) -> dict[str, str]:
    return {row.requirement.id: row.status for row in matrix.rows}


def test_each_status_and_the_worst_scenario_wins() -> None:
    matrix = t.build_matrix(
        REQS,
        [
            outcome("a", ["SC-016", "T001"], t.PASSED),
            outcome("b", ["SC-017"], t.PASSED),
            outcome("c", ["SC-017"], t.FAILED, "boom"),
            outcome("d", ["T002"], t.NOT_VERIFIED, "no NodePort"),
            outcome("e", ["T002"], t.PASSED),
            outcome("f", ["T003"], t.NOT_RUN, "deselected"),
        ],
    )
    assert statuses(matrix) == {
        "SC-016": t.PASSED,
        "SC-017": t.FAILED,
        "T001": t.PASSED,
        "T002": t.NOT_VERIFIED,
        "T003": t.NOT_RUN,
        "T068": t.NOT_APPLICABLE,
        "T069": t.UNCOVERED,
    }
    rows = {row.requirement.id: row for row in matrix.rows}
    assert rows["SC-017"].reason == "c: boom"
    assert rows["T002"].reason == "d: no NodePort"
    assert rows["T068"].reason == "needs a download"
    assert matrix.summary(True) == {**dict.fromkeys(t.STATUSES, 0), t.PASSED: 1, t.FAILED: 1}
    assert matrix.summary()[t.UNCOVERED] == 1


def test_a_requirement_with_a_scenario_is_judged_by_it_even_if_marked_not_applicable() -> None:
    matrix = t.build_matrix(REQS, [outcome("a", ["T068"], t.FAILED, "x")])
    assert statuses(matrix)["T068"] == t.FAILED


def test_success_criteria_come_first_and_unknown_tags_are_listed() -> None:
    shuffled = [REQS[2], REQS[0], REQS[3], REQS[1]]
    matrix = t.build_matrix(shuffled, [outcome("a", ["SC-099", "T001"], t.PASSED)])
    assert [r.requirement.id for r in matrix.rows] == ["SC-016", "SC-017", "T001", "T002"]
    assert matrix.unknown_tags == ["SC-099"]


def test_reports_fold_setup_call_and_teardown() -> None:
    assert t.outcome_from_reports(
        [("setup", "passed", ""), ("call", "passed", ""), ("teardown", "passed", "")]
    ) == (t.PASSED, "")
    assert t.outcome_from_reports(
        [("setup", "passed", ""), ("call", "passed", ""), ("teardown", "failed", "leak")]
    ) == (t.FAILED, "teardown: leak")
    assert t.outcome_from_reports([("setup", "failed", "no cluster"), ("teardown", "passed", "")]) == (
        t.FAILED,
        "setup: no cluster",
    )
    assert t.outcome_from_reports(
        [("setup", "passed", ""), ("call", "skipped", "NOT VERIFIED: no browser")]
    ) == (t.NOT_VERIFIED, "no browser")
    # a skip of any kind is never a pass
    assert t.outcome_from_reports([("setup", "skipped", "unsupported")]) == (t.NOT_VERIFIED, "unsupported")
    assert t.outcome_from_reports([])[0] == t.NOT_RUN


def test_requirement_tags_are_told_from_other_markers() -> None:
    assert t.is_requirement_tag("SC-016") and t.is_requirement_tag("T090")
    assert (
        not t.is_requirement_tag("browser")
        and not t.is_requirement_tag("Tx1")
        and not t.is_requirement_tag("T")
    )


def test_written_reports_agree(tmp_path: Path) -> None:
    matrix = t.build_matrix(
        REQS,
        [outcome("a", ["SC-016"], t.PASSED), outcome("c", ["SC-017"], t.FAILED, "b<o>m")],
        run_info={"target": "local", "selection": "local: no other cluster"},
        timings={"cluster": 3.2, "build": 10.0},
    )
    paths = t.write_reports(matrix, tmp_path)
    assert sorted(p.name for p in paths) == sorted(f"traceability.{x}" for x in ("json", "csv", "md", "html"))

    data = json.loads((tmp_path / "traceability.json").read_text())
    assert data["run"]["target"] == "local"
    assert data["summary"]["success_criteria"][t.FAILED] == 1
    assert {r["id"]: r["status"] for r in data["requirements"]}["T069"] == t.UNCOVERED

    rows = list(csv.DictReader((tmp_path / "traceability.csv").open()))
    assert [r["id"] for r in rows] == [r.id for r in [REQS[0], REQS[1], *REQS[2:]]]
    assert rows[1]["status"] == t.FAILED and "b<o>m" in rows[1]["reason"]

    html = (tmp_path / "traceability.html").read_text()
    assert "b&lt;o&gt;m" in html and "b<o>m" not in html  # reasons are escaped
    assert html.index("Success criteria") < html.index("Tasks")
    md = (tmp_path / "traceability.md").read_text()
    assert "| SC-017 | US2 | **failed** |" in md and "| cluster | 3.2 |" in md
