"""Static checks of the rendered chart: checkov, in its own cached venv (its pins clash with ours)."""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from harness.log import get_logger
from harness.paths import CACHE, ensure
from harness.proc import run

log = get_logger("chart-checks")

CHECKOV_VERSION = "3.3.30"


def checkov_path(version: str = CHECKOV_VERSION) -> Path:
    return CACHE / "venvs" / f"checkov-{version}" / "bin" / "checkov"


def ensure_checkov(version: str = CHECKOV_VERSION) -> Path:
    """Return the pinned checkov, installing it from PyPI into CACHE/venvs/checkov-<version> on first use."""
    target = checkov_path(version)
    venv = target.parent.parent
    done = venv / ".installed"  # written last: a venv without it is an interrupted install
    if done.is_file():
        return target
    log.info("installing checkov %s into %s (first run only, ~1-2 min)", version, venv)
    started = time.monotonic()
    if venv.exists():
        shutil.rmtree(venv)
    ensure(venv.parent)
    run([sys.executable, "-m", "venv", venv])
    run(
        [venv / "bin" / "pip", "install", "--quiet", "--disable-pip-version-check", f"checkov=={version}"],
        stream=True,
    )
    run([target, "--version"], quiet=True)
    done.write_text(version + "\n")
    log.info("checkov %s ready (%.0fs)", version, time.monotonic() - started)
    return target


@dataclass(frozen=True)
class CheckovFinding:
    check_id: str
    name: str
    severity: str | None
    resource: str
    result: str  # "failed" or "skipped"
    reason: str = ""

    def __str__(self) -> str:
        why = f" ({self.reason})" if self.reason else ""
        return f"{self.check_id} [{self.severity or 'no severity'}] {self.resource}: {self.name}{why}"


@dataclass(frozen=True)
class CheckovReport:
    passed: int
    failed: list[CheckovFinding]
    skipped: list[CheckovFinding]


def run_checkov(manifests: str) -> CheckovReport:
    """Scan rendered Kubernetes manifests (one YAML stream) with checkov's kubernetes framework, offline."""
    checkov = ensure_checkov()
    with tempfile.TemporaryDirectory(prefix="checkov-") as tmp:
        (Path(tmp) / "manifests.yaml").write_text(manifests)
        proc = run(
            [
                checkov,
                "--directory",
                tmp,
                "--framework",
                "kubernetes",
                "--output",
                "json",
                "--compact",
                "--skip-download",
            ],
            # exit 1 means "findings", which the caller judges; only a crash is an error here
            check=False,
            env={"BC_SKIP_MAPPING": "TRUE", "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false"},
        )
    if proc.returncode not in (0, 1) or not proc.stdout.strip():
        raise RuntimeError(f"checkov failed (exit {proc.returncode}): {proc.stderr.strip()[-2000:]}")
    data = json.loads(proc.stdout)
    reports = data if isinstance(data, list) else [data]
    passed = 0
    failed: list[CheckovFinding] = []
    skipped: list[CheckovFinding] = []
    for report in reports:
        results = report.get("results", {})
        passed += len(results.get("passed_checks", []))
        for kind, bucket in (("failed", failed), ("skipped", skipped)):
            for check in results.get(f"{kind}_checks", []):
                bucket.append(
                    CheckovFinding(
                        check_id=check["check_id"],
                        name=check.get("check_name", ""),
                        severity=check.get("severity"),
                        resource=check.get("resource", ""),
                        result=kind,
                        reason=(check.get("check_result") or {}).get("suppress_comment", "") or "",
                    )
                )
    return CheckovReport(passed=passed, failed=failed, skipped=skipped)
