"""Reading one acceptance run's result (cucumber.json) and deciding what a defect run means against the
baseline run of the unchanged tree: caught, survived or error."""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

CAUGHT, SURVIVED, STALE, ERROR = "caught", "survived", "stale", "error"
INCONCLUSIVE = "inconclusive:"  # an error that says nothing about the defect: proven once more
# no verdict because the unchanged tree failed too: not proven again (the same baseline would judge it alike)
BASELINE_FAILED = "inconclusive, the unchanged tree failed too:"
PASSED, FAILED, NOT_VERIFIED = "passed", "failed", "not verified"
NOT_VERIFIED_PREFIX = "NOT VERIFIED"
# the install moved the NodePorts because another namespace held them: NodePort steps fail for that reason
PORTS_HELD = re.compile(r"\b\d{4,5} is held by \S+/")  # deploy log and the HTML report summary
NODEPORT_FAILURE = re.compile(r"not on NodePort|NodePort \d+|\b3008[01]\b", re.I)
# the cluster itself went away mid-run (e.g. another run stopped it): says nothing about the defect
CLUSTER_GONE = re.compile(
    r"(Connection refused|Max retries exceeded|Failed to establish a new connection).*port=6443"
    r"|port=6443.*(Connection refused|Max retries exceeded)|Kubernetes cluster unreachable",
    re.I,
)


@dataclass(frozen=True)
class ScenarioResult:
    feature: str
    scenario: str
    status: str  # passed | failed | not verified
    step: str = ""  # the first step that did not pass
    reason: str = ""

    @property
    def key(self) -> str:
        return f"{self.feature}: {self.scenario}"

    def to_json(self) -> dict[str, str]:
        return asdict(self)


def read_cucumber(path: Path) -> list[ScenarioResult]:
    """Scenario outcomes from a cucumber.json the acceptance run wrote (the reporting plugin makes its skips
    and setup errors truthful: a NOT VERIFIED step carries that reason, an unreached scenario its error)."""
    results = []
    for feature in json.loads(path.read_text()):
        for element in feature.get("elements", []):
            results.append(_scenario_result(feature.get("name", ""), element))
    return results


def _scenario_result(feature: str, element: dict[str, Any]) -> ScenarioResult:
    for step in element.get("steps", []):
        result = step.get("result", {})
        status, message = result.get("status"), str(result.get("error_message") or "")
        name = f"{step.get('keyword', '').strip()} {step.get('name', '')}".strip()
        if status == "failed":
            return ScenarioResult(feature, element.get("name", ""), FAILED, name, _first_line(message))
        if status == "skipped" and message.startswith(NOT_VERIFIED_PREFIX):
            return ScenarioResult(feature, element.get("name", ""), NOT_VERIFIED, name, _first_line(message))
    return ScenarioResult(feature, element.get("name", ""), PASSED)


def _first_line(message: str) -> str:
    """The assertion's own message: pytest-bdd's error_message is the whole traceback, its last 'E' lines the
    point."""
    lines = [line.strip() for line in message.splitlines() if line.strip()]
    errors = [line[1:].strip() for line in lines if line.startswith("E ")]
    text = " ".join(errors) if errors else (lines[-1] if lines else "")
    return text[:400]


@dataclass(frozen=True)
class Verdict:
    outcome: str
    scenario: str = ""
    step: str = ""
    reason: str = ""


def judge(
    results: list[ScenarioResult], baseline: dict[str, str], exit_status: int, run_log: str = ""
) -> Verdict:
    """What a defect run means. `baseline` maps scenario key -> status on the unchanged tree.

    caught: a scenario that passed on the unchanged tree failed (not merely because another namespace held
    the NodePorts); or one turned NOT VERIFIED and the run's exit status is non-zero (the gate is red).
    survived: everything that passed before still passes (or only skips while the gate stays green), and no
    scenario of the run failed on the unchanged tree.
    error: the run produced no scenario results, or it is inconclusive (another namespace held the NodePorts,
    the cluster stopped answering, a scenario that could have caught the defect failed on the unchanged tree).
    """
    if not results:
        return Verdict(ERROR, reason=_log_tail(run_log) or f"the run wrote no results (exit {exit_status})")
    newly_failed = [r for r in results if r.status == FAILED and baseline.get(r.key, PASSED) == PASSED]
    if newly_failed and PORTS_HELD.search(run_log):
        real = [r for r in newly_failed if not NODEPORT_FAILURE.search(r.reason)]
        if not real:
            first = newly_failed[0]
            return Verdict(
                ERROR,
                first.scenario,
                first.step,
                f"{INCONCLUSIVE} another namespace held the NodePorts; the NodePort steps failed for that",
            )
        newly_failed = real
    if newly_failed and all(CLUSTER_GONE.search(r.reason) for r in newly_failed):
        first = newly_failed[0]
        return Verdict(
            ERROR, first.scenario, first.step, f"{INCONCLUSIVE} the cluster stopped answering: {first.reason}"
        )
    if newly_failed:
        first = newly_failed[0]
        more = f" (+{len(newly_failed) - 1} more scenarios)" if len(newly_failed) > 1 else ""
        return Verdict(CAUGHT, first.scenario, first.step, first.reason + more)
    newly_unverified = [
        r
        for r in results
        if r.status == NOT_VERIFIED
        and baseline.get(r.key, PASSED) == PASSED
        and "--cluster-free" not in r.reason  # not run on purpose in a cluster-free pass
    ]
    if newly_unverified and exit_status != 0:
        first = newly_unverified[0]
        return Verdict(CAUGHT, first.scenario, first.step, first.reason)
    if newly_unverified:
        first = newly_unverified[0]
        return Verdict(
            SURVIVED, first.scenario, first.step, f"turned {first.reason}, yet the run's exit status was 0"
        )
    already_failing = [r for r in results if baseline.get(r.key) == FAILED]
    if already_failing:
        # the one that fails anyway may be the very check that would catch the defect: no verdict either way
        names = "; ".join(r.scenario for r in already_failing)
        return Verdict(
            ERROR,
            already_failing[0].scenario,
            reason=f"{BASELINE_FAILED} {len(already_failing)} scenario(s) of this criterion failed on the "
            f"unchanged tree, so they could not show the defect ({names}); the rest still passed. Run again "
            "with --fresh-baseline once the unchanged tree passes",
        )
    return Verdict(SURVIVED, reason="every scenario that passes on the unchanged tree still passed")


def _log_tail(run_log: str, lines: int = 6) -> str:
    tail = [line for line in run_log.strip().splitlines() if line.strip()][-lines:]
    return " | ".join(tail)[-600:]
