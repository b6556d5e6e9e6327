"""Charts rendered from a recorded load trace (tests/reporting/data/load_trace.json: the real backend,
stopped and restarted under load, see data/README.md), the run's phases and image layers: valid SVG that
shows what happened."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from harness.report import plots

TRACE = Path(__file__).resolve().parent / "data" / "load_trace.json"
SVG = "{http://www.w3.org/2000/svg}"


def _texts(svg: str) -> list[str]:
    root = ET.fromstring(svg)  # noqa: S314 - our own output
    return ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]


def _recorded() -> plots.LoadTrace:
    return plots.parse_trace(json.loads(TRACE.read_text()))


def test_the_recorded_trace_is_a_real_disruption() -> None:
    trace = _recorded()
    assert len(trace.samples) > 100
    assert [label for _, label in trace.events] == [
        "backend process stopped",
        "backend answers /api/health again",
        "10 requests in a row answered",
    ]
    assert any(not s.ok for s in trace.samples), "the recording has the failures of the outage"
    assert {s.operation for s in trace.samples} >= {"read", "create"}


def test_load_chart_shows_rates_percentiles_failures_and_numbered_events() -> None:
    trace = _recorded()
    svg = plots.load_chart(trace, "Load during a pod deletion")
    assert svg.lstrip().startswith("<?xml") and "<script" not in svg
    texts = _texts(svg)
    for label in (
        "requests/s",
        "latency ms",
        "failed/s",
        "p50",
        "p95",
        "p99",
        "seconds since the load started",
    ):
        assert label in texts, label
    assert "Load during a pod deletion" in texts
    failed = sum(1 for s in trace.samples if not s.ok)
    assert f"{failed} failed of {len(trace.samples)}" in texts
    for number, (_, label) in enumerate(trace.events, start=1):
        assert str(number) in texts, f"event {number} is not marked on the axis"
        assert any(label in t for t in texts), f"event {label!r} is not in the legend"


def test_failures_show_up_in_the_failure_panel() -> None:
    trace = _recorded()
    broken = plots.LoadTrace(
        trace.started,
        trace.duration,
        [
            plots.TraceSample(
                s.t, s.latency, s.operation, None if 5 <= s.t < 8 else s.status, not 5 <= s.t < 8
            )
            for s in trace.samples
        ],
        trace.events,
    )
    failed = sum(1 for s in broken.samples if not s.ok)
    assert failed > 0
    assert f"{failed} failed of {len(broken.samples)}" in _texts(plots.load_chart(broken, "x"))


def test_same_trace_same_svg() -> None:
    assert plots.load_chart(_recorded(), "t") == plots.load_chart(_recorded(), "t")


@pytest.mark.parametrize(
    ("broken", "message"),
    [
        ([], "is a JSON object"),
        ({"columns": ["t"], "samples": []}, "columns are"),
        (
            {"columns": ["t", "latency", "operation", "status", "ok"], "samples": [[1, 2]], "duration_s": 3},
            "rows are malformed",
        ),
        (
            {"columns": ["t", "latency", "operation", "status", "ok"], "samples": [], "duration_s": 0},
            "positive",
        ),
    ],
)
def test_a_malformed_trace_is_refused_with_the_reason(broken: object, message: str) -> None:
    with pytest.raises(plots.TraceError, match=message):
        plots.parse_trace(broken)


def test_phase_chart_and_image_layers() -> None:
    phases = plots.phase_chart(
        {"cluster": 16.2, "build": 4.1, "install": 43.0, "total": 80.0}, {"install": 50.0}
    )
    texts = _texts(phases)
    assert {"cluster", "build", "install"} <= set(texts) and "total" not in texts
    assert " 43.0s" in texts
    layers = plots.image_layers_chart(
        {
            "backend": [("FROM base", 50_000_000), ("COPY app", 20_000_000)],
            "frontend": [("FROM base", 40_000_000)],
        }
    )
    texts = _texts(layers)
    assert " 70.0 MB" in texts and " 40.0 MB" in texts and " target 80 MB" in texts
    with pytest.raises(ValueError, match="no phase timings"):
        plots.phase_chart({"total": 3.0})
