"""Chat latency with the `rules` NLU provider. Target: p95 <= 20 ms per message.

    .venv/bin/python benchmarks/chat_bench.py [--rounds 5] [--messages 400] [--postgres]

1. NLU only: parse + task resolution (+ list filtering) of every NLU-table message on an in-memory list of
   60 tasks, no backend round trip.
2. End to end: POST /api/chat over HTTP to a chatbot and the real backend, both uvicorn processes on loopback
   (SQLite files, or a throwaway PostgreSQL from harness.pgserver with --postgres), one user, a mix of
   list/count/add/complete/reopen/update/help messages; GET /api/tasks on the backend alone for comparison.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
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


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=5, help="passes over the NLU table (part 1)")
    parser.add_argument("--messages", type=int, default=400, help="chat messages sent end to end (part 2)")
    parser.add_argument("--postgres", action="store_true", help="end to end on PostgreSQL instead of SQLite")
    args = parser.parse_args()
    # the figures depend on what else the machine runs: say how busy it was
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")

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


if __name__ == "__main__":
    main()
