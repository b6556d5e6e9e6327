"""Time the acceptance run: `pytest features/` end to end, then where the time went — per phase, per scenario
and, for the slow scenarios, per step — read from the run's own outputs.

    .venv/bin/python benchmarks/acceptance_bench.py [--runs 2] [-- extra pytest args, e.g. --target local]
    .venv/bin/python benchmarks/acceptance_bench.py --report-dir reports/          # a run already made
    .venv/bin/python benchmarks/acceptance_bench.py --report-dir after/ --compare before/   # before/after

Run it twice (or --runs 2) to see warm figures: images and cluster binaries come from the caches. The
phases are the setup times of the session fixtures (cluster, build, load, install, app reachable) and
the scenarios' own time (traceability.json). A scenario's time is its junit time (setup, steps and
teardown); its steps come from timeline.json, and "outside steps" is the rest: fixtures a step asked for
(a second release, a load's users), restoring the release afterwards, and the session's teardown in the
last scenario. Target (issue 13): warm run <= 150 s on 2 cores; issue 10: never above 240 s.

The load section reads each load scenario's `load_trace.json`: the rate its users achieved against the 100
requests/s the scenarios offer (issue 13 item 6: at least 100/s), latency, and the slowest 3-second stretch
(where a rollout held the load back).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from harness.load import percentile

REPO = Path(__file__).resolve().parent.parent
PHASES = ("cluster", "build", "load", "install", "app reachable", "scenarios", "total")


def scenario_times(report_dir: Path) -> dict[str, float]:
    """feature::test name -> seconds (junit: setup, call and teardown), slowest first."""
    times = {}
    root = ElementTree.parse(report_dir / "junit.xml").getroot()  # noqa: S314 - our own run's output
    for case in root.iter("testcase"):
        feature = str(case.get("classname", "")).removeprefix("features.").removesuffix(".feature")
        times[f"{feature}::{case.get('name', '')}"] = float(case.get("time") or 0.0)
    return dict(sorted(times.items(), key=lambda kv: -kv[1]))


def step_times(report_dir: Path) -> dict[str, list[tuple[str, float]]]:
    """feature::test name -> [(step, seconds)] from timeline.json."""
    timeline = json.loads((report_dir / "timeline.json").read_text())
    out: dict[str, list[tuple[str, float]]] = {}
    for nodeid, record in timeline.get("scenarios", {}).items():
        feature = nodeid.split("::")[0].removeprefix("features/").removesuffix(".feature")
        out[f"{feature}::{record['item']}"] = [
            (f"{s['keyword']} {s['name']}", (s["ended"] or s["started"]) - s["started"])
            for s in record.get("steps", [])
        ]
    return out


LOAD_TARGET = 100.0  # requests/s, issue 13 item 6


def load_rates(report_dir: Path, window: int = 3) -> dict[str, dict[str, float]]:
    """Scenario directory -> requests, seconds, achieved rate, p50/p95 ms and the lowest rate over `window`
    seconds, from each load_trace.json under report_dir/evidence."""
    out: dict[str, dict[str, float]] = {}
    for trace_file in sorted((report_dir / "evidence").glob("*/load_trace.json")):
        trace = json.loads(trace_file.read_text())
        samples, seconds = trace["samples"], float(trace["duration_s"])
        latencies = [s[1] for s in samples]
        per_second = [0] * (int(seconds) + 1)
        for s in samples:
            per_second[min(int(s[0]), len(per_second) - 1)] += 1
        whole = per_second[: int(seconds)]  # the last, partial second left out
        windows = [sum(whole[i : i + window]) / window for i in range(len(whole) - window + 1)]
        out[trace_file.parent.name] = {
            "requests": len(samples),
            "seconds": seconds,
            "rate": len(samples) / seconds if seconds else 0.0,
            "p50_ms": 1000 * percentile(latencies, 50),  # the load report's own nearest-rank percentile
            "p95_ms": 1000 * percentile(latencies, 95),
            "lowest": min(windows) if windows else 0.0,
        }
    return out


def print_load(report_dir: Path) -> None:
    rates = load_rates(report_dir)
    if not rates:
        return
    print(f"\n== load (target >= {LOAD_TARGET:g} requests/s achieved; lowest: the slowest 3 s)")
    for name, r in rates.items():
        short = "" if r["rate"] >= LOAD_TARGET else "   UNDER the target"
        print(
            f"  {r['rate']:6.1f}/s  {r['requests']:5.0f} in {r['seconds']:5.1f} s, p50 {r['p50_ms']:4.0f} ms,"
            f" p95 {r['p95_ms']:5.0f} ms, lowest {r['lowest']:5.1f}/s  {name[5:]}{short}"
        )


def analyse(report_dir: Path, *, compare: Path | None = None, top: int = 15, step_floor: float = 1.0) -> None:
    """Print phases, every scenario's time (against `compare`'s when given) and the slow scenarios' steps."""
    matrix = json.loads((report_dir / "traceability.json").read_text())
    timings: dict[str, float] = matrix["timings_seconds"]
    before_timings: dict[str, float] = {}
    before: dict[str, float] = {}
    if compare is not None:
        before_timings = json.loads((compare / "traceability.json").read_text())["timings_seconds"]
        before = scenario_times(compare)
    print(f"\n== phases ({report_dir})" + (f" against {compare}" if compare else ""))
    for phase in PHASES:
        if phase in timings:
            was = f"   (before {before_timings[phase]:7.1f} s)" if phase in before_timings else ""
            print(f"  {phase:<14} {timings[phase]:8.1f} s{was}")
    scenarios = scenario_times(report_dir)
    steps = step_times(report_dir)
    print(f"\n== scenarios, slowest first ({len(scenarios)}, {sum(scenarios.values()):.1f} s in all)")
    for name, seconds in scenarios.items():
        was = f"  (before {before[name]:6.1f})" if name in before else ""
        print(f"  {seconds:7.1f} s{was}  {name}")
    print(f"\n== steps of the {top} slowest scenarios (steps of {step_floor:g} s or more)")
    for name, seconds in list(scenarios.items())[:top]:
        own = steps.get(name, [])
        outside = seconds - sum(s for _, s in own)
        print(f"  {seconds:7.1f} s  {name}")
        for step, took in own:
            if took >= step_floor:
                print(f"      {took:7.1f} s  {step[:100]}")
        if outside >= step_floor:
            print(f"      {outside:7.1f} s  (outside steps: fixtures' setup and teardown)")
    print_load(report_dir)


