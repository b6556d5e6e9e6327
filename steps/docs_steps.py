"""Steps that hold the documentation to the code: options, commands and chart values, both ways."""

from __future__ import annotations

import html
import json
import sys
from pathlib import Path
from xml.etree import ElementTree

from pytest_bdd import then, when
from pytest_bdd.feature import get_features

from harness import docs_sync
from harness.paths import REPO
from harness.proc import run
from harness.timeouts import Timeouts
from steps.evidence import Evidence


@then("every acceptance option `pytest --help` offers is documented, and no other")
def _options_documented() -> None:
    help_text = run(
        [sys.executable, "-m", "pytest", "--help", "-p", "no:cacheprovider"], cwd=REPO, quiet=True
    ).stdout
    problems = docs_sync.repository_option_problems(help_text)
    assert not problems, "; ".join(problems)


@then("every tcb command and option the docs name exists, and every command is documented")
def _commands_documented() -> None:
    problems = docs_sync.repository_command_problems()
    assert not problems, "; ".join(problems)


@then("every key of chart/values.yaml is in docs/chart.md's values reference, and no other")
def _values_documented() -> None:
    problems = docs_sync.repository_value_problems()
    assert not problems, "; ".join(problems)


REPORT_FILES = (
    "acceptance.html",
    "junit.xml",
    "cucumber.json",
    "traceability.html",
    "traceability.md",
    "traceability.csv",
    "traceability.json",
    "summary.md",
)


@when(
    "the setup feature is run as its own acceptance run with a fresh report directory",
    target_fixture="nested_run",
)
def _nested_run(tmp_path: Path, evidence: Evidence, timeouts: Timeouts) -> tuple[int, Path, str]:
    """A second, real `pytest features/setup.feature` (it needs no cluster): what it writes is observed."""
    reports = tmp_path / "reports"
    result = run(
        [
            sys.executable,
            "-m",
            "pytest",
            "features/setup.feature",
            "--report-dir",
            str(reports),
            "-p",
            "no:cacheprovider",
            "--no-report-check",
        ],
        cwd=REPO,
        check=False,
        quiet=True,
        timeout=timeouts.nested_run,
    )
    evidence.text("nested acceptance run", result.stdout[-4000:] + result.stderr[-2000:])
    return result.returncode, reports, result.stdout


@then("that run passes and writes the HTML report, junit.xml, cucumber.json and the traceability matrix")
def _nested_reports(nested_run: tuple[int, Path, str]) -> None:
    code, reports, output = nested_run
    assert code == 0, f"the nested run exited {code}: {output[-1500:]}"
    missing = [
        name for name in REPORT_FILES if not (reports / name).is_file() or not (reports / name).stat().st_size
    ]
    assert not missing, f"the nested run wrote no (or an empty) {missing} in {reports}"


@then("each report names every scenario of the setup feature with its outcome")
def _nested_reports_name_scenarios(nested_run: tuple[int, Path, str]) -> None:
    _, reports, _ = nested_run
    names = [
        s for feature in get_features([str(REPO / "features" / "setup.feature")]) for s in feature.scenarios
    ]
    assert names, "the setup feature has no scenario"
    cucumber = json.loads((reports / "cucumber.json").read_text())
    statuses = {
        element["name"]: {step["result"]["status"] for step in element["steps"]}
        for feature in cucumber
        for element in feature["elements"]
    }
    # our own run's output, not untrusted input
    cases = ElementTree.parse(reports / "junit.xml").getroot().iter("testcase")  # noqa: S314
    junit_outcomes = [
        "passed"
        if not list(case) or all(c.tag in ("system-out", "system-err") for c in case)
        else "not passed"
        for case in cases
    ]
    trace = json.loads((reports / "traceability.json").read_text())
    traced = {s["name"]: s["status"] for r in trace["requirements"] for s in r["scenarios"]}
    html_report = (reports / "acceptance.html").read_text()
    problems = []
    for name in names:
        if statuses.get(name) != {"passed"}:
            problems.append(f"cucumber.json: {name!r} has step results {statuses.get(name)}")
        if traced.get(name) != "passed":
            problems.append(f"traceability.json: {name!r} is {traced.get(name)}")
        if html.escape(name) not in html_report and name not in html_report:
            problems.append(f"acceptance.html does not name {name!r}")
    if junit_outcomes.count("passed") != len(names) or len(junit_outcomes) != len(names):
        problems.append(f"junit.xml has {junit_outcomes} for the {len(names)} scenarios")
    assert not problems, "; ".join(problems)
