"""`pytest features/` collects every scenario of the Gherkin-only features/, with requirement ids as markers,
and a run's skips and failures reach the traceability matrix and cucumber.json truthfully."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from pytest_bdd.feature import get_features

from harness.paths import REPO


def _pytest(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _scenario_count() -> int:
    return sum(len(f.scenarios) for f in get_features([str(REPO / "features")]))


def test_collect_only_lists_every_scenario() -> None:
    result = _pytest("features/", "--collect-only", "-q")
    assert result.returncode == 0, result.stdout + result.stderr
    collected = [line for line in result.stdout.splitlines() if line.startswith("features/")]
    assert len(collected) == _scenario_count() > 40
    assert all(".feature::test_" in line for line in collected)


def test_requirement_ids_select_scenarios() -> None:
    result = _pytest("features/", "--collect-only", "-q", "-m", "SC-022")
    collected = [line for line in result.stdout.splitlines() if line.startswith("features/")]
    assert collected and all(
        any(word in line for word in ("secret", "setup", "chart", "configmap", "example"))
        for line in collected
    ), collected


def test_a_run_reports_skips_as_not_verified_and_never_as_passed(tmp_path: Path) -> None:
    """A real run of scenarios that need nothing but the repository, with one step forced to skip.

    SC-022 is then not verified, which fails the run (the gate) unless --allow-not-verified is given."""
    gated = _run_with_forced_skip(tmp_path / "gated")
    assert gated.returncode == 1, gated.stdout[-3000:] + gated.stderr[-3000:]
    assert "GATE: SC-022 is NOT VERIFIED" in gated.stdout
    reports = tmp_path / "reports"
    result = _run_with_forced_skip(reports, "--allow-not-verified")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    matrix = json.loads((reports / "traceability.json").read_text())
    by_id = {r["id"]: r for r in matrix["requirements"]}
    assert by_id["T083"]["status"] == "not verified"
    assert by_id["T083"]["reason"].endswith("forced by the test")
    assert by_id["T001"]["status"] == "passed"
    assert by_id["SC-019"]["status"] == "not run"

    cucumber = json.loads((reports / "cucumber.json").read_text())
    elements = {e["name"]: e for f in cucumber for e in f["elements"]}
    skipped = elements["Local secret files are ignored by git and none is tracked"]
    assert [s["result"]["status"] for s in skipped["steps"]] == ["passed", "skipped"]
    assert "forced by the test" in skipped["steps"][1]["result"]["error_message"]


def test_a_scenario_whose_setup_failed_is_in_cucumber_json_with_the_error(tmp_path: Path) -> None:
    """pytest-bdd leaves a scenario that never reached its first step out of cucumber.json; the reporting
    plugin adds it, its first step failed with the setup's error and the rest skipped."""
    plugin = tmp_path / "force_error.py"
    plugin.write_text(
        "import pytest\n"
        "@pytest.fixture(autouse=True)\n"
        "def _broken_setup(request):\n"
        "    if 'ignored_by_git' in request.node.name:\n"
        "        raise RuntimeError('setup broken by the test')\n"
    )
    reports = tmp_path / "reports"
    result = subprocess.run(
        [
            *(sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "force_error"),
            *("features/setup.feature", "--report-dir", str(reports), "-q", "--no-report-check"),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, "PYTHONPATH": str(tmp_path)},
    )
    assert result.returncode == 1, result.stdout[-3000:] + result.stderr[-3000:]
    cucumber = json.loads((reports / "cucumber.json").read_text())
    assert [f["uri"] for f in cucumber] == ["features/setup.feature"]
    elements = {e["name"]: e for f in cucumber for e in f["elements"]}
    assert len(elements) == 3, list(elements)
    broken = elements["Local secret files are ignored by git and none is tracked"]
    statuses = [s["result"]["status"] for s in broken["steps"]]
    assert statuses == ["failed", "skipped"], statuses
    assert "setup broken by the test" in broken["steps"][0]["result"]["error_message"]


def _run_with_forced_skip(reports: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    tmp_path = reports.parent
    tmp_path.mkdir(parents=True, exist_ok=True)
    hook = tmp_path / "force_skip.py"
    hook.write_text(
        "import pytest\n"
        "def pytest_bdd_before_step(request, feature, scenario, step, step_func):\n"
        "    if step.name.startswith('git tracks no file'):\n"
        "        pytest.skip('NOT VERIFIED: forced by the test')\n"
    )
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "-p",
            "force_skip",
            "features/setup.feature",
            "--report-dir",
            str(reports),
            "-q",
            "--no-report-check",
            *extra,
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, "PYTHONPATH": str(tmp_path)},
    )