def one_run(extra: list[str]) -> tuple[float, int, Path | None]:
    keep = Path(tempfile.mkdtemp(prefix="tcb-bench-"))
    started = time.monotonic()
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "features/",
            "-q",
            "-p",
            "no:cacheprovider",
            "--report-dir",
            str(keep),
            *extra,
        ],
        cwd=REPO,
        check=False,
    )
    wall = time.monotonic() - started
    if not (keep / "traceability.json").is_file():
        print(f"the run wrote no traceability.json (pytest exited {result.returncode})", file=sys.stderr)
        return wall, result.returncode, None
    return wall, result.returncode, keep


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1, help="how many runs (the first may be cold)")
    parser.add_argument("--report-dir", type=Path, help="analyse this run's reports instead of running")
    parser.add_argument("--compare", type=Path, help="another run's report dir: its times as 'before'")
    parser.add_argument("--top", type=int, default=15, help="how many slow scenarios to show step by step")
    args, extra = parser.parse_known_args()
    extra = [a for a in extra if a != "--"]
    if args.report_dir:
        analyse(args.report_dir, compare=args.compare, top=args.top)
        return 0
    status = 0
    for index in range(1, args.runs + 1):
        wall, code, reports = one_run(extra)
        status = status or code
        print(f"\nrun {index}: {wall:.1f} s wall, pytest exit {code}")
        if reports is not None:
            summary: dict[str, Any] = json.loads((reports / "traceability.json").read_text())["summary"]
            print("  requirements: " + ", ".join(f"{n} {s}" for s, n in summary["all"].items() if n))
            analyse(reports, compare=args.compare, top=args.top)
            print(f"  (reports kept in {reports})")
    return status


if __name__ == "__main__":
    raise SystemExit(main())
