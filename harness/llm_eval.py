"""The NLU evaluation behind `tcb llm eval`: the chatbot's NLU table (tests/chatbot/nlu_cases.yaml) run
through NLU_PROVIDER=rules, llm and hybrid, each on a real backend + chatbot (local processes, SQLite), judged
by the tasks read back from the backend (the same checks as the table's pytest run).

A case whose reply asks for a confirmation ("(yes/no)", what the engine asks before acting on a destructive
intent an LLM proposed) is answered "yes", then judged: the table's expectations are about the end state.
"""

from __future__ import annotations

import importlib.util
import statistics
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx

from harness import http_client
from harness.devserver import free_port, start_dev_stack
from harness.log import get_logger
from harness.paths import REPO

log = get_logger("llm-eval")

TABLE_MODULE = REPO / "tests" / "chatbot" / "nlu_table.py"
MODES = ("rules", "llm", "hybrid")
PASSWORD = "correct horse 1"  # noqa: S105 - throwaway users in a temporary database


@dataclass
class CaseResult:
    case_id: str
    intent: str  # the expected intent
    seconds: float  # the judged message, end to end through POST /api/chat
    problems: list[str]
    confirmed: bool = False  # the bot asked "(yes/no)" and was told "yes"

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class ModeResult:
    mode: str
    results: list[CaseResult] = field(default_factory=list)
    # from the chatbot's log: model answers used, refused by a guard, and not had (timeout, error, invalid)
    llm_used: int = 0
    llm_refused: int = 0
    llm_unavailable: int = 0

    def accuracy(self, intent: str | None = None) -> tuple[int, int]:
        chosen = [r for r in self.results if intent is None or r.intent == intent]
        return sum(r.ok for r in chosen), len(chosen)

    def percentile(self, q: float) -> float:
        times = sorted(r.seconds for r in self.results)
        if len(times) < 2:
            return times[0] if times else 0.0
        return statistics.quantiles(times, n=100, method="inclusive")[int(q) - 1]


