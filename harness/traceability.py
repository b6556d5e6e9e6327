"""The requirements traceability matrix: every requirement in specs/requirements.yaml with the scenarios that
carry its id as a tag and their outcomes, written as HTML, Markdown, CSV and JSON.

A requirement's status comes only from real outcomes: `passed` needs every one of its scenarios to have
passed and every check it names (`checks:` in requirements.yaml, Gherkin step texts with `*` wildcards) to
have run and passed in one of them; a skip is never a pass (it is `not verified`, with the skip's reason); a
requirement with no scenario is `uncovered`, unless requirements.yaml says why it is `not applicable`.

A tag is a claim, and claims are checked: a scenario tagged with a requirement that runs none of its checks,
a check that no tagged scenario runs, or a covered requirement that names no check is a defect of the suite
(`Matrix.suite_defects`), reported with the matrix and failing the run.
"""

from __future__ import annotations

import csv
import html
import json
import re
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

import yaml

from harness.paths import REPO

REQUIREMENTS_FILE = REPO / "specs" / "requirements.yaml"

PASSED = "passed"
FAILED = "failed"
NOT_VERIFIED = "not verified"
NOT_RUN = "not run"
NOT_APPLICABLE = "not applicable"
UNCOVERED = "uncovered"
# worst first: a requirement takes the worst status among its scenarios
SCENARIO_STATUSES = (FAILED, NOT_VERIFIED, NOT_RUN, PASSED)
STATUSES = (PASSED, FAILED, NOT_VERIFIED, NOT_RUN, NOT_APPLICABLE, UNCOVERED)
NOT_VERIFIED_PREFIX = "NOT VERIFIED:"


@dataclass(frozen=True)
class Requirement:
    id: str
    phase: str
    text: str
    not_applicable: str | None = None
    checks: tuple[str, ...] = ()  # Gherkin step texts (`*` matches anything) that prove this requirement

    @property
    def is_success_criterion(self) -> bool:
        return self.id.startswith("SC-")


@dataclass
class StepOutcome:
    """One Gherkin step of a scenario (background steps included) and what happened to it in this run."""

    text: str
    status: str = NOT_RUN  # passed | failed | not verified (the scenario stopped on a skip there) | not run


@dataclass
class ScenarioOutcome:
    """One scenario (a pytest item) with the requirement ids it is tagged with and what happened to it."""

    nodeid: str
    feature: str
    name: str
    requirement_ids: list[str]
    status: str = NOT_RUN
    reason: str = ""
    duration: float = 0.0
    steps: list[StepOutcome] = field(default_factory=list)


@dataclass
class CheckResult:
    """One check a requirement names: the steps of its tagged scenarios that match it, and its verdict."""

    check: str
    status: str
    scenarios: list[str]  # names of the tagged scenarios whose steps match the check


@dataclass
class RequirementRow:
    requirement: Requirement
    scenarios: list[ScenarioOutcome]
    status: str
    reason: str
    checks: list[CheckResult] = field(default_factory=list)


@dataclass
class Matrix:
    rows: list[RequirementRow]
    run_info: dict[str, str] = field(default_factory=dict)  # target, why it was chosen, namespace, …
    timings: dict[str, float] = field(default_factory=dict)  # phase → seconds
    unknown_tags: list[str] = field(default_factory=list)  # requirement-like tags with no requirement
    suite_defects: list[str] = field(default_factory=list)  # tags that over-claim, checks nothing runs

    def summary(self, success_criteria: bool | None = None) -> dict[str, int]:
        counts = Counter(
            row.status
            for row in self.rows
            if success_criteria is None or row.requirement.is_success_criterion == success_criteria
        )
        return {status: counts.get(status, 0) for status in STATUSES}


def load_requirements(path: Path = REQUIREMENTS_FILE) -> list[Requirement]:
    data = yaml.safe_load(path.read_text())
    rows = [*data.get("success_criteria", []), *data.get("tasks", [])]
    return [
        Requirement(
            id=r["id"],
            phase=r["phase"],
            text=" ".join(str(r["text"]).split()),
            not_applicable=r.get("not_applicable"),
            checks=tuple(" ".join(str(c).split()) for c in r.get("checks") or ()),
        )
        for r in rows
    ]


def check_pattern(check: str) -> re.Pattern[str]:
    """A check is a step's text as written in features/ (whitespace-normalised); `*` stands for any text."""
    return re.compile(".*".join(re.escape(part) for part in check.split("*")) + r"\Z")


