"""acceptance.html: one self-contained page (inline CSS, every image a data: URI, no script, no network)."""

from __future__ import annotations

import base64
import os
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2

from harness.log import format_seconds
from harness.report import plots
from harness.report.outputs import RunRecord, Scenario, Step, load_trace_with_steps

TEMPLATES = Path(__file__).resolve().parent / "templates"
MARKS = {"passed": "✓", "failed": "✗", "not verified": "⚠", "not run": "·", "uncovered": "?"}
VERDICT_WORDS = {
    "passed": "PASSED",
    "failed": "FAILED",
    "passed with gaps": "PASSED WITH GAPS",
    "partial run": "PARTIAL RUN: NO FAILURE, NOT EVERY CRITERION RUN",
}
SCENARIO_ORDER = ("failed", "not verified", "passed", "not run")
MAX_TEXT = 60_000  # characters of one text evidence shown inline (the file link has all of it)


@dataclass
class Chart:
    kind: str
    src: str
    alt: str
    caption: str


def svg_src(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def image_src(path: Path) -> str:
    mime = "image/svg+xml" if path.suffix == ".svg" else "image/png"
    return f"data:{mime};base64," + base64.b64encode(path.read_bytes()).decode()


def run_charts(run: RunRecord) -> list[Chart]:
    charts = []
    if [k for k in run.timings if k != "total"]:
        charts.append(
            Chart(
                "phases",
                svg_src(plots.phase_chart(run.timings, run.last_timings)),
                "Bar chart of seconds per phase: "
                + ", ".join(f"{k} {v:.0f}s" for k, v in run.timings.items() if k != "total"),
                "Where the run's time went (the session fixtures' setup, then the scenarios).",
            )
        )
    if run.image_layers:
        sizes = {n: sum(s for _, s in layers) / 1e6 for n, layers in run.image_layers.items()}
        charts.append(
            Chart(
                "image layers",
                svg_src(plots.image_layers_chart(run.image_layers)),
                "Stacked bars of each image's layers: "
                + ", ".join(f"{n} {mb:.1f} MB" for n, mb in sizes.items()),
                "Image sizes per layer (uncompressed, as `docker history` reports them),"
                " against the 80 MB target.",
            )
        )
    return charts


def load_chart_title(scenario_name: str) -> str:
    return f"Load during “{scenario_name}”"


def draw_load_chart_ahead(scenario_name: str, trace_file: Path, steps: list[dict[str, Any]]) -> None:
    """The scenario's load chart drawn as soon as it has ended (from its trace file and its steps as the run
    recorded them, which timeline.json will hold), for the report to take at the run's end
    (plots.draw_ahead) instead of drawing it there."""
    clock = [
        Step(
            keyword=str(s.get("keyword", "")),
            name=str(s.get("name", "")),
            status=str(s.get("status", "")),
            duration=0.0,
            started=s.get("started"),
            ended=s.get("ended"),
            type=str(s.get("type") or ""),
        )
        for s in steps
    ]
    trace = load_trace_with_steps(trace_file, clock)
    try:
        plots.draw_ahead(plots.parse_trace(trace), load_chart_title(scenario_name))
    except plots.TraceError:
        return  # the report says why, in its place


def load_chart(scenario: Scenario) -> Chart | None:
    if scenario.load_trace is None:
        return None
    try:
        trace = plots.parse_trace(scenario.load_trace)
    except plots.TraceError as exc:
        return Chart("load", "", f"the load trace could not be drawn: {exc}", f"Load trace unusable: {exc}")
    failed = sum(1 for s in trace.samples if not s.ok)
    events = "; ".join(f"{label} at {t:.1f}s" for t, label in trace.events)
    return Chart(
        "load",
        svg_src(plots.load_chart(trace, load_chart_title(scenario.name))),
        f"Requests per second, latency p50/p95/p99 and failures over {trace.duration:.0f}s:"
        f" {len(trace.samples)} requests, {failed} failed. Events: {events or 'none'}.",
        f"{len(trace.samples)} requests over {trace.duration:.0f}s, {failed} failed; dashed lines: what"
        " happened while the load ran — the scenario's steps as they ended, and where a long When step"
        " began (numbered below the chart).",
    )


def short_error(text: str) -> str:
    """The assertion's own lines ("E   …" in pytest's traceback) of a step's error, else its last lines."""
    lines = text.strip().splitlines()
    errors = [line[1:].strip() for line in lines if line.startswith("E ")]
    return "\n".join(errors) if errors else "\n".join(lines[-3:])


def render(run: RunRecord) -> str:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    report_dir = run.report_dir

    def rel(path: Path) -> str:
        return os.path.relpath(path, report_dir)

    def read_text(path: Path) -> str:
        text = path.read_text(errors="replace")
        return text if len(text) <= MAX_TEXT else text[:MAX_TEXT] + "\n… (cut; the file has the rest)"

    def diagnostics_summary(bundle: Path) -> str:
        summary = bundle / "SUMMARY.txt"
        return summary.read_text(errors="replace") if summary.is_file() else f"(no SUMMARY.txt in {bundle})"

    features: dict[str, list[Scenario]] = {}
    for scenario in run.scenarios:
        features.setdefault(scenario.feature or scenario.feature_file, []).append(scenario)
    counts = Counter(s.status for s in run.scenarios)
    links = [
        (label, name)
        for label, name in (
            ("traceability matrix", "traceability.html"),
            ("job summary (Markdown)", "summary.md"),
            ("JUnit XML", "junit.xml"),
            ("Cucumber JSON", "cucumber.json"),
            ("Allure results", "allure-results/"),
        )
        if (report_dir / name).exists()
    ]
    sources = [
        n
        for n in ("traceability.json", "cucumber.json", "junit.xml", "timeline.json")
        if (report_dir / n).is_file()
    ]
    template = env.get_template("acceptance.html.j2")
    return template.render(
        run=run,
        links=links,
        charts=run_charts(run),
        load_charts={s.key: c for s in run.scenarios if (c := load_chart(s)) is not None},
        features=list(features.items()),
        scenario_counts={s: counts[s] for s in SCENARIO_ORDER if counts.get(s)},
        sources=sources,
        css=lambda status: "s-" + str(status).replace(" ", "-"),
        mark=lambda status: MARKS.get(status, ""),
        verdict_word=lambda v: VERDICT_WORDS.get(v, v.upper()),
        seconds=format_seconds,
        rel=rel,
        read_text=read_text,
        image_src=image_src,
        diagnostics_summary=diagnostics_summary,
        short_error=short_error,
        clip=lambda text, limit: text if len(text) <= limit else text[: limit - 1] + "…",
    )
