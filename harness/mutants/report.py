"""The kill table: reports/mutants.json (the data), reports/mutants.html and reports/mutants.md (the table).

mutants.json shape (schema 1):
    {"schema": 1, "generated": ISO time, "command": str, "target": str, "final": bool, "seconds": float,
     "baseline": {"tree", "seconds", "not_passing": [{feature, scenario, status, step, reason}]},
     "summary": {"caught": n, "survived": n, "stale": n, "error": n, "total": n},
     "defects": [{"id", "criterion", "file", "description", "outcome", "scenario", "step", "reason",
                  "seconds", "expected", "should_catch", ...}]}
`html_table(data)` renders the table as an HTML fragment for embedding in another report.
"""

from __future__ import annotations

import html
import json
import shlex
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

from harness.mutants import outcomes

SCHEMA = 1
OUTCOMES = (outcomes.CAUGHT, outcomes.SURVIVED, outcomes.STALE, outcomes.ERROR)


def new_report(baseline: dict[str, Any], options: Any, argv: list[str]) -> dict[str, Any]:
    return {
        "schema": SCHEMA,
        "generated": datetime.now().isoformat(timespec="seconds"),
        "command": shlex.join(["tcb", "prove", *argv[2:]]) if len(argv) > 1 else "tcb prove",
        "target": options.target,
        "baseline": {
            "tree": baseline.get("tree", ""),
            "seconds": baseline.get("seconds", 0.0),
            "skipped": bool(baseline.get("skipped")),
            "not_passing": baseline.get("not_passing", []),
        },
    }


def summary(defects: list[dict[str, Any]]) -> dict[str, int]:
    counts = Counter(d["outcome"] for d in defects)
    return {**{o: counts.get(o, 0) for o in OUTCOMES}, "total": len(defects)}


def write(
    data: dict[str, Any], defects: list[dict[str, Any]], report_dir: Path, seconds: float, *, final: bool
) -> dict[str, Any]:
    data = data | {
        "final": final,
        "seconds": round(seconds, 1),
        "summary": summary(defects),
        "defects": sorted(defects, key=lambda d: (d["criterion"], d["id"])),
    }
    report_dir.mkdir(parents=True, exist_ok=True)
    (report_dir / "mutants.json").write_text(json.dumps(data, indent=2) + "\n")
    (report_dir / "mutants.md").write_text(markdown(data))
    (report_dir / "mutants.html").write_text(html_page(data))
    return data


def _where(defect: dict[str, Any]) -> str:
    parts = [p for p in (defect.get("scenario", ""), defect.get("step", "")) if p]
    return " → ".join(parts)


def _outcome(defect: dict[str, Any]) -> str:
    partial = defect.get("scope") == "cluster-free scenarios" and defect["outcome"] == outcomes.SURVIVED
    return f"{defect['outcome']} (cluster-free scenarios only)" if partial else defect["outcome"]


def _why(defect: dict[str, Any]) -> str:
    if defect["outcome"] == outcomes.SURVIVED and defect.get("should_catch"):
        return f"should be caught by: {defect['should_catch']}"
    return ": ".join(p for p in (_where(defect), defect.get("reason", "")) if p)


def markdown(data: dict[str, Any]) -> str:
    s = data["summary"]
    lines = [
        "# Seeded defects: the kill table",
        "",
        f"`{data['command']}` — {data['generated']}, {data['seconds']:.0f}s"
        + ("" if data.get("final") else " (running: partial)"),
        "",
        f"**{s['caught']} caught, {s['survived']} survived, {s['stale']} stale, {s['error']} error"
        f" of {s['total']}**",
        "",
        "| defect | criterion | file | outcome | s | failed at / why it survived |",
        "|---|---|---|---|---|---|",
    ]
    for d in data["defects"]:
        cell = _why(d).replace("|", "\\|").replace("\n", " ")[:300]
        lines.append(
            f"| {d['id']} | {d['criterion']} | `{d['file']}` | {_outcome(d)} | {d['seconds']:.0f} | {cell} |"
        )
    not_passing = data.get("baseline", {}).get("not_passing", [])
    if not_passing:
        lines += ["", "Not passing on the unchanged tree (a defect cannot be caught by these):", ""]
        lines += [f"- {n['feature']}: {n['scenario']} — {n['status']}: {n['reason']}" for n in not_passing]
    return "\n".join(lines) + "\n"


def html_table(data: dict[str, Any]) -> str:
    """The kill table as an HTML fragment (a <section>), for mutants.html and the acceptance report."""
    s = data["summary"]
    e = html.escape
    rows = []
    for d in data["defects"]:
        why = d.get("should_catch", "") if d["outcome"] == outcomes.SURVIVED else d.get("reason", "")
        rows.append(
            f'<tr class="{e(d["outcome"])}"><td>{e(d["id"])}</td><td>{e(d["criterion"])}</td>'
            f"<td><code>{e(d['file'])}</code></td><td>{e(d['description'])}</td>"
            f"<td><b>{e(_outcome(d))}</b></td><td>{d['seconds']:.0f}</td>"
            f"<td>{e(_where(d))}</td><td>{e(why)}</td></tr>"
        )
    return (
        '<section class="mutants"><h2>Seeded defects (tcb prove)</h2>'
        f"<p>{s['caught']} caught, {s['survived']} survived, {s['stale']} stale, {s['error']} error"
        f" of {s['total']} — <code>{e(data['command'])}</code>, {e(data['generated'])}</p>"
        "<table><thead><tr><th>defect</th><th>criterion</th><th>file</th><th>what was broken</th>"
        "<th>outcome</th><th>s</th><th>failing scenario → step</th>"
        "<th>reason / check that should catch it</th>"
        "</tr></thead><tbody>" + "".join(rows) + "</tbody></table></section>"
    )


def html_page(data: dict[str, Any]) -> str:
    style = (
        "body{font-family:sans-serif;margin:1.5em}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:3px 6px;vertical-align:top;font-size:90%}"
        "tr.caught td:nth-child(5){color:#070}tr.survived td:nth-child(5){color:#b00}"
        "tr.stale td:nth-child(5),tr.error td:nth-child(5){color:#a60}"
    )
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>tcb prove</title><style>{style}</style>"
        f"</head><body>{html_table(data)}</body></html>\n"
    )
