"""Charts for the acceptance report, drawn with matplotlib as self-contained SVG text.

- load_chart: requests per second, latency percentiles and failures over a load run, with the disruptive
  events of the scenario (pod deleted, replicas Ready, rollout done, …) marked on the time axis;
- phase_chart: how long each phase of the run took, against the last recorded run;
- image_layers_chart: each image's size split into its layers, against the size target.
"""

from __future__ import annotations

import hashlib
import io
import math
import pickle
import threading
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import matplotlib

matplotlib.use("Agg")  # no display: render to files only

from matplotlib.figure import Figure  # figures of their own, not pyplot's: drawable from any thread

from harness.load import percentile

OK_COLOUR = "#1f6f43"
FAIL_COLOUR = "#b3261e"
EVENT_COLOUR = "#5a4a9c"
PERCENTILE_COLOURS = {50: "#1b5e9c", 95: "#c26a00", 99: "#8e2c6d"}
matplotlib.rcParams.update(
    {
        "svg.fonttype": "none",  # text stays text: smaller files, readable by screen readers and searches
        "svg.hashsalt": "tcb-report",  # stable element ids: the same trace gives the same SVG
        "font.size": 9,
        "axes.spines.top": False,
        "axes.spines.right": False,
    }
)


class TraceError(ValueError):
    """A load trace that cannot be plotted (says what is wrong with it)."""


@dataclass(frozen=True)
class TraceSample:
    t: float  # seconds since the load started
    latency: float  # seconds
    operation: str
    status: int | None
    ok: bool


@dataclass(frozen=True)
class LoadTrace:
    started: str  # ISO time of the load's start
    duration: float
    samples: list[TraceSample]
    events: list[tuple[float, str]]  # (seconds since the load started, what happened)


def parse_trace(data: Any) -> LoadTrace:
    """A trace as harness.load.LoadGenerator.trace() writes it (columns + rows), checked."""
    if not isinstance(data, dict):
        raise TraceError(f"a load trace is a JSON object, not {type(data).__name__}")
    columns = data.get("columns")
    expected = ["t", "latency", "operation", "status", "ok"]
    if columns != expected:
        raise TraceError(f"load trace columns are {columns!r}, expected {expected!r}")
    try:
        samples = [
            TraceSample(float(t), float(lat), str(op), st, bool(ok)) for t, lat, op, st, ok in data["samples"]
        ]
        events = [(float(t), str(label)) for t, label in data.get("events", [])]
        duration = float(data["duration_s"])
    except (KeyError, TypeError, ValueError) as exc:
        raise TraceError(
            f"load trace rows are malformed ({exc}): each is [t, latency, operation, status, ok]"
        ) from exc
    if duration <= 0:
        raise TraceError(f"load trace lasts {duration} s; a run lasts a positive time")
    return LoadTrace(str(data.get("started", "")), duration, samples, events)


def _svg(fig: Figure, title: str) -> str:
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None, "Title": title})
    return buffer.getvalue()


# Load charts drawn during the run, after their scenario (draw_ahead), by the exact inputs they were drawn
# from: the report's load_chart with the same trace and title takes the drawing instead of drawing it again at
# the run's end (about 0.8 s of CPU per chart). Different inputs (a step's time recorded differently) are a
# miss and drawn anew: the report never shows a chart of other inputs.
_drawn: dict[bytes, str] = {}
_drawn_lock = threading.Lock()
taken = {"ahead": 0, "at the end": 0}  # how the report's load charts were drawn (the run's log says)


def _inputs(trace: LoadTrace, title: str, bucket: float) -> bytes:
    return hashlib.sha256(pickle.dumps((trace, title, bucket))).digest()


def draw_ahead(trace: LoadTrace, title: str, bucket: float = 1.0) -> None:
    """Draw the load chart now (from any thread: figures of their own) for the report to take later."""
    svg = _draw_load_chart(trace, title, bucket)
    with _drawn_lock:
        _drawn[_inputs(trace, title, bucket)] = svg


def load_chart(trace: LoadTrace, title: str, bucket: float = 1.0) -> str:
    """Three panels over time (one bucket per `bucket` seconds): answered requests per second, latency
    p50/p95/p99, failed requests per second; the trace's events as numbered vertical lines on each. The
    drawing made ahead from the same inputs when there is one (draw_ahead)."""
    with _drawn_lock:
        ahead = _drawn.pop(_inputs(trace, title, bucket), None)
        taken["ahead" if ahead is not None else "at the end"] += 1
    return ahead if ahead is not None else _draw_load_chart(trace, title, bucket)


