"""Static checks of the rendered chart: checkov, in its own cached venv (its pins clash with ours)."""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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


# --- the database connection budget -------------------------------------------------------------------------
@dataclass
class ConnectionBudget:
    """What the rendered workloads can open against the in-chart PostgreSQL, read from the manifests alone."""

    backend_pods: int  # the HPA's maximum (else the replicas) plus the rollout's surge
    backend_per_pod: int  # WEB_CONCURRENCY x DB_POOL_SIZE
    chatbot_pods: int
    chatbot_per_pod: int
    max_connections: int
    superuser_reserved: int
    role_limits: dict[str, int]  # role -> CONNECTION LIMIT the setup gives it

    @property
    def pools(self) -> int:
        return self.backend_pods * self.backend_per_pod + self.chatbot_pods * self.chatbot_per_pod

    @property
    def available(self) -> int:
        """Slots a non-superuser may take (PostgreSQL keeps superuser_reserved_connections back)."""
        return self.max_connections - self.superuser_reserved

    def describe(self) -> str:
        return (
            f"backend {self.backend_pods} pods x {self.backend_per_pod} + chatbot {self.chatbot_pods} pods x "
            f"{self.chatbot_per_pod} = {self.pools} connections; max_connections {self.max_connections} - "
            f"{self.superuser_reserved} superuser-reserved = {self.available} available"
        )


def _env(container: dict[str, Any]) -> dict[str, str]:
    return {e["name"]: str(e["value"]) for e in container.get("env", []) if "value" in e}


def _pods_at_most(deployment: dict[str, Any], hpas: list[dict[str, Any]]) -> int:
    name = deployment["metadata"]["name"]
    ceiling = int(deployment["spec"].get("replicas", 1))
    for hpa in hpas:
        if hpa["spec"]["scaleTargetRef"]["name"] == name:
            ceiling = max(ceiling, int(hpa["spec"]["maxReplicas"]))
    surge = deployment["spec"].get("strategy", {}).get("rollingUpdate", {}).get("maxSurge", 1)
    if isinstance(surge, str):  # a percentage: Kubernetes rounds it up
        surge = -(-ceiling * int(surge.rstrip("%")) // 100)
    return ceiling + int(surge)


def connection_budget(objects: list[dict[str, Any]]) -> ConnectionBudget | None:
    """The budget of a rendered chart with the in-chart PostgreSQL (None with an external database)."""

    def one(kind: str, suffix: str) -> dict[str, Any]:
        (found,) = [o for o in objects if o["kind"] == kind and o["metadata"]["name"].endswith(suffix)]
        return found

    postgres = [
        o for o in objects if o["kind"] == "StatefulSet" and o["metadata"]["name"].endswith("-postgres")
    ]
    if not postgres:
        return None
    hpas = [o for o in objects if o["kind"] == "HorizontalPodAutoscaler"]
    per_pod: dict[str, tuple[int, int]] = {}
    for component in ("backend", "chatbot"):
        deployment = one("Deployment", f"-{component}")
        env = _env(deployment["spec"]["template"]["spec"]["containers"][0])
        # no DB_POOL_SIZE means the service's own default, which the chart cannot budget: count it as unknown
        pool = int(env.get("DB_POOL_SIZE", "0")) or 10**6
        per_pod[component] = (_pods_at_most(deployment, hpas), int(env.get("WEB_CONCURRENCY", "1")) * pool)
    container = postgres[0]["spec"]["template"]["spec"]["containers"][0]
    args = container.get("args", [])
    settings = dict(a.split("=", 1) for a in args if "=" in a)
    env = _env(container)
    return ConnectionBudget(
        backend_pods=per_pod["backend"][0],
        backend_per_pod=per_pod["backend"][1],
        chatbot_pods=per_pod["chatbot"][0],
        chatbot_per_pod=per_pod["chatbot"][1],
        max_connections=int(settings.get("max_connections", 100)),  # PostgreSQL's default
        superuser_reserved=int(settings.get("superuser_reserved_connections", 3)),
        role_limits={
            "todo_backend": int(env.get("BACKEND_CONNECTION_LIMIT", "-1")),
            "todo_chatbot": int(env.get("CHATBOT_CONNECTION_LIMIT", "-1")),
        },
    )


def connection_budget_problems(budget: ConnectionBudget) -> list[str]:
    """Why the pools could exceed what PostgreSQL admits (empty when they fit), each naming the numbers."""
    problems = []
    if budget.pools > budget.available:
        problems.append(f"the pools can open more connections than PostgreSQL admits: {budget.describe()}")
    for role, pods, per_pod in (
        ("todo_backend", budget.backend_pods, budget.backend_per_pod),
        ("todo_chatbot", budget.chatbot_pods, budget.chatbot_per_pod),
    ):
        limit = budget.role_limits[role]
        if limit < pods * per_pod:
            problems.append(
                f"role {role} may open {limit} connections (its CONNECTION LIMIT; -1: none set) "
                f"but its {pods} pods x {per_pod} pool can open {pods * per_pod}"
            )
    return problems
