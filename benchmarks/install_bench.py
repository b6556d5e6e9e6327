"""Where a fresh install's time goes: `install_release` (what `tcb deploy` and the acceptance run do) into a
new namespace, then a per-component timeline read back from the cluster (pod and volume events, container
start/finish times, Ready transitions, the wait-for-* init containers' own timings) and the harness's
overhead.

    .venv/bin/python benchmarks/install_bench.py                       # this tree's chart, 1 install
    .venv/bin/python benchmarks/install_bench.py --runs 2 --chart /work/main/chart --chart chart
                                                                       # before/after in the same run

Target (issue 13): fresh install to all Ready <= 15 s. Kubernetes timestamps have 1 s resolution; the init
containers' logs give tenths. Each install goes into its own namespace, deleted afterwards (with its volume).
"""

from __future__ import annotations

import argparse
import dataclasses
import re
import secrets
import statistics
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from harness.clusters.select import choose_target
from harness.components import CHART
from harness.images import build_images
from harness.k8s import K8s
from harness.release import install_release
from harness.timeouts import DEFAULT_TIMEOUTS

WAITED = re.compile(r"(answers|answers at \S+) after ([0-9.]+)s")


def _seconds(when: datetime | None, t0: datetime) -> float | None:
    return None if when is None else (when - t0).total_seconds()


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:6.1f}"


def _condition(pod: Any, kind: str) -> datetime | None:
    for condition in pod.status.conditions or []:
        if condition.type == kind and condition.status == "True":
            return condition.last_transition_time  # type: ignore[no-any-return]
    return None


def timeline(k8s: K8s, namespace: str, t0: datetime) -> list[dict[str, Any]]:
    """One row per pod: when it was created, scheduled, each init container finished (and what it waited),
    its main container started, and it became Ready, in seconds after t0 (the install's start)."""
    rows = []
    for pod in sorted(k8s.pods(namespace), key=lambda p: p.metadata.creation_timestamp):
        labels = pod.metadata.labels or {}
        if "helm.sh/hook" in (pod.metadata.annotations or {}):
            continue
        inits = []
        for status in pod.status.init_container_statuses or []:
            finished = status.state.terminated.finished_at if status.state.terminated else None
            waited = ""
            try:
                match = WAITED.search(k8s.logs(namespace, pod.metadata.name, container=status.name))
                waited = f"{float(match.group(2)):.1f}s" if match else ""
            except Exception:  # a log that cannot be read leaves the column empty
                waited = "?"
            inits.append((status.name, _seconds(finished, t0), waited))
        started = None
        for status in pod.status.container_statuses or []:
            if status.state.running:
                started = status.state.running.started_at
        rows.append(
            {
                "component": labels.get("app.kubernetes.io/component", pod.metadata.name),
                "pod": pod.metadata.name,
                "created": _seconds(pod.metadata.creation_timestamp, t0),
                "scheduled": _seconds(_condition(pod, "PodScheduled"), t0),
                "inits": inits,
                "started": _seconds(started, t0),
                "ready": _seconds(_condition(pod, "Ready"), t0),
            }
        )
    return rows


def volume_events(k8s: K8s, namespace: str, t0: datetime) -> list[str]:
    lines = []
    for event in k8s.events(namespace):
        if event.involved_object.kind == "PersistentVolumeClaim":
            stamp = event.last_timestamp or event.event_time or event.first_timestamp
            lines.append(f"{_fmt(_seconds(stamp, t0))}s  {event.reason}: {event.message[:100]}")
    return lines


def one_install(info: Any, images: Any, chart: Path, k8s: K8s) -> tuple[float, float, list[dict[str, Any]]]:
    namespace = f"tcb-installbench-{secrets.token_hex(3)}"
    started = time.monotonic()
    t0 = datetime.now().astimezone()
    try:
        rel = install_release(
            info,
            images,
            namespace=namespace,
            release="bench",
            timeouts=dataclasses.replace(DEFAULT_TIMEOUTS, install=600),
            k8s=k8s,
            chart=chart,  # this tree's, or another checkout's for a before/after
        )
        total = time.monotonic() - started
        rows = timeline(k8s, namespace, t0)
        last_ready = max((r["ready"] or 0.0) for r in rows)
        print(f"\n== {chart} -> {namespace}: install_release returned after {total:.1f}s")
        print(f"{'component':<12} {'created':>7} {'sched':>6} {'started':>7} {'ready':>6}  init containers")
        for r in rows:
            inits = ", ".join(
                f"{n} done {_fmt(done).strip()}s (waited {w or '-'})" for n, done, w in r["inits"]
            )
            print(
                f"{r['component']:<12} {_fmt(r['created'])} {_fmt(r['scheduled'])} {_fmt(r['started'])}"
                f"  {_fmt(r['ready'])}  {inits}"
            )
        for line in volume_events(k8s, namespace, t0):
            print(f"  volume {line}")
        # what the harness adds beyond the last pod's Ready: helm's own apply, its rollout watches, the URLs
        print(f"last pod Ready at {last_ready:.1f}s; harness overhead after it {total - last_ready:.1f}s")
        rel.close()
        return total, last_ready, rows
    finally:
        k8s.delete_namespace(namespace)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", default="auto")
    parser.add_argument("--runs", type=int, default=1, help="installs per chart")
    parser.add_argument(
        "--chart",
        type=Path,
        action="append",
        help="chart directory (repeatable; default: this tree's chart/)",
    )
    args = parser.parse_args()
    charts = args.chart or [CHART]
    choice = choose_target(args.target, reuse=True)
    info = choice.cluster.ensure_up()
    images = build_images(progress=False)
    choice.cluster.load_images([image.ref for image in images.values()])
    k8s = K8s(info.kubeconfig, info.context)
    summary: dict[Path, list[tuple[float, float]]] = {chart: [] for chart in charts}
    for _ in range(args.runs):
        for chart in charts:  # interleaved, so both see the same machine load
            total, ready, _rows = one_install(info, images, chart.resolve(), k8s)
            summary[chart].append((total, ready))
    print("\n== summary (seconds; target <= 15 to all Ready)")
    for chart, runs in summary.items():
        totals = [t for t, _ in runs]
        readies = [r for _, r in runs]
        print(
            f"{chart}: install_release median {statistics.median(totals):.1f}"
            f" (runs {', '.join(f'{t:.1f}' for t in totals)});"
            f" last pod Ready median {statistics.median(readies):.1f}"
        )


if __name__ == "__main__":
    main()
