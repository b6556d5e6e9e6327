"""Benchmark: what starting a `tcb` process costs, the part every `tcb scale/verify/deploy` pays before it
does anything (the acceptance run starts about ten of them, beside the nested pytest runs that pay the same).

    .venv/bin/python benchmarks/cli_bench.py [--runs 7]

Each row is the median wall time of RUNS fresh processes, measured alternately in the same minute:
- reference: `python -c pass` (the interpreter's own start);
- `import kubernetes` + the two API classes the harness uses (what a process that talks to the API pays);
- `import harness.k8s` and the API classes it builds (what `tcb scale` pays before its first request);
- `tcb --help` (the CLI's own imports; no cluster needed).
Prints the installed kubernetes client version: 37's pydantic models cost about 1.3 s of import against 0.5 s
for 36 on this machine, the reason pyproject.toml keeps it below 37.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from importlib.metadata import version
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

CASES = {
    "reference: python -c pass": [sys.executable, "-c", "pass"],
    "import kubernetes (CoreV1Api, AppsV1Api)": [
        sys.executable,
        "-c",
        "import kubernetes.client as c; c.CoreV1Api; c.AppsV1Api",
    ],
    "import harness.k8s and the API classes it uses": [
        sys.executable,
        "-c",
        "import harness.k8s; from kubernetes import client as c; c.CoreV1Api; c.AppsV1Api; c.DiscoveryV1Api",
    ],
    "tcb --help": [sys.executable, "-m", "harness.cli", "--help"],
}


def timed(argv: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(argv, cwd=REPO, check=True, capture_output=True, timeout=60)  # one process start: bounded
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="processes per case (the median is printed)")
    args = parser.parse_args()
    print(
        f"kubernetes client {version('kubernetes')}, python {sys.version.split()[0]}, {args.runs} runs each"
    )
    times: dict[str, list[float]] = {name: [] for name in CASES}
    for _ in range(args.runs):
        for name, argv in CASES.items():  # alternately, so a busy moment hits every case alike
            times[name].append(timed(argv))
    reference = statistics.median(times["reference: python -c pass"])
    for name, samples in times.items():
        median = statistics.median(samples)
        over = (median - reference) * 1000
        print(f"  {name:<48} {median * 1000:7.0f} ms   (+{over:5.0f} ms over the reference)")


if __name__ == "__main__":
    main()