def step_matches(check: str, step_text: str) -> bool:
    return check_pattern(check).match(" ".join(step_text.split())) is not None


def scenario_anchor(nodeid: str) -> str:
    """The id of a scenario's section in acceptance.html: "features/x.feature::test_y" gives
    "scenario-x-feature--test-y"."""
    path, _, item = nodeid.partition("::")
    key = f"{Path(path).name}::{item}"
    return "scenario-" + "".join(c if c.isalnum() else "-" for c in key).strip("-").lower()


def is_requirement_tag(tag: str) -> bool:
    """Tags that name requirements (SC-0xx, T0xx); other tags (browser, slow, …) are ordinary markers."""
    return (tag.startswith("SC-") and tag[3:].isdigit()) or (tag[:1] == "T" and tag[1:].isdigit())


def outcome_from_reports(reports: list[tuple[str, str, str]]) -> tuple[str, str]:
    """Fold a scenario's (when, outcome, reason) test reports (setup/call/teardown) into (status, reason).

    Any failed phase fails the scenario; a skip in any phase makes it not verified (a skip never reads as a
    pass); only a passed call with no failure passes.
    """
    failures = [
        f"{when}: {reason}" if when != "call" else reason
        for when, outcome, reason in reports
        if outcome == "failed"
    ]
    if failures:
        return FAILED, "; ".join(failures)
    skips = [reason for _, outcome, reason in reports if outcome == "skipped"]
    if skips:
        reason = skips[0]
        if reason.startswith(NOT_VERIFIED_PREFIX):
            reason = reason[len(NOT_VERIFIED_PREFIX) :].strip()
        return NOT_VERIFIED, reason or "skipped without a reason"
    if any(when == "call" and outcome == "passed" for when, outcome, _ in reports):
        return PASSED, ""
    return NOT_RUN, "the scenario did not run"


def build_matrix(
    requirements: list[Requirement],
    scenarios: list[ScenarioOutcome],
    run_info: dict[str, str] | None = None,
    timings: dict[str, float] | None = None,
) -> Matrix:
    known = {r.id for r in requirements}
    by_requirement: dict[str, list[ScenarioOutcome]] = {r.id: [] for r in requirements}
    unknown: set[str] = set()
    for scenario in scenarios:
        for rid in scenario.requirement_ids:
            if rid in known:
                by_requirement[rid].append(scenario)
            else:
                unknown.add(rid)
    rows = [_row(r, by_requirement[r.id]) for r in requirements]
    # success criteria first: they are what a reader checks before the task list
    rows.sort(key=lambda row: (not row.requirement.is_success_criterion, row.requirement.id))
    defects = [d for r in requirements for d in claim_defects(r, by_requirement[r.id])]
    return Matrix(
        rows=rows,
        run_info=dict(run_info or {}),
        timings=dict(timings or {}),
        unknown_tags=sorted(unknown),
        suite_defects=defects,
    )


def claim_defects(requirement: Requirement, scenarios: list[ScenarioOutcome]) -> list[str]:
    """What is wrong with the claim that these scenarios prove the requirement (empty: nothing).

    Judged from the scenarios' Gherkin steps, not from what ran, so a partial run reports the same defects.
    """
    if not scenarios:
        return []
    rid = requirement.id
    if not requirement.checks:
        return [f"{rid} is claimed by {len(scenarios)} scenario(s) but names no check in requirements.yaml"]
    defects = []
    for scenario in scenarios:
        if not any(step_matches(c, step.text) for c in requirement.checks for step in scenario.steps):
            defects.append(f"{rid}: scenario {scenario.name!r} is tagged {rid} but runs none of its checks")
    for check in requirement.checks:
        if not any(step_matches(check, step.text) for s in scenarios for step in s.steps):
            defects.append(f"{rid}: no scenario tagged {rid} runs its check {check!r}")
    return defects


def _check_results(requirement: Requirement, scenarios: list[ScenarioOutcome]) -> list[CheckResult]:
    results = []
    for check in requirement.checks:
        matched = [
            (scenario, step)
            for scenario in scenarios
            for step in scenario.steps
            if step_matches(check, step.text)
        ]
        statuses = {step.status for _, step in matched}
        # passed once is proof, unless the same check failed elsewhere in this run
        status = next(
            (s for s in (FAILED, PASSED, NOT_VERIFIED) if s in statuses),
            NOT_RUN,
        )
        results.append(CheckResult(check, status, sorted({scenario.name for scenario, _ in matched})))
    return results


