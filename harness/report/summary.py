"""A GitHub-Actions-style job summary: the verdict, the success criteria, the scenarios that did not pass and
the phase timings, as Markdown (written to summary.md, and appended to $GITHUB_STEP_SUMMARY when set)."""

from __future__ import annotations

from harness.log import format_seconds
from harness.report.outputs import RunRecord

ICONS = {
    "passed": "✅",
    "failed": "❌",
    "not verified": "⚠️",
    "not run": "⏭️",
    "uncovered": "❔",
    "not applicable": "🚫",
}


def _cell(text: str) -> str:
    return " ".join(text.replace("|", "\\|").split())


def _first_sentence(text: str, limit: int = 90) -> str:
    sentence = text.split(": ")[0].split(". ")[0]
    return sentence if len(sentence) <= limit else sentence[: limit - 1] + "…"


def to_markdown(run: RunRecord) -> str:
    verdict = {
        "passed": "✅ PASSED",
        "failed": "❌ FAILED",
        "passed with gaps": "⚠️ PASSED WITH GAPS",
        "partial run": "⏭️ PARTIAL RUN: no failure, not every criterion run",
    }[run.verdict]
    facts = ", ".join(f"{k} `{run.run_info[k]}`" for k in ("target", "namespace") if run.run_info.get(k))
    total = run.timings.get("total")
    lines = [f"## Acceptance: {verdict}", ""]
    if facts or total:
        lines += [" · ".join(p for p in (facts, f"total {format_seconds(total)}" if total else "") if p), ""]
    lines += ["| | success criterion | verdict | scenarios | time |", "|---|---|---|---|---|"]
    for c in run.criteria:
        statuses = [s.status for k in c.scenario_keys if (s := run.scenario(k))]
        tally = " ".join(f"{ICONS.get(st, '')} {statuses.count(st)}" for st in sorted(set(statuses))) or "—"
        lines.append(
            f"| {ICONS.get(c.status, '')} | **{c.id}** {_cell(_first_sentence(c.text))} | {c.status}"
            f" | {tally} | {format_seconds(c.duration)} |"
        )
    lines.append("")
    counts: dict[str, int] = {}
    for s in run.scenarios:
        counts[s.status] = counts.get(s.status, 0) + 1
    lines += [
        "**Scenarios:** " + ", ".join(f"{ICONS.get(k, '')} {n} {k}" for k, n in sorted(counts.items())),
        "",
    ]
    attention = [s for s in run.scenarios if s.status in ("failed", "not verified")]
    if attention:
        lines += ["### Needs attention", "", "| verdict | scenario | reason |", "|---|---|---|"]
        lines += [
            f"| {ICONS[s.status]} {s.status} | {_cell(s.name)} | {_cell(s.reason)[:300]} |" for s in attention
        ]
        lines.append("")
    if run.timings:
        lines += ["### Timings", "", "| " + " | ".join(run.timings) + " |", "|" + "---|" * len(run.timings)]
        lines += ["| " + " | ".join(format_seconds(v) for v in run.timings.values()) + " |", ""]
    lines += ["Full report: `acceptance.html` · matrix: `traceability.html` · JUnit: `junit.xml`", ""]
    return "\n".join(lines)
