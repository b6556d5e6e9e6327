"""Chat latency with the `rules` NLU provider. Targets: p95 <= 20 ms per message (NLU); end to end
(frontend -> chatbot -> backend -> Postgres) p95 <= 25 ms at 20 concurrent users (issue 11).

    .venv/bin/python benchmarks/chat_bench.py [--rounds 5] [--messages 400] [--postgres]
                                              [--users 20] [--think 1] [--seconds 30] [--only concurrent|nlu]
                                              [--before REF [--repeat 2]]

`--only nlu` prints only the parse alone (rules + classifier, no resolution): wall time and this thread's CPU
time per message over the NLU table and the development phrasings, each with its user's title words.

1. NLU only: parse + task resolution (+ list filtering) of every NLU-table message on an in-memory list of
   60 tasks, no backend round trip.
2. End to end: POST /api/chat over HTTP to a chatbot and the real backend, both uvicorn processes on loopback
   (SQLite files, or a throwaway PostgreSQL from harness.pgserver with --postgres), one user, a mix of
   list/count/add/complete/reopen/update/help messages; GET /api/tasks on the backend alone for comparison.
3. Concurrent, end to end through the frontend: --users users at once (each its own account, 20 tasks and
   conversation), each sending a message, reading the reply, then thinking for --think seconds on average
   (exponential; 0 = no pause, which measures saturation, not latency), for --seconds. POST /api/chat goes to
   the frontend (same-origin proxy, session cookie, CSRF header) -> chatbot -> backend -> database. Prints
   p50/p95/p99, the achieved rate, and the breakdown the chatbot reports per turn in its Server-Timing header
   (chatbot work, of which NLU; backend calls; the chatbot's own database), the time outside the chatbot's
   handler (frontend hop, HTTP), reference requests measured one at a time during the same phase (the
   machine's floor at that moment: a frontend hop alone, and frontend -> backend -> database without the
   chatbot), and the CPU each process spent per turn (from /proc; robust against other load on the machine),
   this benchmark's own process included ("driver": it shares the cores; its users' requests go through
   aiohttp on uvloop, about a quarter of the CPU httpx took per request before round 4). With `--before REF`
   the phase runs 2 x --repeat times, alternating the services of git revision REF (its services/ exported
   to a scratch directory and put ahead on PYTHONPATH) and this tree's, each on a fresh stack and fresh
   databases, and ends with both sides' pooled percentiles, load averages and CPU per turn: a before/after
   comparison under the same load.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import aiohttp
import httpx
import uvloop

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # harness/ and tests/ when run as a script

from todo_chatbot.chat import filter_tasks  # noqa: E402
from todo_chatbot.nlu.intent import Intent, NLUContext  # noqa: E402
from todo_chatbot.nlu.rules import parse  # noqa: E402
from todo_chatbot.resolve import resolve  # noqa: E402

from harness.devserver import free_port, start_dev_stack  # noqa: E402
from tests.chatbot.nlu_table import load_cases  # noqa: E402

TARGET_P95_MS = 20.0
TARGET_E2E_P95_MS = 25.0
READ_ONLY = {
    "show my tasks",
    "how many tasks are left?",
    "what is due this week?",
    "show overdue tasks",
    "help",
    "how many tasks are done?",
}
E2E_MESSAGES = [
    "show my tasks",
    "how many tasks are left?",
    "what is due this week?",
    "add water the plants tomorrow",
    "mark it done",
    "reopen it",
    "rename it to water the roses",
    "move it to next friday",
    "make it high priority",
    "show overdue tasks",
    "complete task 3",
    "reopen #3",
    "help",
    "mark the mlik one done",
    "reopen the milk one",
    "how many tasks are done?",
]


def percentiles(samples_ms: list[float]) -> str:
    q = statistics.quantiles(samples_ms, n=100, method="inclusive")
    return (
        f"n={len(samples_ms)}  p50={q[49]:.3f} ms  p95={q[94]:.3f} ms  max={max(samples_ms):.3f} ms  "
        f"-> p95 target {TARGET_P95_MS:.0f} ms {'met' if q[94] <= TARGET_P95_MS else 'MISSED'}"
    )


def synthetic_tasks(count: int) -> list[dict[str, Any]]:
    words = [
        "buy milk",
        "call mom",
        "file taxes",
        "water the plants",
        "book dentist appointment",
        "pay rent",
        "read a book",
        "clean the garage",
        "renew passport",
        "sort photos",
        "fix the bike",
        "email the landlord",
    ]
    return [
        {
            "number": i + 1,
            "title": f"{words[i % len(words)]}{'' if i < len(words) else f' {i}'}",
            "due_date": f"2026-11-{20 + i % 10:02d}" if i % 3 else None,
            "priority": ("low", "medium", "high")[i % 3],
            "completed": i % 4 == 0,
        }
        for i in range(count)
    ]


def bench_nlu(rounds: int) -> list[float]:
    messages = [c["message"] for c in load_cases()]
    tasks = synthetic_tasks(60)
    context = NLUContext(today=date(2026, 11, 23), last_task_number=3, listed_numbers=[1, 2, 3])
    samples = []
    for _ in range(rounds):
        for message in messages:
            started = time.perf_counter()
            intent = parse(message, context)
            if intent.ref is not None:
                resolve(intent.ref, tasks, context)
            elif intent.intent in (Intent.LIST, Intent.COUNT):
                filter_tasks(tasks, intent.filter, context.today)
            samples.append((time.perf_counter() - started) * 1000)
    return samples


def bench_parse(rounds: int) -> tuple[list[float], list[float]]:
    """The parse alone, per message: (wall ms, thread CPU ms). Thread CPU time does not count other processes'
    load, so it compares runs on a busy machine; the wall time is what a caller waits."""
    from tests.chatbot import realistic

    def vocabulary(case: dict[str, Any]) -> frozenset[str]:
        return frozenset(w for t in case["setup_tasks"] for w in re.findall(r"[\w']+", t["title"].lower()))

    cases = [*load_cases(), *realistic.load_cases(split="dev")]
    inputs = [(c["message"], NLUContext(today=date(2026, 11, 23), vocabulary=vocabulary(c))) for c in cases]
    for message, context in inputs:  # warm the caches and the classifier's weights
        parse(message, context)
    wall, cpu = [], []
    for _ in range(rounds):
        for message, context in inputs:
            started, started_cpu = time.perf_counter(), time.thread_time()
            parse(message, context)
            cpu.append((time.thread_time() - started_cpu) * 1000)
            wall.append((time.perf_counter() - started) * 1000)
    return wall, cpu


@contextlib.contextmanager
def database_urls(postgres: bool) -> Iterator[dict[str, dict[str, str]]]:
    if not postgres:
        yield {}
        return
    from harness.pgserver import PostgresServer

    with PostgresServer() as pg:
        yield {
            "backend": {"DATABASE_URL": pg.create_database("bench_backend")},
            "chatbot": {"DATABASE_URL": pg.create_database("bench_chatbot")},
        }


def bench_end_to_end(total: int, postgres: bool) -> tuple[list[float], list[float], list[float]]:
    ports = {"backend": free_port(), "chatbot": free_port()}
    with (
        tempfile.TemporaryDirectory() as state,
        database_urls(postgres) as extra,
        start_dev_stack(
            Path(state), ports=ports, only=("backend", "chatbot"), extra_env=extra, log_level="WARNING"
        ) as stack,
    ):
        return asyncio.run(_drive(stack.backend_url, stack.chatbot_url, total))


async def _drive(
    backend_url: str, chatbot_url: str, total: int
) -> tuple[list[float], list[float], list[float]]:
    async with (
        httpx.AsyncClient(base_url=backend_url, timeout=10) as backend,
        httpx.AsyncClient(base_url=chatbot_url, timeout=10) as chatbot,
    ):
        r = await backend.post(
            "/api/auth/signup", json={"email": "bench@example.com", "password": "bench-password-1"}
        )
        r.raise_for_status()
        headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
        for task in synthetic_tasks(20):
            fields = {k: task[k] for k in ("title", "due_date", "priority")}
            (await backend.post("/api/tasks", json=fields, headers=headers)).raise_for_status()
        conversation: str | None = None
        chat_ms, read_only_ms, backend_ms = [], [], []
        for i in range(total + 20):  # the first 20 warm up connections and caches
            body: dict[str, Any] = {
                "message": E2E_MESSAGES[i % len(E2E_MESSAGES)],
                "client_time": "2026-11-23T10:00:00+00:00",
            }
            if conversation:
                body["conversation_id"] = conversation
            started = time.perf_counter()
            r = await chatbot.post("/api/chat", json=body, headers=headers)
            elapsed = (time.perf_counter() - started) * 1000
            r.raise_for_status()
            conversation = r.json()["conversation_id"]
            started = time.perf_counter()
            (await backend.get("/api/tasks", headers=headers)).raise_for_status()
            if i >= 20:
                chat_ms.append(elapsed)
                if body["message"] in READ_ONLY:
                    read_only_ms.append(elapsed)
                backend_ms.append((time.perf_counter() - started) * 1000)
        return chat_ms, read_only_ms, backend_ms


@dataclass
class ConcurrentRun:
    latencies: list[float]  # ms per chat turn, end to end through the frontend
    seconds: float  # how long the measured phase took
    parts: dict[str, list[float]]  # Server-Timing entries of the chatbot, ms per turn
    reference: dict[str, list[float]]  # reference requests measured during the same phase, ms
    cpu_ms: dict[str, float]  # CPU time each process spent in the measured phase, ms
    load: tuple[float, float] = (0.0, 0.0)  # 1-minute load average as the measured phase began and ended


def bench_concurrent(
    users: int, seconds: float, think: float, pg: Any, source: Path | None = None, phase: int = 0
) -> ConcurrentRun:
    """One measured phase on a fresh stack (own databases on `pg`, a shared PostgreSQL, or SQLite files);
    `source` runs the services from another tree's services/ (see `export_services`)."""
    ports = {"backend": free_port(), "chatbot": free_port(), "frontend": free_port()}
    extra: dict[str, dict[str, str]] = {name: {} for name in ports}
    if pg:
        extra["backend"]["DATABASE_URL"] = pg.create_database(f"bench_backend_{phase}")
        extra["chatbot"]["DATABASE_URL"] = pg.create_database(f"bench_chatbot_{phase}")
    if source is not None:  # ahead of the editable installs of this tree on sys.path
        for name in ports:
            extra[name]["PYTHONPATH"] = str(source / "services" / name)
    with (
        tempfile.TemporaryDirectory() as state,
        start_dev_stack(
            Path(state),
            ports=ports,
            only=("backend", "chatbot", "frontend"),
            extra_env=extra,
            log_level="WARNING",
        ) as stack,
    ):
        pids = {name: service.process.pid for name, service in stack.services.items()}
        postmaster = _postmaster_pid(pg) if pg else None
        return uvloop.run(
            _drive_concurrent(stack.backend_url, stack.frontend_url, users, seconds, think, pids, postmaster)
        )