def _row(requirement: Requirement, scenarios: list[ScenarioOutcome]) -> RequirementRow:
    if not scenarios:
        if requirement.not_applicable:
            return RequirementRow(
                requirement, [], NOT_APPLICABLE, " ".join(requirement.not_applicable.split())
            )
        return RequirementRow(requirement, [], UNCOVERED, "no scenario carries this id")
    checks = _check_results(requirement, scenarios)
    worst = min(scenarios, key=lambda s: SCENARIO_STATUSES.index(s.status))
    if worst.status != PASSED:
        reasons = [f"{s.name}: {s.reason}" for s in scenarios if s.status == worst.status]
        return RequirementRow(requirement, scenarios, worst.status, " | ".join(reasons), checks)
    unproven = [c for c in checks if c.status != PASSED]
    if not requirement.checks:
        return RequirementRow(requirement, scenarios, NOT_VERIFIED, "names no check that proves it", checks)
    if unproven:
        reason = "; ".join(f"check {c.check!r} {c.status}" for c in unproven)
        return RequirementRow(requirement, scenarios, NOT_VERIFIED, reason, checks)
    return RequirementRow(requirement, scenarios, PASSED, "", checks)


# ---- writers ----


def write_reports(matrix: Matrix, out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {
        "json": out_dir / "traceability.json",
        "csv": out_dir / "traceability.csv",
        "md": out_dir / "traceability.md",
        "html": out_dir / "traceability.html",
    }
    paths["json"].write_text(json.dumps(to_json(matrix), indent=2) + "\n")
    _write_csv(matrix, paths["csv"])
    paths["md"].write_text(to_markdown(matrix))
    paths["html"].write_text(to_html(matrix))
    return list(paths.values())


def to_json(matrix: Matrix) -> dict[str, object]:
    return {
        "run": matrix.run_info,
        "timings_seconds": matrix.timings,
        "summary": {
            "all": matrix.summary(),
            "success_criteria": matrix.summary(True),
            "tasks": matrix.summary(False),
        },
        "unknown_tags": matrix.unknown_tags,
        "suite_defects": matrix.suite_defects,
        "requirements": [
            {
                **asdict(row.requirement),
                "status": row.status,
                "reason": row.reason,
                "checks": [asdict(c) for c in row.checks],
                "scenarios": [
                    {
                        "nodeid": s.nodeid,
                        "feature": s.feature,
                        "name": s.name,
                        "status": s.status,
                        "reason": s.reason,
                        "duration_seconds": round(s.duration, 2),
                    }
                    for s in row.scenarios
                ],
            }
            for row in matrix.rows
        ],
    }


def _write_csv(matrix: Matrix, path: Path) -> None:
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "phase", "status", "reason", "scenarios", "text"])
        for row in matrix.rows:
            writer.writerow(
                [
                    row.requirement.id,
                    row.requirement.phase,
                    row.status,
                    row.reason,
                    "; ".join(f"{s.feature}: {s.name} [{s.status}]" for s in row.scenarios),
                    row.requirement.text,
                ]
            )


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def to_markdown(matrix: Matrix) -> str:
    lines = ["# Requirements traceability", ""]
    lines += _md_run(matrix)
    lines += ["## Summary", "", "| | " + " | ".join(STATUSES) + " |", "|---" * (len(STATUSES) + 1) + "|"]
    for label, flag in (("success criteria", True), ("tasks", False), ("all", None)):
        counts = matrix.summary(flag)
        lines.append(f"| {label} | " + " | ".join(str(counts[s]) for s in STATUSES) + " |")
    lines.append("")
    if matrix.unknown_tags:
        lines += [f"Tags naming no requirement: {', '.join(matrix.unknown_tags)}", ""]
    if matrix.suite_defects:
        lines += ["## Defects of the suite (tags that over-claim)", ""]
        lines += [f"- {_md_cell(d)}" for d in matrix.suite_defects] + [""]
    for title, flag in (("Success criteria", True), ("Tasks", False)):
        lines += [
            f"## {title}",
            "",
            "| id | phase | status | scenarios | checks | reason | requirement |",
            "|---|---|---|---|---|---|---|",
        ]
        for row in matrix.rows:
            if row.requirement.is_success_criterion != flag:
                continue
            scenarios = "<br>".join(f"{s.feature}: {s.name} ({s.status})" for s in row.scenarios) or "—"
            checks = "<br>".join(f"{c.check} ({c.status})" for c in row.checks) or "—"
            lines.append(
                f"| {row.requirement.id} | {row.requirement.phase} | **{row.status}** "
                f"| {_md_cell(scenarios)} | {_md_cell(checks)} "
                f"| {_md_cell(row.reason)} | {_md_cell(row.requirement.text)} |"
            )
        lines.append("")
    return "\n".join(lines)