def load_table() -> ModuleType:
    """tests/chatbot/nlu_table.py (load_cases, problems), loaded by path: tests/ is not installed."""
    spec = importlib.util.spec_from_file_location("nlu_table", TABLE_MODULE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def evaluate(
    modes: Sequence[str],
    *,
    llm_base_url: str | None,
    llm_model: str | None,
    llm_timeout: float,
    state_dir: Path,
    limit: int | None = None,
    progress: Callable[[str], None] = log.info,
) -> list[ModeResult]:
    table = load_table()
    cases: list[dict[str, Any]] = table.load_cases()[:limit]
    outcomes = []
    for mode in modes:
        llm_env = {"LLM_BASE_URL": llm_base_url or "", "LLM_MODEL": llm_model or "",
                   "LLM_TIMEOUT_SECONDS": str(llm_timeout)}  # fmt: skip
        ports = {"backend": free_port(), "chatbot": free_port()}
        outcome = ModeResult(mode)
        with (
            start_dev_stack(
                state_dir / mode,
                ports=ports,
                nlu_provider=mode,
                only=("backend", "chatbot"),
                extra_env={"chatbot": llm_env} if mode != "rules" else None,
            ) as stack,  # fmt: skip
            http_client.client(timeout=60) as http,  # each reply's bound (an LLM on 2 cores), not a wait
        ):
            urls = {"backend": stack.backend_url, "chatbot": stack.chatbot_url}
            started = time.monotonic()
            for i, case in enumerate(cases, 1):
                outcome.results.append(_run_case(http, urls, table, case, f"{mode}-{i}"))
                if i % 25 == 0:
                    progress(f"{mode}: {i}/{len(cases)} cases, {outcome.accuracy()[0]} right so far")
            progress(f"{mode}: {outcome.accuracy()[0]}/{len(cases)} in {time.monotonic() - started:.0f}s")
            chatbot_log = stack.services["chatbot"].log_path.read_text(errors="replace")
            outcome.llm_used = chatbot_log.count("LLM answer {")
            outcome.llm_refused = chatbot_log.count("LLM output refused (")
            outcome.llm_unavailable = chatbot_log.count("LLM not used (")
        outcomes.append(outcome)
    return outcomes


def _run_case(
    http: httpx.Client, urls: dict[str, str], table: ModuleType, case: dict[str, Any], user: str
) -> CaseResult:
    backend, chatbot = urls["backend"], urls["chatbot"]
    email = f"eval-{user}-{time.time_ns()}@example.com"
    r = http.post(f"{backend}/api/auth/signup", json={"email": email, "password": PASSWORD})
    r.raise_for_status()
    auth = {"Authorization": f"Bearer {r.json()['access_token']}"}
    for spec in case["setup_tasks"]:
        fields = {k: v for k, v in spec.items() if k != "completed"}
        task = http.post(f"{backend}/api/tasks", json=fields, headers=auth).raise_for_status().json()
        if spec.get("completed"):
            http.patch(f"{backend}/api/tasks/{task['number']}", json={"completed": True}, headers=auth)

    def chat(message: str, conversation: str | None) -> dict[str, Any]:
        body = {"message": message, "client_time": case["client_time"]}
        if conversation:
            body["conversation_id"] = conversation
        reply: dict[str, Any] = (
            http.post(f"{chatbot}/api/chat", json=body, headers=auth).raise_for_status().json()
        )
        return reply

    def tasks() -> list[dict[str, Any]]:
        listed: list[dict[str, Any]] = (
            http.get(f"{backend}/api/tasks", headers=auth).raise_for_status().json()
        )
        return listed

    conversation = None
    for message in case.get("before", []):
        conversation = chat(message, conversation)["conversation_id"]
    before = tasks()
    started = time.monotonic()
    reply = chat(case["message"], conversation)
    seconds = time.monotonic() - started
    confirmed = "(yes/no)" in reply["reply"] and "(yes/no)" not in str(case.get("reply_has", ""))
    if confirmed:
        reply = {**chat("yes", reply["conversation_id"]), "intent": reply["intent"]}
    found = table.problems(case, reply, before, tasks())
    return CaseResult(case["id"], case["intent"], seconds, found, confirmed)


def format_table(outcomes: Sequence[ModeResult]) -> str:
    """Accuracy per expected intent and p50/p95 latency, one column per mode (Markdown)."""
    intents: dict[str, None] = {}
    for outcome in outcomes:
        intents.update(dict.fromkeys(r.intent for r in outcome.results))
    head = "| intent | " + " | ".join(o.mode for o in outcomes) + " |"
    rows = [head, "|---|" + "---|" * len(outcomes)]
    for intent in intents:
        cells = [_ratio(*o.accuracy(intent)) for o in outcomes]
        rows.append(f"| {intent} | " + " | ".join(cells) + " |")
    rows.append("| **all** | " + " | ".join(f"**{_ratio(*o.accuracy())}**" for o in outcomes) + " |")
    rows.append(
        "| asked for a yes first | "
        + " | ".join(str(sum(r.confirmed for r in o.results)) for o in outcomes)
        + " |"
    )
    for label, attribute in (
        ("model answer used", "llm_used"),
        ("model answer refused: rules answered", "llm_refused"),
        ("no model answer (timeout, error): rules answered", "llm_unavailable"),
    ):
        rows.append(f"| {label} | " + " | ".join(str(getattr(o, attribute)) for o in outcomes) + " |")
    rows.append("| latency p50 | " + " | ".join(f"{o.percentile(50) * 1000:.0f} ms" for o in outcomes) + " |")
    rows.append("| latency p95 | " + " | ".join(f"{o.percentile(95) * 1000:.0f} ms" for o in outcomes) + " |")
    return "\n".join(rows)


def failures(outcomes: Sequence[ModeResult]) -> dict[str, list[str]]:
    by_mode: dict[str, list[str]] = defaultdict(list)
    for outcome in outcomes:
        for r in outcome.results:
            if not r.ok:
                by_mode[outcome.mode].append(f"{r.case_id}: {'; '.join(r.problems)}")
    return by_mode


def _ratio(right: int, total: int) -> str:
    return f"{right}/{total}" if total else "-"
