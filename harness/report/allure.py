"""Allure results: allure-pytest-bdd writes one result per scenario during the run (steps, statuses, data
tables); afterwards each result gets the scenario's evidence files as attachments and the run's facts go to
environment.properties, so a team that reads Allure sees the same evidence as acceptance.html."""

from __future__ import annotations

import json
import mimetypes
import shutil
import uuid
from pathlib import Path

from harness.report.outputs import RunRecord, Scenario

RESULTS_DIR = "allure-results"
TYPES = {".txt": "text/plain", ".json": "application/json", ".png": "image/png", ".svg": "image/svg+xml"}


def attach_evidence(run: RunRecord, results_dir: Path | None = None) -> int:
    """Attach each scenario's evidence files to its Allure result; returns how many were attached.
    Idempotent: an attachment already there (same name) is not added again."""
    directory = results_dir or run.report_dir / RESULTS_DIR
    if not directory.is_dir():
        return 0
    by_name = {(Path(s.feature_file).name, s.name): s for s in run.scenarios}
    attached = 0
    for result_file in sorted(directory.glob("*-result.json")):
        try:
            result = json.loads(result_file.read_text())
        except (OSError, ValueError):
            continue
        path, _, name = str(result.get("fullName", "")).partition(":")
        scenario = by_name.get((Path(path).name, name))
        if scenario is None:
            continue
        added = _attach(scenario, result, directory)
        if added:
            result_file.write_text(json.dumps(result))
            attached += added
    if run.run_info:
        lines = [f"{k.replace(' ', '.')}={' '.join(v.split())}" for k, v in run.run_info.items()]
        (directory / "environment.properties").write_text("\n".join(lines) + "\n")
    return attached


def _attach(scenario: Scenario, result: dict[str, object], directory: Path) -> int:
    attachments = result.setdefault("attachments", [])
    assert isinstance(attachments, list)
    have = {a.get("name") for a in attachments if isinstance(a, dict)}
    added = 0
    for evidence in scenario.evidence:
        if evidence.path is None or evidence.name in have:
            continue
        suffix = evidence.path.suffix
        target = directory / f"{uuid.uuid4()}-attachment{suffix}"
        shutil.copyfile(evidence.path, target)
        kind = TYPES.get(suffix) or mimetypes.guess_type(evidence.path.name)[0] or "text/plain"
        attachments.append({"name": evidence.name, "source": target.name, "type": kind})
        added += 1
    return added