def _draw_load_chart(trace: LoadTrace, title: str, bucket: float) -> str:
    n = max(1, round(trace.duration / bucket))  # a last part shorter than half a bucket joins the one before
    ok = [0] * n
    failed = [0] * n
    latencies: dict[int, list[float]] = defaultdict(list)
    for sample in trace.samples:
        index = min(n - 1, max(0, int(sample.t // bucket)))
        (ok if sample.ok else failed)[index] += 1
        if sample.ok:
            latencies[index].append(sample.latency * 1000)
    xs = [i * bucket for i in range(n)]
    # the last bucket may be partial: its rate is over the time it covers (at least half a bucket)
    widths = [bucket] * (n - 1) + [max(trace.duration - (n - 1) * bucket, bucket / 2)]
    fig = Figure(figsize=(9, 5.6))
    rps_ax, lat_ax, fail_ax = fig.subplots(3, 1, sharex=True, gridspec_kw={"height_ratios": [3, 3, 2]})
    rps_ax.step(
        xs, [v / w for v, w in zip(ok, widths, strict=True)], where="post", color=OK_COLOUR, label="answered"
    )
    rps_ax.set_ylabel("requests/s")
    rps_ax.set_ylim(bottom=0)
    centres = [x + w / 2 for x, w in zip(xs, widths, strict=True)]
    for q, colour in PERCENTILE_COLOURS.items():
        # NaN where no request was answered: the line breaks over an outage instead of bridging it
        values = [percentile(latencies[i], q) if latencies[i] else math.nan for i in range(n)]
        lat_ax.plot(centres, values, color=colour, label=f"p{q}", lw=1.2, marker=".", markersize=2)
    lat_ax.set_ylabel("latency ms")
    lat_ax.set_ylim(bottom=0)
    lat_ax.legend(loc="upper right", ncols=3, frameon=False)
    fail_ax.bar(
        xs,
        [v / w for v, w in zip(failed, widths, strict=True)],
        width=bucket,
        align="edge",
        color=FAIL_COLOUR,
    )
    fail_ax.set_ylabel("failed/s")
    fail_ax.set_ylim(0, max(1.0, max(failed) / bucket * 1.15))
    fail_ax.set_xlabel("seconds since the load started")
    fail_ax.set_xlim(0, trace.duration)
    total_failed = sum(failed)
    fail_ax.text(
        0.01,
        0.85,
        f"{total_failed} failed of {len(trace.samples)}",
        transform=fail_ax.transAxes,
        color=FAIL_COLOUR if total_failed else OK_COLOUR,
    )
    placed: list[float] = []
    for number, (t, _label) in enumerate(trace.events, start=1):
        for ax in (rps_ax, lat_ax, fail_ax):
            ax.axvline(t, color=EVENT_COLOUR, ls="--", lw=1)
        # events close together get their numbers one under the other instead of on top of each other
        crowd = sum(1 for other in placed if abs(other - t) < trace.duration * 0.03)
        placed.append(t)
        rps_ax.annotate(
            str(number),
            (t, 1.0),
            xycoords=("data", "axes fraction"),
            xytext=(2, -2 - 10 * crowd),
            textcoords="offset points",
            va="top",
            color=EVENT_COLOUR,
            fontweight="bold",
        )
    rps_ax.set_title(title, loc="left", fontsize=10)
    if trace.events:
        legend = "\n".join(f"{i}  +{t:.1f}s  {label}" for i, (t, label) in enumerate(trace.events, start=1))
        fig.text(0.01, -0.02, legend, va="top", ha="left", color=EVENT_COLOUR, fontsize=8.5)
    fig.align_ylabels()
    return _svg(fig, title)


def phase_chart(timings: dict[str, float], last: dict[str, float] | None = None) -> str:
    """Horizontal bars: seconds per phase of this run (the total left out: it is their sum), with the last
    recorded duration of each phase as a tick where known."""
    phases = [(k, v) for k, v in timings.items() if k != "total"]
    if not phases:
        raise ValueError("no phase timings to plot")
    fig = Figure(figsize=(9, 0.45 * len(phases) + 0.9))
    ax = fig.subplots()
    labels = [k for k, _ in phases][::-1]
    values = [v for _, v in phases][::-1]
    ax.barh(labels, values, color="#1b5e9c")
    for y, (label, value) in enumerate(zip(labels, values, strict=True)):
        previous = (last or {}).get(label)
        if previous is not None:
            ax.plot([previous, previous], [y - 0.4, y + 0.4], color="#333333", lw=2)
        ax.text(max(value, previous or 0.0), y, f" {value:.1f}s", va="center")
    ax.set_xlabel("seconds" + (" (black tick: the last recorded run)" if last else ""))
    ax.set_xlim(0, max([*values, *(last or {}).values()]) * 1.18 or 1)
    ax.set_title("Time per phase of this run", loc="left", fontsize=10)
    return _svg(fig, "Time per phase of this run")


def image_layers_chart(
    images: Mapping[str, Sequence[tuple[str, int]]], target_mb: float | None = 80.0
) -> str:
    """One stacked bar per image: its layers' sizes (MB), the larger ones labelled with their instruction."""
    if not images:
        raise ValueError("no image layers to plot")
    names = sorted(images, reverse=True)  # barh draws bottom-up: alphabetical from the top
    fig = Figure(figsize=(9, 0.8 * len(names) + 1.2))
    ax = fig.subplots()
    palette = [matplotlib.colormaps["tab20"](i / 20) for i in range(20)]
    for y, name in enumerate(names):
        left = 0.0
        for index, (instruction, size) in enumerate(images[name]):
            mb = size / 1e6
            if mb <= 0:
                continue
            ax.barh(y, mb, left=left, color=palette[index % len(palette)], edgecolor="white", lw=0.5)
            if mb >= 6:
                ax.text(
                    left + mb / 2, y, _short_instruction(instruction), ha="center", va="center", fontsize=7
                )
            left += mb
        ax.text(left, y, f" {left:.1f} MB", va="center")
    if target_mb:
        ax.axvline(target_mb, color=FAIL_COLOUR, ls="--", lw=1)
        ax.text(target_mb, len(names) - 0.5, f" target {target_mb:.0f} MB", color=FAIL_COLOUR, va="bottom")
    ax.set_yticks(range(len(names)), names)
    ax.set_xlabel("MB (each segment a layer)")
    ax.set_title("Image sizes per layer", loc="left", fontsize=10)
    return _svg(fig, "Image sizes per layer")


def _short_instruction(instruction: str, limit: int = 18) -> str:
    text = " ".join(instruction.replace("/bin/sh -c #(nop)", "").replace("/bin/sh -c", "RUN").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
