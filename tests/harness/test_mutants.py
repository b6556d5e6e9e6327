"""`tcb prove`'s catalogue still applies to this tree and covers every success criterion twice; a stale entry
is reported as stale (never as caught); outcomes are judged against the baseline; the report has its shape."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from harness.mutants import outcomes, report, scratch
from harness.mutants.catalogue import (
    CATALOGUE,
    CRITERIA,
    Defect,
    Edit,
    StaleDefect,
    apply_defect,
    catalogue_problems,
    check_applies,
    select,
)
from harness.paths import REPO

# ---- the catalogue against the current tree ----


def test_every_catalogue_entry_applies_exactly_once_and_every_criterion_has_two():
    assert catalogue_problems(CATALOGUE, REPO) == []
    assert len(CATALOGUE) >= 20


def test_the_catalogue_spans_dockerfiles_chart_values_code_and_docs():
    kinds = {tag for d in CATALOGUE for tag in d.tags}
    assert {"dockerfile", "chart", "values", "code", "docs"} <= kinds
    survivors = [d for d in CATALOGUE if d.expected == "survives"]
    assert all(d.should_catch for d in survivors), "a defect expected to survive must name the check to fix"


def test_a_stale_entry_is_reported_as_stale():
    stale = Defect(
        "stale-example",
        "SC-016",
        "services/backend/Dockerfile",
        "an edit whose text is no longer in the file",
        (Edit("USER 9999:9999\n", ""),),
    )
    problems = catalogue_problems((*CATALOGUE, stale), REPO)
    assert problems == [
        "stale stale-example: edit 1 matches 0 times in services/backend/Dockerfile"
        " (must match exactly once): 'USER 9999:9999\\n'"
    ]


def test_a_criterion_with_one_defect_is_reported():
    first = next(d for d in CATALOGUE if d.criterion == "SC-016")
    only_one = (*(d for d in CATALOGUE if d.criterion != "SC-016"), first)
    assert catalogue_problems(only_one, REPO) == ["SC-016 has 1 defects, at least 2 are needed"]


def test_each_defect_changes_exactly_its_file(tmp_path: Path):
    for defect in CATALOGUE:
        target = tmp_path / defect.id / defect.file
        target.parent.mkdir(parents=True)
        shutil.copyfile(REPO / defect.file, target)
        apply_defect(defect, tmp_path / defect.id)
        changed = target.read_text()
        assert changed != (REPO / defect.file).read_text(), defect.id
        assert "{random_hex}" not in changed, f"{defect.id}: placeholder left in the file"


# ---- stale edits on a small tree ----


def _tree(tmp_path: Path, text: str) -> Path:
    (tmp_path / "f.txt").write_text(text)
    return tmp_path


def _defect(*edits: Edit) -> Defect:
    return Defect("d", "SC-016", "f.txt", "demo", edits)


def test_an_edit_matching_twice_is_stale_and_changes_nothing(tmp_path: Path):
    root = _tree(tmp_path, "a\nb\na\n")
    with pytest.raises(StaleDefect, match="matches 2 times"):
        apply_defect(_defect(Edit("a\n", "c\n")), root)
    assert (root / "f.txt").read_text() == "a\nb\na\n"


def test_a_later_edit_that_misses_leaves_the_file_untouched(tmp_path: Path):
    root = _tree(tmp_path, "a\nb\n")
    with pytest.raises(StaleDefect, match="edit 2 matches 0 times"):
        apply_defect(_defect(Edit("a\n", "c\n"), Edit("zzz", "y")), root)
    assert (root / "f.txt").read_text() == "a\nb\n"


def test_a_missing_file_is_stale(tmp_path: Path):
    assert check_applies(_defect(Edit("a", "b")), tmp_path) == "f.txt does not exist"


def test_regex_edits_and_generated_secrets(tmp_path: Path):
    root = _tree(tmp_path, "x\nlifecycle:\n  one\n  two: 10\nrest\n")
    apply_defect(_defect(Edit(r"lifecycle:\n(?:.*\n)*?  two: 10\n", "KEY={random_hex}\n", regex=True)), root)
    text = (root / "f.txt").read_text()
    assert text.startswith("x\nKEY=") and text.endswith("\nrest\n")
    assert len(text.split("KEY=")[1].split("\n")[0]) == 48  # fresh, never written in the catalogue


def test_select_refuses_unknown_names():
    assert {d.criterion for d in select(CATALOGUE, criteria=["SC-022"])} == {"SC-022"}
    wanted = ["readme-link-broken", "dockerfile-user-dropped"]
    assert [d.id for d in select(CATALOGUE, only=wanted)] == wanted
    with pytest.raises(ValueError, match="SC-099"):
        select(CATALOGUE, criteria=["SC-099"])
    assert set(CRITERIA) == {d.criterion for d in CATALOGUE}


# ---- judging a run against the baseline ----

A = outcomes.ScenarioResult("F", "a", outcomes.PASSED)
B_FAILED = outcomes.ScenarioResult("F", "b", outcomes.FAILED, "Then x", "AssertionError: boom")
BASE = {"F: a": outcomes.PASSED, "F: b": outcomes.PASSED}


def test_a_newly_failing_scenario_is_caught():
    verdict = outcomes.judge([A, B_FAILED], BASE, 1)
    assert (verdict.outcome, verdict.scenario, verdict.step) == (outcomes.CAUGHT, "b", "Then x")


def test_a_scenario_that_already_failed_on_the_clean_tree_catches_nothing_and_proves_no_survival():
    """It may be the very check that would catch the defect: the verdict is inconclusive, not survived (a
    baseline whose configuration scenario failed under load once reported two defects as survived)."""
    verdict = outcomes.judge([A, B_FAILED], {**BASE, "F: b": outcomes.FAILED}, 1)
    assert verdict.outcome == outcomes.ERROR
    assert verdict.reason.startswith(outcomes.BASELINE_FAILED) and "--fresh-baseline" in verdict.reason
    assert not verdict.reason.startswith(outcomes.INCONCLUSIVE)  # not proven again: the baseline decides it
    assert outcomes.judge([A], BASE, 0).outcome == outcomes.SURVIVED  # a clean baseline: survived stands


def test_nodeport_failures_caused_by_another_namespace_are_inconclusive():
    moved = outcomes.ScenarioResult(
        "F", "b", outcomes.FAILED, "Then x", "reached at :30100, not on NodePort 30080"
    )
    log = "[tcb 3.0s] NodePort 30080 is held by other/svc; frontend gets NodePort 30100"
    assert outcomes.judge([moved], BASE, 1, log).outcome == outcomes.ERROR
    assert outcomes.judge([moved], BASE, 1, "").outcome == outcomes.CAUGHT
    notes = outcomes.ScenarioResult(
        "F", "b", outcomes.FAILED, "Then n", "the release notes do not show URLs on ports [30080, 30081]"
    )
    summary = "<p>NodePort of frontend: 30080 is held by ns-2/second-frontend; using 30102</p>"
    assert outcomes.judge([notes], BASE, 1, summary).outcome == outcomes.ERROR


def test_failures_because_the_cluster_went_away_are_inconclusive():
    gone = outcomes.ScenarioResult(
        "F",
        "b",
        outcomes.FAILED,
        "Given x",
        "MaxRetryError: HTTPSConnectionPool(host='10.0.0.1', port=6443): Max retries exceeded"
        " (Caused by NewConnectionError: Failed to establish a new connection: Connection refused)",
    )
    assert outcomes.judge([A, gone], BASE, 1).outcome == outcomes.ERROR


def test_not_verified_counts_only_when_the_gate_turns_red():
    unverified = outcomes.ScenarioResult(
        "F", "b", outcomes.NOT_VERIFIED, "Then x", "NOT VERIFIED: no NodePort"
    )
    assert outcomes.judge([A, unverified], BASE, 0).outcome == outcomes.SURVIVED
    assert outcomes.judge([A, unverified], BASE, 1).outcome == outcomes.CAUGHT


def test_a_run_without_results_is_an_error():
    verdict = outcomes.judge([], BASE, 4, "ERROR: usage\nno tests ran\n")
    assert verdict.outcome == outcomes.ERROR and "no tests ran" in verdict.reason


def test_cucumber_results_are_read_with_the_failing_step(tmp_path: Path):
    path = tmp_path / "cucumber.json"
    step = {"keyword": "Then", "name": "it works", "result": {"status": "passed"}}
    failed = {
        "keyword": "And",
        "name": "it really works",
        "result": {
            "status": "failed",
            "error_message": "Traceback...\nE   AssertionError: nope\nE   assert 0",
        },
    }
    skipped = {
        "keyword": "Then",
        "name": "n",
        "result": {"status": "skipped", "error_message": "NOT VERIFIED: y"},
    }
    path.write_text(
        json.dumps(
            [
                {
                    "name": "Feat",
                    "elements": [
                        {"name": "ok", "steps": [step]},
                        {"name": "bad", "steps": [step, failed]},
                        {"name": "nv", "steps": [skipped]},
                    ],
                }
            ]
        )
    )
    results = outcomes.read_cucumber(path)
    assert [(r.scenario, r.status) for r in results] == [
        ("ok", outcomes.PASSED),
        ("bad", outcomes.FAILED),
        ("nv", outcomes.NOT_VERIFIED),
    ]
    assert results[1].step == "And it really works" and results[1].reason == "AssertionError: nope assert 0"


# ---- the report ----


def test_the_report_has_the_documented_shape(tmp_path: Path):
    class Options:
        target = "local"

    data = report.new_report({"tree": "abc", "seconds": 12.0}, Options(), ["tcb", "prove", "--only", "x"])
    defect = {
        "id": "x",
        "criterion": "SC-016",
        "file": "Dockerfile",
        "description": "d",
        "outcome": outcomes.SURVIVED,
        "scenario": "",
        "step": "",
        "reason": "r",
        "seconds": 3.2,
        "expected": "survives",
        "should_catch": "the better check",
    }
    written = report.write(data, [defect], tmp_path, 5.0, final=True)
    saved = json.loads((tmp_path / "mutants.json").read_text())
    assert saved == written
    assert saved["summary"] == {"caught": 0, "survived": 1, "stale": 0, "error": 0, "total": 1}
    assert saved["command"] == "tcb prove --only x"
    assert "should be caught by: the better check" in (tmp_path / "mutants.md").read_text()
    assert (
        "<table>" in report.html_table(saved)
        and "the better check" in (tmp_path / "mutants.html").read_text()
    )


# ---- scratch copies ----


def test_a_scratch_copy_holds_uncommitted_changes_and_links_the_venv(tmp_path: Path):
    source = tmp_path / "src"
    source.mkdir()

    def git(*args: str, cwd: Path = source) -> str:
        return subprocess.run(
            ["git", *scratch.GIT_IDENTITY, *args], cwd=cwd, check=True, capture_output=True, text=True
        ).stdout

    git("init", "-q")
    (source / "a.txt").write_text("one\n")
    git("add", "a.txt")
    git("commit", "-qm", "first")
    (source / "a.txt").write_text("two\n")  # uncommitted: the tree on disk is what gets proven
    (source / ".venv").mkdir()
    repo = scratch.make_scratch(source, parent=tmp_path)
    try:
        assert (repo / "a.txt").read_text() == "two\n"
        assert (repo / ".venv").resolve() == (source / ".venv").resolve()
        (repo / "a.txt").write_text("three\n")
        scratch.commit_all(repo, "seeded")
        assert git("show", "--name-only", "--format=", "HEAD", cwd=repo).split() == ["a.txt"]
        assert git("log", "--all", "--format=%s", cwd=source).split() == ["first"]  # the source is untouched
        assert (source / "a.txt").read_text() == "two\n"
    finally:
        scratch.remove_scratch(repo)
    assert not repo.exists()


def test_runs_on_disk_are_judged_again_against_a_later_baseline(tmp_path: Path):
    from harness.mutants.runner import ProveOptions, rejudge

    def cucumber(path: Path, status: str) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        result = {
            "status": status,
            "error_message": "E   AssertionError: broken" if status == "failed" else "",
        }
        path.write_text(
            json.dumps(
                [
                    {
                        "name": "F",
                        "elements": [
                            {"name": "b", "steps": [{"keyword": "Then", "name": "x", "result": result}]}
                        ],
                    }
                ]
            )
        )
        return path

    options = ProveOptions(report_dir=tmp_path)
    defect = next(d for d in CATALOGUE if d.id == "readme-link-broken")
    cucumber(options.work_dir / defect.id / "cucumber.json", "failed")
    entry = {"id": defect.id, "criterion": defect.criterion, "file": defect.file, "description": "d",
             "outcome": "caught", "scenario": "b", "step": "Then x", "reason": "", "seconds": 9.0,
             "exit_status": 1}  # fmt: skip
    (tmp_path / "mutants.json").write_text(json.dumps({"baseline": {"tree": "t"}, "defects": [entry]}))
    # the same scenario also fails on the unchanged tree: the defect run proves nothing
    options.baseline_from = cucumber(tmp_path / "lead" / "cucumber.json", "failed")
    data = rejudge([defect], options, progress=lambda _line: None)
    assert [(d["id"], d["outcome"], d["seconds"]) for d in data["defects"]] == [(defect.id, "error", 9.0)]
    options.baseline_from = cucumber(tmp_path / "lead2" / "cucumber.json", "passed")
    assert rejudge([defect], options, progress=lambda _line: None)["defects"][0]["outcome"] == "caught"


def test_resume_keeps_catches_and_redoes_errors_and_partial_survivors(tmp_path: Path):
    from harness.mutants.runner import ProveOptions, _earlier_results

    def entry(defect_id: str, outcome: str, scope: str) -> dict[str, str]:
        return {"id": defect_id, "outcome": outcome, "scope": scope, "tree": "t1"}

    (tmp_path / "mutants.json").write_text(
        json.dumps(
            {
                "defects": [
                    entry("a", "caught", "cluster-free scenarios"),
                    entry("b", "survived", "cluster-free scenarios"),
                    entry("c", "error", "all scenarios"),
                    entry("d", "survived", "all scenarios"),
                ]
            }
        )
    )
    full = _earlier_results(ProveOptions(report_dir=tmp_path), {"tree": "t1"})
    assert sorted(full) == ["a", "d"]
    partial = _earlier_results(ProveOptions(report_dir=tmp_path, cluster_free=True), {"tree": "t1"})
    assert sorted(partial) == ["a", "b", "d"]


def test_a_cluster_free_skip_is_no_reason_to_call_a_defect_survived_or_caught():
    skipped = outcomes.ScenarioResult(
        "F", "b", outcomes.NOT_VERIFIED, "And x", "NOT VERIFIED: tcb prove --cluster-free runs no cluster"
    )
    verdict = outcomes.judge([A, skipped], BASE, 1)
    assert verdict.outcome == outcomes.SURVIVED and "--cluster-free" not in verdict.reason


def test_a_run_on_disk_without_an_entry_is_rebuilt_from_its_log(tmp_path: Path):
    from harness.mutants.runner import CLUSTER_FREE_MODULE, _entry_on_disk

    defect = CATALOGUE[0]
    assert _entry_on_disk(defect, tmp_path) is None
    (tmp_path / "cucumber.json").write_text("[]")
    (tmp_path / "pytest.log").write_text(
        f"$ pytest features/ -m SC-016 -p {CLUSTER_FREE_MODULE}\n..F\n1 failed, 2 passed in 76.38s\n"
    )
    entry = _entry_on_disk(defect, tmp_path)
    assert entry is not None
    assert (entry["scope"], entry["exit_status"], entry["seconds"]) == ("cluster-free scenarios", 1, 76.38)


def test_a_relative_report_dir_is_taken_from_where_tcb_prove_started(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The nested runs start in scratch clones, so `--report-dir reports-x` must name the directory here."""
    from harness.mutants.runner import ProveOptions

    monkeypatch.chdir(tmp_path)
    options = ProveOptions(report_dir=Path("reports-x"))
    assert options.report_dir == tmp_path / "reports-x"
    assert options.work_dir == tmp_path / "reports-x" / "mutants"