def _md_run(matrix: Matrix) -> list[str]:
    lines: list[str] = []
    if matrix.run_info:
        lines += ["## Run", ""] + [f"- **{k}**: {_md_cell(v)}" for k, v in matrix.run_info.items()] + [""]
    if matrix.timings:
        lines += ["## Timings", "", "| phase | seconds |", "|---|---|"]
        lines += [f"| {phase} | {seconds:.1f} |" for phase, seconds in matrix.timings.items()] + [""]
    return lines


_STATUS_COLOURS = {
    PASSED: "#d4edda",
    FAILED: "#f8d7da",
    NOT_VERIFIED: "#fff3cd",
    NOT_RUN: "#e2e3e5",
    NOT_APPLICABLE: "#d6d8f5",
    UNCOVERED: "#f5c6cb",
}


def to_html(matrix: Matrix) -> str:
    esc = html.escape
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Requirements traceability</title>",
        "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;margin-bottom:2em}"
        "td,th{border:1px solid #999;padding:4px 8px;vertical-align:top;text-align:left}"
        "ul{margin:0;padding-left:1.2em}</style></head><body><main><h1>Requirements traceability</h1>",
        "<p><a href='acceptance.html'>Acceptance report</a> (every scenario with its steps and evidence)</p>",
    ]
    if matrix.run_info:
        parts.append("<h2>Run</h2><table>")
        parts += [f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in matrix.run_info.items()]
        parts.append("</table>")
    if matrix.timings:
        parts.append("<h2>Timings</h2><table><tr><th>phase</th><th>seconds</th></tr>")
        parts += [f"<tr><td>{esc(p)}</td><td>{s:.1f}</td></tr>" for p, s in matrix.timings.items()]
        parts.append("</table>")
    parts.append(
        "<h2>Summary</h2><table><tr><th>requirements</th>"
        + "".join(f"<th>{s}</th>" for s in STATUSES)
        + "</tr>"
    )
    for label, flag in (("success criteria", True), ("tasks", False), ("all", None)):
        counts = matrix.summary(flag)
        parts.append(f"<tr><th>{label}</th>" + "".join(f"<td>{counts[s]}</td>" for s in STATUSES) + "</tr>")
    parts.append("</table>")
    if matrix.unknown_tags:
        parts.append(f"<p>Tags naming no requirement: {esc(', '.join(matrix.unknown_tags))}</p>")
    if matrix.suite_defects:
        parts.append("<h2>Defects of the suite (tags that over-claim)</h2><ul>")
        parts += [f"<li>{esc(d)}</li>" for d in matrix.suite_defects]
        parts.append("</ul>")
    for title, flag in (("Success criteria", True), ("Tasks", False)):
        parts.append(
            f"<h2>{title}</h2><table><tr><th>id</th><th>phase</th><th>status</th><th>scenarios</th>"
            "<th>checks</th><th>reason</th><th>requirement</th></tr>"
        )
        for row in matrix.rows:
            if row.requirement.is_success_criterion != flag:
                continue
            scenarios = "".join(
                f"<li><a href='acceptance.html#{scenario_anchor(s.nodeid)}'>"
                f"{esc(s.feature)}: {esc(s.name)}</a>"
                f" <b>({esc(s.status)})</b></li>"
                for s in row.scenarios
            )
            checks = "".join(f"<li>{esc(c.check)} <b>({esc(c.status)})</b></li>" for c in row.checks)
            parts.append(
                f"<tr id='{esc(row.requirement.id)}'><td>{esc(row.requirement.id)}</td>"
                f"<td>{esc(row.requirement.phase)}</td>"
                f"<td style='background:{_STATUS_COLOURS[row.status]}'>{esc(row.status)}</td>"
                f"<td><ul>{scenarios}</ul></td><td><ul>{checks}</ul></td><td>{esc(row.reason)}</td><td>{esc(row.requirement.text)}</td></tr>"
            )
        parts.append("</table>")
    parts.append("</main></body></html>\n")
    return "\n".join(parts)
