"""Time the acceptance run: `pytest features/` end to end, then the per-phase figures it recorded.

    .venv/bin/python benchmarks/acceptance_bench.py [--runs 2] [-- extra pytest args, e.g. --target local]

Run it twice (or --runs 2) to see warm figures: images and cluster binaries come from the caches. The
phases are the setup times of the session fixtures (cluster, build, load, install, app reachable) and
the scenarios' own time, read from the run's traceability.json.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def one_run(extra: list[str]) -> tuple[float, int, dict[str, float], dict[str, int]]:
    with tempfile.TemporaryDirectory(prefix="tcb-bench-") as tmp:
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
                tmp,
                *extra,
            ],
            cwd=REPO,
            check=False,
        )
        wall = time.monotonic() - started
        matrix_file = Path(tmp) / "traceability.json"
        if not matrix_file.is_file():
            print(f"the run wrote no traceability.json (pytest exited {result.returncode})", file=sys.stderr)
            return wall, result.returncode, {}, {}
        matrix = json.loads(matrix_file.read_text())
        return wall, result.returncode, matrix["timings_seconds"], matrix["summary"]["all"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1, help="how many runs (the first may be cold)")
    args, extra = parser.parse_known_args()
    extra = [a for a in extra if a != "--"]
    status = 0
    for index in range(1, args.runs + 1):
        wall, code, timings, summary = one_run(extra)
        status = status or code
        print(f"\nrun {index}: {wall:.1f} s wall, pytest exit {code}")
        for phase in ("cluster", "build", "load", "install", "app reachable", "scenarios", "total"):
            if phase in timings:
                print(f"  {phase:<14} {timings[phase]:8.1f} s")
        print("  requirements: " + ", ".join(f"{n} {status}" for status, n in summary.items() if n))
    return status


if __name__ == "__main__":
    raise SystemExit(main())
