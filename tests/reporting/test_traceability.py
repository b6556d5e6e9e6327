"""The traceability matrix from synthetic outcomes: each status, how scenarios fold into a requirement,
and the written files."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from harness import traceability as t

PROOF = "the thing is proven"  # the one check every requirement below names
REQS = [
    t.Requirement("SC-016", "US1", "images built", checks=(PROOF,)),
    t.Requirement("SC-017", "US2", "chart installs", checks=(PROOF,)),
    t.Requirement("T001", "Setup", "layout", checks=(PROOF,)),
    t.Requirement("T002", "Setup", "guide", checks=(PROOF,)),
    t.Requirement("T003", "Setup", "gitignore", checks=(PROOF,)),
    t.Requirement("T068", "US3", "kubectl-ai", not_applicable="needs a download", checks=(PROOF,)),
    t.Requirement("T069", "US3", "kagent", checks=(PROOF,)),
]


def outcome(name: str, ids: list[str], status: str, reason: str = "") -> t.ScenarioOutcome:
    step_status = status if status in (t.PASSED, t.FAILED, t.NOT_VERIFIED) else t.NOT_RUN
    return t.ScenarioOutcome(
        f"features/x.feature::{name}",
        "X",
        name,
        ids,
        status,
        reason,
        steps=[t.StepOutcome(PROOF, step_status)],
    )


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


# ---- checks: what proves a requirement, and tags that over-claim ----

CHECKED = t.Requirement(
    "T090", "Polish", "reports", checks=("the run writes * reports", "the matrix is written")
)


def scenario(name: str, ids: list[str], status: str, steps: dict[str, str]) -> t.ScenarioOutcome:
    return t.ScenarioOutcome(
        f"x::{name}", "X", name, ids, status, steps=[t.StepOutcome(text, s) for text, s in steps.items()]
    )


def test_a_requirement_passes_only_when_each_of_its_checks_passed() -> None:
    both = scenario(
        "a", ["T090"], t.PASSED, {"the run writes 4 reports": t.PASSED, "the matrix is written": t.PASSED}
    )
    matrix = t.build_matrix([CHECKED], [both])
    row = matrix.rows[0]
    assert (row.status, matrix.suite_defects) == (t.PASSED, [])
    assert [(c.check, c.status) for c in row.checks] == [
        ("the run writes * reports", t.PASSED),
        ("the matrix is written", t.PASSED),
    ]


def test_a_tag_on_a_scenario_that_runs_none_of_the_checks_is_a_suite_defect() -> None:
    """The seeded over-claim: a passing scenario tagged T090 that checks something else entirely."""
    proof = scenario(
        "a", ["T090"], t.PASSED, {"the run writes 4 reports": t.PASSED, "the matrix is written": t.PASSED}
    )
    claim = scenario("b", ["T090"], t.PASSED, {"the reports directory exists": t.PASSED})
    matrix = t.build_matrix([CHECKED], [proof, claim])
    assert matrix.suite_defects == ["T090: scenario 'b' is tagged T090 but runs none of its checks"]


def test_a_check_that_no_tagged_scenario_runs_leaves_the_requirement_unproven() -> None:
    half = scenario("a", ["T090"], t.PASSED, {"the run writes 4 reports": t.PASSED})
    matrix = t.build_matrix([CHECKED], [half])
    row = matrix.rows[0]
    assert row.status == t.NOT_VERIFIED and "the matrix is written" in row.reason
    assert matrix.suite_defects == ["T090: no scenario tagged T090 runs its check 'the matrix is written'"]


def test_a_covered_requirement_without_checks_is_a_suite_defect_and_never_passes() -> None:
    bare = t.Requirement("T001", "Setup", "layout")
    matrix = t.build_matrix([bare], [scenario("a", ["T001"], t.PASSED, {"anything": t.PASSED})])
    assert matrix.rows[0].status == t.NOT_VERIFIED
    assert matrix.suite_defects == [
        "T001 is claimed by 1 scenario(s) but names no check in requirements.yaml"
    ]


def test_a_failed_check_fails_the_requirement_even_if_it_passed_elsewhere() -> None:
    good = scenario(
        "a", ["T090"], t.PASSED, {"the run writes 4 reports": t.PASSED, "the matrix is written": t.PASSED}
    )
    bad = scenario("b", ["T090"], t.FAILED, {"the run writes 2 reports": t.FAILED})
    row = t.build_matrix([CHECKED], [good, bad]).rows[0]
    assert row.status == t.FAILED
    assert dict((c.check, c.status) for c in row.checks)["the run writes * reports"] == t.FAILED


def test_check_patterns_match_whole_steps_and_only_them() -> None:
    assert t.step_matches('the user says "add *"', 'the user says "add water the plants tomorrow"')
    assert not t.step_matches(
        "the backend Service has 2 ready endpoints", "the backend Service has 2 ready endpoints!"
    )
    assert not t.step_matches("the matrix is written", "the matrix is written twice")
    assert t.step_matches("a [bracket] (paren) + plus", "a [bracket] (paren) + plus")
