"""Benchmark: authenticated `GET /api/tasks` returning 100 tasks, backend on uvicorn + PostgreSQL.

    .venv/bin/python benchmarks/backend_bench.py [--workers 1] [--connections 32] [--duration 10]
        [--uvicorn-args "--access-log"]

Starts a throwaway PostgreSQL (harness.pgserver) and the backend with its image's start command
(services/backend/Dockerfile CMD) and production settings, signs up a user with 100 tasks, then drives it
with wrk from a separate process on loopback. Prints req/s and p50/p99 latency against the targets
(>= 1,000 req/s, p99 <= 50 ms), and the CPU time the backend and PostgreSQL spent per request: on a busy
machine that is the comparable figure, wall-clock ones are not.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
from pathlib import Path

import httpx

from harness.pgserver import PostgresServer, free_port
from harness.proc import Daemon, run, uvicorn_argv, which

TARGET_RPS = 1000
TARGET_P99_MS = 50.0
TASKS = 100
SECRET = "benchmark-secret-8f3a9c2e7b1d4f6a0c5e9b2d7f1a3c8e"  # noqa: S105 - throwaway server


def _ms(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", value).groups()  # type: ignore[union-attr]
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def parse_wrk(output: str) -> dict[str, float]:
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    latency = dict(re.findall(r"^\s+(50|99)%\s+(\S+)", output, re.MULTILINE))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket_errors = re.search(r"Socket errors: (.*)", output)
    return {
        "rps": rps,
        "p50_ms": _ms(latency["50"]),
        "p99_ms": _ms(latency["99"]),
        "non_2xx": float(errors.group(1)) if errors else 0.0,
        "socket_errors": 1.0 if socket_errors else 0.0,
    }


def cpu_seconds(pid: int) -> float:
    """User+system CPU of a process and its direct children (uvicorn workers, postgres backends), from
    /proc, including children that already exited (a connection closed mid-run still counts)."""
    pids = [pid, *map(int, Path(f"/proc/{pid}/task/{pid}/children").read_text().split())]
    ticks = 0
    for each in pids:
        try:
            fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:  # exited just now: its time is in its parent's cutime/cstime
            continue
        ticks += sum(int(field) for field in fields[11:15])  # utime, stime, cutime, cstime
    return ticks / os.sysconf("SC_CLK_TCK")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--workers", type=int, default=1, help="uvicorn worker processes (default 1, as in the pod)"
    )
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--duration", type=int, default=10, help="seconds of measured load")
    parser.add_argument("--uvicorn-args", default="", help="extra uvicorn options, to compare settings")
    args = parser.parse_args()
    if which("wrk") is None:
        print("wrk not found: run scripts/setup (Debian package wrk)", file=sys.stderr)
        return 2

    with PostgresServer() as pg, tempfile.TemporaryDirectory(prefix="tcb-bench-") as tmp:
        url = pg.create_database("bench")
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        env = {
            "DATABASE_URL": url,
            "BETTER_AUTH_SECRET": SECRET,
            "ENVIRONMENT": "production",
            "LOG_LEVEL": "WARNING",
        }
        # as in the image's CMD
        extra = ["--no-server-header", "--no-access-log", *args.uvicorn_args.split()]
        argv = uvicorn_argv(
            "todo_backend.main:app",
            "127.0.0.1",
            port,
            *extra,
            workers=args.workers if args.workers > 1 else None,
        )
        server = Daemon(
            "backend",
            argv,
            Path(tmp) / "backend.log",
            health=lambda: (httpx.get(f"{base}/api/ready", timeout=2).status_code == 200, "not ready"),
            env=env,
            append_log=False,
        )
        server.start()
        assert server.process is not None
        server_pid = server.process.pid
        try:
            server.wait_healthy(timeout=90)
            signup = httpx.post(
                f"{base}/api/auth/signup", json={"email": "bench@example.com", "password": "bench-password"}
            )
            auth = {"Authorization": f"Bearer {signup.json()['access_token']}"}
            with httpx.Client(base_url=base, headers=auth) as http:
                for i in range(TASKS):
                    http.post(
                        "/api/tasks", json={"title": f"benchmark task {i}", "priority": "low"}
                    ).raise_for_status()
                assert len(http.get("/api/tasks").json()) == TASKS
            wrk = [
                "wrk",
                "-t2",
                f"-c{args.connections}",
                "--latency",
                "-H",
                f"Authorization: {auth['Authorization']}",
            ]
            run([*wrk, "-d3s", f"{base}/api/tasks"], quiet=True)  # warm-up: pool connections, caches
            assert pg.dir is not None
            postmaster = int((pg.dir / "data" / "postmaster.pid").read_text().split()[0])
            cpu_before = cpu_seconds(server_pid)
            pg_cpu_before = cpu_seconds(postmaster)
            output = run([*wrk, f"-d{args.duration}s", f"{base}/api/tasks"], quiet=True).stdout
            server_cpu = cpu_seconds(server_pid) - cpu_before
            pg_cpu = cpu_seconds(postmaster) - pg_cpu_before
        finally:
            server.stop(timeout=30)

    result = parse_wrk(output)
    requests = result["rps"] * args.duration
    # CPU per request is what the server costs whatever else runs on the machine; wall-clock figures are not.
    cpu_ms = server_cpu * 1000 / requests if requests else float("nan")
    pg_cpu_ms = pg_cpu * 1000 / requests if requests else float("nan")
    print(output)
    print(f"backend GET /api/tasks ({TASKS} tasks), uvicorn workers={args.workers}, {os.cpu_count()} CPUs:")
    print(f"  throughput  {result['rps']:8.0f} req/s   (target >= {TARGET_RPS})")
    print(f"  latency p50 {result['p50_ms']:8.1f} ms")
    print(f"  latency p99 {result['p99_ms']:8.1f} ms      (target <= {TARGET_P99_MS:g})")
    print(f"  non-2xx     {result['non_2xx']:8.0f}")
    print(f"  server CPU  {cpu_ms:8.2f} ms/request  (=> ~{1000 / cpu_ms:.0f} req/s per fully available core)")
    print(f"  postgres CPU{pg_cpu_ms:8.2f} ms/request  (all its backend processes)")
    load = os.getloadavg()[0]
    print(
        f"  load avg    {load:8.1f}          (figures above are only meaningful on an otherwise idle machine)"
    )
    met = result["rps"] >= TARGET_RPS and result["p99_ms"] <= TARGET_P99_MS and result["non_2xx"] == 0
    print("  targets     " + ("met" if met else "NOT met"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