def export_services(ref: str, into: Path) -> Path:
    """services/ of git revision `ref` written under `into` (for --before); returns `into`."""
    try:
        archive = subprocess.run(
            ["git", "-C", str(REPO), "archive", ref, "services"], check=True, capture_output=True
        ).stdout
    except subprocess.CalledProcessError as exc:
        raise SystemExit(
            f"--before {ref}: git archive failed ({exc.stderr.decode().strip()}): name a commit or branch"
        ) from exc
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


@contextlib.contextmanager
def postgres_server(postgres: bool) -> Iterator[Any]:
    if not postgres:
        yield None
        return
    from harness.pgserver import PostgresServer

    with PostgresServer() as pg:
        yield pg


def _postmaster_pid(pg: Any) -> int:
    return int((Path(pg.dir) / "data" / "postmaster.pid").read_text().split()[0])


def _cpu_seconds(pid: int) -> float:
    """utime + stime of one process (/proc/PID/stat), seconds; 0 once it has gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _family_cpu(root: int) -> float:
    """CPU of a process and its children (the postmaster and its backends), seconds."""
    total = _cpu_seconds(root)
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            if ppid == root:
                total += _cpu_seconds(int(entry.name))
    return total


async def _drive_concurrent(
    backend_url: str,
    frontend_url: str,
    users: int,
    seconds: float,
    think: float,
    pids: dict[str, int],
    postmaster: int | None,
) -> ConcurrentRun:
    limits = httpx.Limits(max_connections=users * 2, max_keepalive_connections=users * 2)
    run = ConcurrentRun([], 0.0, {}, {"frontend GET /api/health": [], "frontend GET /api/tasks": []}, {})
    async with (
        contextlib.AsyncExitStack() as stack,
        httpx.AsyncClient(base_url=backend_url, timeout=30, limits=limits) as backend,
        httpx.AsyncClient(base_url=frontend_url, timeout=30, limits=limits) as frontend,
    ):
        tokens = []
        for u in range(users):  # sign-ups one at a time: password hashing is deliberately slow
            r = await backend.post(
                "/api/auth/signup",
                json={"email": f"c{u}-{time.time_ns()}@example.com", "password": "bench-pass-1"},
            )
            r.raise_for_status()
            token = r.json()["access_token"]
            tokens.append(token)
            for task in synthetic_tasks(20):
                body = {k: task[k] for k in ("title", "due_date", "priority")}
                (
                    await backend.post("/api/tasks", json=body, headers={"Authorization": f"Bearer {token}"})
                ).raise_for_status()
        csrf: dict[str, tuple[dict[str, str], dict[str, str]]] = {}
        for token in tokens:  # as the page does: its <meta name="csrf-token"> goes into X-CSRF-Token
            frontend.cookies.clear()  # each user is its own browser: no cookie of the one before
            page = await frontend.get("/", cookies={"todo_session": token})
            page.raise_for_status()
            found = re.search(r'name="csrf-token" content="([0-9a-f]+)"', page.text)
            if not found or "todo_csrf" not in page.cookies:
                raise SystemExit("the frontend's page carries no CSRF token: the chat proxy would answer 403")
            cookies = {"todo_session": token, "todo_csrf": page.cookies["todo_csrf"]}
            csrf[token] = (cookies, {"X-CSRF-Token": found.group(1)})
        frontend.cookies.clear()
        rng = random.Random(11)
        # The users' requests go through aiohttp (a quarter of httpx's CPU per request): the driver shares the
        # two cores with the services it measures. No cookie jar: each request carries its own user's cookies.
        chat = await stack.enter_async_context(
            aiohttp.ClientSession(
                frontend_url,
                connector=aiohttp.TCPConnector(limit=users * 2, keepalive_timeout=2.0),
                cookie_jar=aiohttp.DummyCookieJar(),
                timeout=aiohttp.ClientTimeout(total=30),
            )
        )
        probe = await stack.enter_async_context(
            aiohttp.ClientSession(
                frontend_url, cookie_jar=aiohttp.DummyCookieJar(), timeout=aiohttp.ClientTimeout(total=30)
            )
        )

        async def user(token: str, until: float, measure: bool) -> None:
            conversation: str | None = None
            cookies, headers = csrf[token]
            sent = {**headers, "Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())}
            await asyncio.sleep(rng.uniform(0, think))  # users do not start in step
            i = 0
            while time.monotonic() < until:
                body: dict[str, Any] = {
                    "message": E2E_MESSAGES[i % len(E2E_MESSAGES)],
                    "client_time": "2026-11-23T10:00:00+00:00",
                }
                i += 1
                if conversation:
                    body["conversation_id"] = conversation
                started = time.perf_counter()
                async with chat.post("/api/chat", json=body, headers=sent) as r:
                    answer = await r.read()
                    elapsed = (time.perf_counter() - started) * 1000
                    r.raise_for_status()
                    timing = r.headers.get("server-timing", "")
                conversation = json.loads(answer)["conversation_id"]
                if measure:
                    run.latencies.append(elapsed)
                    for name, ms in re.findall(r"(\w+);dur=([\d.]+)", timing):
                        run.parts.setdefault(name, []).append(float(ms))
                if think:
                    await asyncio.sleep(rng.expovariate(1 / think))

        async def reference(until: float) -> None:
            # one request at a time, 4 a second: the same machine's floor at the same moment, without the
            # chatbot (a frontend hop alone; frontend -> backend -> Postgres)
            sent = {"Cookie": f"todo_session={tokens[0]}"}
            while time.monotonic() < until:
                for label, path in (
                    ("frontend GET /api/health", "/api/health"),
                    ("frontend GET /api/tasks", "/api/tasks"),
                ):
                    started = time.perf_counter()
                    async with probe.get(path, headers=sent) as r:
                        await r.read()
                        run.reference[label].append((time.perf_counter() - started) * 1000)
                        r.raise_for_status()
                await asyncio.sleep(0.5)

        warm = time.monotonic() + 3.0
        await asyncio.gather(*(user(t, warm, False) for t in tokens))  # connections, caches
        processes = {**pids, **({"postgres": postmaster} if postmaster else {})}

        def cpu() -> dict[str, float]:
            usage = resource.getrusage(resource.RUSAGE_SELF)  # this driver: its load is on the same cores
            return {
                **{
                    name: _family_cpu(pid) if name == "postgres" else _cpu_seconds(pid)
                    for name, pid in processes.items()
                },
                "driver": usage.ru_utime + usage.ru_stime,
            }

        before = cpu()
        load_before = os.getloadavg()[0]
        started = time.monotonic()
        until = started + seconds
        await asyncio.gather(reference(until), *(user(t, until, True) for t in tokens))
        run.seconds = time.monotonic() - started
        after = cpu()
        run.load = (load_before, os.getloadavg()[0])
        run.cpu_ms = {name: (after[name] - before[name]) * 1000 for name in before}
    return run


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=5, help="passes over the NLU table (part 1)")
    parser.add_argument("--messages", type=int, default=400, help="chat messages sent end to end (part 2)")
    parser.add_argument("--postgres", action="store_true", help="end to end on PostgreSQL instead of SQLite")
    parser.add_argument("--users", type=int, default=20, help="concurrent users (part 3)")
    parser.add_argument(
        "--think",
        type=float,
        default=1.0,
        help="mean seconds a user waits between messages; 0: none (part 3)",
    )
    parser.add_argument("--seconds", type=float, default=30.0, help="measured phase (part 3)")
    parser.add_argument("--only", choices=["all", "concurrent", "nlu"], default="all")
    parser.add_argument(
        "--before",
        metavar="REF",
        help="part 3 also with the services of git revision REF (e.g. main), alternated with this tree's",
    )
    parser.add_argument("--repeat", type=int, default=2, help="runs per side with --before (part 3)")
    args = parser.parse_args()
    # the figures depend on what else the machine runs: say how busy it was
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")

    if args.only == "concurrent":
        return concurrent(args)
    if args.only == "nlu":
        wall, cpu = bench_parse(args.rounds)
        print("NLU parse alone (rules + classifier), NLU table + development phrasings")
        print("   wall:       " + percentiles(wall))
        print("   thread CPU: " + percentiles(cpu).split("->")[0])
        return None
    print("1. NLU parse + resolution, in memory (no backend round trip)")
    print("   " + percentiles(bench_nlu(args.rounds)))
    print(
        f"2. End to end: POST /api/chat over HTTP, chatbot + backend on"
        f" {'PostgreSQL' if args.postgres else 'SQLite'}"
    )
    chat_ms, read_only_ms, backend_ms = bench_end_to_end(args.messages, args.postgres)
    print("   chat, all:       " + percentiles(chat_ms))
    print("   chat, read-only: " + percentiles(read_only_ms) + " (list/count/help: no backend write)")
    print("   GET /api/tasks   " + percentiles(backend_ms).split("->")[0] + "(backend alone, for comparison)")
    concurrent(args)


def quantiles(samples: list[float]) -> tuple[float, float, float]:
    """p50, p95, p99 (ms)."""
    if len(samples) < 2:
        return (samples * 3)[0], (samples * 3)[1], (samples * 3)[2]
    q = statistics.quantiles(samples, n=100, method="inclusive")
    return q[49], q[94], q[98]


def concurrent(args: argparse.Namespace) -> None:
    db = "PostgreSQL" if args.postgres else "SQLite"
    pace = f"think time {args.think:g} s (exponential)" if args.think else "no think time (saturation)"
    print(
        f"3. End to end at {args.users} concurrent users, {pace}, {args.seconds:g} s:"
        f" frontend -> chatbot -> backend -> {db}"
    )
    runs: dict[str, list[ConcurrentRun]] = {"before": [], "after": []}
    with tempfile.TemporaryDirectory() as scratch, postgres_server(args.postgres) as pg:
        if not args.before:
            report(bench_concurrent(args.users, args.seconds, args.think, pg))
            return
        source = export_services(args.before, Path(scratch))
        # alternated, so that a change in the machine's other load falls on both sides alike
        for phase in range(2 * args.repeat):
            side = ("before", "after")[phase % 2]
            print(f"   --- {side} ({args.before if side == 'before' else 'this tree'}), run {phase // 2 + 1}")
            run = bench_concurrent(
                args.users, args.seconds, args.think, pg, source if side == "before" else None, phase
            )
            runs[side].append(run)
            report(run)
    print(f"   === before ({args.before}) and after (this tree), {args.repeat} runs each, pooled:")
    print(f"   {'':<22} {'p50 / p95 / p99 ms':>24} {'rate':>7}  load  CPU per turn (ms)")
    for side, side_runs in runs.items():
        latencies = [ms for run in side_runs for ms in run.latencies]
        p50, p95, p99 = quantiles(latencies)
        turns = len(latencies)
        rate = turns / sum(run.seconds for run in side_runs)
        loads = [x for run in side_runs for x in run.load]
        names = side_runs[0].cpu_ms
        cpu = {name: sum(run.cpu_ms[name] for run in side_runs) / max(turns, 1) for name in names}
        services = sum(ms for name, ms in cpu.items() if name != "driver")
        print(
            f"   {side:<22} {p50:7.1f} / {p95:6.1f} / {p99:6.1f} {rate:6.1f}/s"
            f"  {min(loads):.1f}-{max(loads):.1f}  "
            + "  ".join(f"{name} {ms:.2f}" for name, ms in cpu.items())
            + f"  (services {services:.2f})"
        )


def report(run: ConcurrentRun) -> None:
    n = len(run.latencies)
    p50, p95, p99 = quantiles(run.latencies)
    verdict = "met" if p95 <= TARGET_E2E_P95_MS else "MISSED"
    print(
        f"   chat turn: n={n}  rate={n / run.seconds:.1f}/s  p50={p50:.1f} ms  p95={p95:.1f} ms"
        f"  p99={p99:.1f} ms -> p95 target {TARGET_E2E_P95_MS:.0f} ms {verdict}"
        f"  (load average {run.load[0]:.1f} -> {run.load[1]:.1f})"
    )
    print("   where a turn's time went (the chatbot's Server-Timing; mean / p95 ms):")
    labels = {
        "total": "chatbot handler, all of it",
        "chatbot": "  chatbot work (parse, resolve, reply)",
        "nlu": "    of which NLU",
        "backend": "  backend calls (HTTP -> backend -> its Postgres)",
        "db": "  chatbot database (limits, conversation)",
    }
    for name, label in labels.items():
        values = run.parts.get(name, [])
        if values:
            print(f"   {label:<52} {statistics.fmean(values):7.2f} / {quantiles(values)[1]:7.2f}")
    total = run.parts.get("total", [])
    if len(total) == n:
        rest = [lat - t for lat, t in zip(run.latencies, total, strict=True)]
        print(
            f"   {'outside the handler (frontend hop, HTTP, queueing)':<52}"
            f" {statistics.fmean(rest):7.2f} / {quantiles(rest)[1]:7.2f}"
        )
    print("   reference, measured in the same phase (one at a time, p50 / p95 ms):")
    for label, values in run.reference.items():
        r50, r95, _ = quantiles(values)
        print(f"   {label:<52} {r50:7.2f} / {r95:7.2f}  (n={len(values)})")
    print("   CPU per chat turn, by process (ms; the reference requests included; driver: this benchmark):")
    print("   " + "  ".join(f"{name} {ms / max(n, 1):.2f}" for name, ms in run.cpu_ms.items()))


if __name__ == "__main__":
    main()
