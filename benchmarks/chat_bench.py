"""Chat latency with the `rules` NLU provider. Targets: p95 <= 20 ms per message (NLU); end to end
(frontend -> chatbot -> backend -> Postgres) p95 <= 25 ms at 20 concurrent users (issue 11).

    .venv/bin/python benchmarks/chat_bench.py [--rounds 5] [--messages 400] [--postgres]
                                              [--users 20] [--turns 30] [--only concurrent]

1. NLU only: parse + task resolution (+ list filtering) of every NLU-table message on an in-memory list of
   60 tasks, no backend round trip.
2. End to end: POST /api/chat over HTTP to a chatbot and the real backend, both uvicorn processes on loopback
   (SQLite files, or a throwaway PostgreSQL from harness.pgserver with --postgres), one user, a mix of
   list/count/add/complete/reopen/update/help messages; GET /api/tasks on the backend alone for comparison.
3. Concurrent, end to end through the frontend: --users users at once (each its own account, 20 tasks and
   conversation), --turns messages each, POST /api/chat to the frontend (same-origin proxy, session cookie)
   -> chatbot -> backend -> database. Prints p50/p95 and the breakdown the chatbot reports per turn in its
   Server-Timing header: lookup (backend GET /api/tasks concurrently with the conversation read), nlu,
   engine (incl. backend writes), write (backend writes alone), save (conversation store); the frontend hop
   and HTTP overhead are the rest.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # harness/ and tests/ when run as a script

from todo_chatbot.chat import filter_tasks  # noqa: E402
from todo_chatbot.nlu.intent import Intent, NLUContext  # noqa: E402
from todo_chatbot.nlu.rules import parse  # noqa: E402
from todo_chatbot.resolve import resolve  # noqa: E402

from harness.devserver import free_port, start_dev_stack  # noqa: E402
from tests.chatbot.nlu_table import load_cases  # noqa: E402

TARGET_P95_MS = 20.0
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
            body = {k: task[k] for k in ("title", "due_date", "priority")}
            (await backend.post("/api/tasks", json=body, headers=headers)).raise_for_status()
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


def bench_concurrent(users: int, turns: int, postgres: bool) -> tuple[list[float], dict[str, list[float]]]:
    ports = {"backend": free_port(), "chatbot": free_port(), "frontend": free_port()}
    with (
        tempfile.TemporaryDirectory() as state,
        database_urls(postgres) as extra,
        start_dev_stack(
            Path(state),
            ports=ports,
            only=("backend", "chatbot", "frontend"),
            extra_env=extra,
            log_level="WARNING",
        ) as stack,
    ):
        frontend_url = f"http://127.0.0.1:{ports['frontend']}"
        return asyncio.run(_drive_concurrent(stack.backend_url, frontend_url, users, turns))


async def _drive_concurrent(
    backend_url: str, frontend_url: str, users: int, turns: int
) -> tuple[list[float], dict[str, list[float]]]:
    limits = httpx.Limits(max_connections=users * 2, max_keepalive_connections=users * 2)
    latencies: list[float] = []
    parts: dict[str, list[float]] = {}
    async with (
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

        async def user(token: str, measure: bool, count: int) -> None:
            conversation: str | None = None
            cookies, headers = csrf[token]
            for i in range(count):
                body: dict[str, Any] = {
                    "message": E2E_MESSAGES[i % len(E2E_MESSAGES)],
                    "client_time": "2026-11-23T10:00:00+00:00",
                }
                if conversation:
                    body["conversation_id"] = conversation
                started = time.perf_counter()
                r = await frontend.post("/api/chat", json=body, cookies=cookies, headers=headers)
                elapsed = (time.perf_counter() - started) * 1000
                r.raise_for_status()
                conversation = r.json()["conversation_id"]
                if measure:
                    latencies.append(elapsed)
                    for name, ms in re.findall(r"(\w+);dur=([\d.]+)", r.headers.get("server-timing", "")):
                        parts.setdefault(name, []).append(float(ms))

        await asyncio.gather(*(user(t, False, 3) for t in tokens))  # warm-up: connections, caches
        await asyncio.gather(*(user(t, True, turns) for t in tokens))
    return latencies, parts


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=5, help="passes over the NLU table (part 1)")
    parser.add_argument("--messages", type=int, default=400, help="chat messages sent end to end (part 2)")
    parser.add_argument("--postgres", action="store_true", help="end to end on PostgreSQL instead of SQLite")
    parser.add_argument("--users", type=int, default=20, help="concurrent users (part 3)")
    parser.add_argument("--turns", type=int, default=30, help="messages per user (part 3)")
    parser.add_argument("--only", choices=["all", "concurrent"], default="all")
    args = parser.parse_args()
    # the figures depend on what else the machine runs: say how busy it was
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")

    if args.only == "concurrent":
        return concurrent(args)
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


def concurrent(args: argparse.Namespace) -> None:
    db = "PostgreSQL" if args.postgres else "SQLite"
    print(f"3. End to end at {args.users} concurrent users: frontend -> chatbot -> backend -> {db}")
    latencies, parts = bench_concurrent(args.users, args.turns, args.postgres)
    q = statistics.quantiles(latencies, n=100, method="inclusive")
    verdict = "met" if q[94] <= 25.0 else "MISSED"
    print(
        f"   chat turn: n={len(latencies)}  p50={q[49]:.1f} ms  p95={q[94]:.1f} ms"
        f" -> p95 target 25 ms {verdict}"
    )
    for name, values in parts.items():
        pq = statistics.quantiles(values, n=100, method="inclusive") if len(values) > 1 else values * 100
        print(f"   {name:<7} mean {statistics.fmean(values):7.2f} ms  p95 {pq[94]:7.2f} ms")
    handler = [
        parts[k] for k in ("lookup", "nlu", "engine", "save") if len(parts.get(k, [])) == len(latencies)
    ]
    chatbot = [sum(v[i] for v in handler) for i in range(len(latencies))]
    rest = [lat - c for lat, c in zip(latencies, chatbot, strict=True)]
    print(
        "   outside the chatbot's handler (frontend hop, HTTP, queueing):"
        f" mean {statistics.fmean(rest):.2f} ms"
    )


if __name__ == "__main__":
    main()
