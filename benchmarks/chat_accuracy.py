"""Accuracy on realistic phrasings (tests/chatbot/realistic_cases.yaml), per intent, dev and held-out halves,
and on the NLU table (tests/chatbot/nlu_cases.yaml). Targets: held-out >= 95 %, table 100 %, 0 destructive
actions on a wrong guess.

    .venv/bin/python benchmarks/chat_accuracy.py [--providers rules,hybrid] [--llm-url URL | --start-llm]
                                                 [--failures dev|table] [--batch ID-PREFIX] [--diagnose]
                                                 [--split dev,heldout,heldout2,...,heldout18]

Every case runs through POST /api/chat of the real chatbot app against the real backend app (both in-process,
SQLite files, as in tests/chatbot/conftest.py) and is judged by the tasks read back from the backend.
`hybrid` needs an OpenAI-compatible model server: --llm-url, or --start-llm to start the project's local
SmolLM2 server (harness.llm_server; needs `tcb llm build` once).
`--failures dev` prints the failing dev cases (tune on these only). For the held-out halves (`heldout`, the
round-1 id-hash half, `heldout2`, round 3's sealed set, `heldout3`, round 4's, `heldout4`, round 5's, and
`heldout5`, round 6's, `heldout6`, round 7's, `heldout7`, round 8's, `heldout8`, round 9's, `heldout9`, round
10's, `heldout10`, round 11's, `heldout11`, round 12's, written blind by a separate author and merged after
that round, `heldout12`, round 13's, `heldout13`, round 14's, `heldout14`, round 15's, `heldout15`, round
16's, `heldout16`, round 16's second set, `heldout17` and `heldout18`, round 17's two, likewise: until a set
is merged it has no cases, printed as "0 cases")
only the per-intent counts are printed — except, from round 11 on, for the sets already scored at the end of
an earlier round (`UNSEALED`: every held-out set but the newest, `SEALED`): `--failures heldout14` lists
those, `--diagnose` counts them by cause. The newest set's failures are never listed. `--diagnose` (the
development half and the unsealed sets; it refuses to run with `SEALED`) counts failures by cause — wrong
intent, no or wrong task reference, title text, date, priority, list/count filter, a question where an action
was expected, … (tests/chatbot/realistic.py: cause_of) — and with `--failures dev` (or an unsealed set)
names each one's.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # tests/ and harness/ when run as a script

from tests.chatbot import nlu_table  # noqa: E402
from tests.chatbot.conftest import Stack, running_stack  # noqa: E402
from tests.chatbot.realistic import (  # noqa: E402
    HELD_OUT,
    SEALED,
    UNSEALED,
    Outcome,
    cause_of,
    diagnosis,
    format_table,
    load_cases,
    run_case,
)


async def evaluate(
    provider: str,
    llm_url: str | None,
    table: bool,
    splits: tuple[str, ...] = ("dev", *HELD_OUT),
    batch: str = "",
) -> dict[str, list[Outcome]]:
    overrides: dict[str, Any] = {"nlu_provider": provider}
    if provider != "rules":
        overrides.update(llm_base_url=llm_url, llm_timeout_seconds=30)
    with tempfile.TemporaryDirectory(prefix="chat-accuracy-") as state:
        async with running_stack(Path(state), **overrides) as stack:
            results: dict[str, list[Outcome]] = {split: [] for split in splits}
            for case in load_cases():
                if case["split"] == "dev" and not case["id"].startswith(batch):
                    continue  # --batch: one development batch (its id prefix)
                if case["split"] in results:  # the held-out half is not even run while tuning (--split dev)
                    results[case["split"]].append(await _one(stack, case))
            if table:
                results["table"] = [await _table_case(stack, c) for c in nlu_table.load_cases()]
            return results


async def _user(stack: Stack, case: dict[str, Any]) -> str:
    token = await stack.signup()
    for task in case["setup_tasks"]:
        await stack.add_task(token, **task)
    return token


async def _one(stack: Stack, case: dict[str, Any]) -> Outcome:
    token = await _user(stack, case)

    async def chat(message: str, conversation: str | None) -> dict[str, Any]:
        return await stack.chat(token, message, conversation, case["client_time"])

    return await run_case(case, chat, lambda: stack.tasks(token))


async def _table_case(stack: Stack, case: dict[str, Any]) -> Outcome:
    token = await _user(stack, case)
    conversation = None
    for message in case.get("before", []):
        conversation = (await stack.chat(token, message, conversation, case["client_time"]))[
            "conversation_id"
        ]
    before = await stack.tasks(token)
    reply = await stack.chat(token, case["message"], conversation, case["client_time"])
    for message in case.get("then", []):
        reply = {
            **await stack.chat(token, message, reply["conversation_id"], case["client_time"]),
            "intent": reply["intent"],
        }
    outcome = Outcome(case, nlu_table.problems(case, reply, before, await stack.tasks(token)))
    outcome.replies.append(reply["reply"])
    return outcome


@contextlib.contextmanager
def model_server(url: str | None, start: bool) -> Iterator[str | None]:
    if url or not start:
        yield url
        return
    from harness.llm_server import LLMServer

    with LLMServer() as server:
        yield server.base_url


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--providers", default="rules", help="comma-separated: rules, hybrid, llm")
    parser.add_argument("--llm-url", help="an OpenAI-compatible API root with /v1, for hybrid/llm")
    parser.add_argument("--start-llm", action="store_true", help="start the local SmolLM2 server")
    parser.add_argument(
        "--failures",
        choices=["none", "dev", "table", *UNSEALED],
        default="none",
        help="list the failing cases of the development half, the table, or a held-out set already scored "
        f"at the end of an earlier round ({SEALED}, the newest, is not listable)",
    )
    parser.add_argument("--no-table", action="store_true", help="skip the NLU table")
    parser.add_argument("--batch", default="", help="only the dev cases whose id starts so (e.g. r5a-)")
    parser.add_argument(
        "--diagnose",
        action="store_true",
        help=f"count the dev (and unsealed sets') failures by cause (not {SEALED})",
    )
    parser.add_argument(
        "--split",
        default=",".join(("dev", *HELD_OUT)),
        help=f"comma-separated halves of the phrasings to run: {', '.join(('dev', *HELD_OUT))} (or 'none')",
    )
    args = parser.parse_args()
    providers = [p.strip() for p in args.providers.split(",") if p.strip()]
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    columns: dict[str, list[Outcome]] = {}
    with model_server(args.llm_url, args.start_llm) as url:
        for provider in providers:
            if provider != "rules" and not url:
                sys.exit(f"{provider} needs a model server: pass --llm-url URL or --start-llm")
            started = time.monotonic()
            splits = tuple(s.strip() for s in args.split.split(",") if s.strip() not in ("", "none"))
            if unknown := set(splits) - {"dev", *HELD_OUT}:
                halves = ", ".join(("dev", *HELD_OUT))
                sys.exit(f"--split: unknown half {sorted(unknown)}; use {halves} or none")
            if args.diagnose and SEALED in splits:
                sys.exit(f"--diagnose reads failures, so it never runs on the sealed set: drop {SEALED}")
            results = asyncio.run(evaluate(provider, url, not args.no_table, splits, args.batch))
            print(f"{provider}: {time.monotonic() - started:.0f} s")
            for split, outcomes in results.items():
                columns[f"{provider} {split}"] = outcomes
    print(format_table(columns))
    for label, outcomes in columns.items():
        if not outcomes:
            print(f"{label}: 0 cases")  # e.g. the sealed set before it is merged: nothing to score
    if args.diagnose:
        for label, outcomes in columns.items():
            if label.split()[-1] in ("dev", *UNSEALED):
                print(f"\n{label}:\n{diagnosis(outcomes)}")
    if args.failures != "none":
        for label, outcomes in columns.items():
            if label.split()[-1] != args.failures:
                continue
            for o in outcomes:
                if not o.ok:
                    cause = f" ({cause_of(o)})" if args.diagnose else ""
                    print(
                        f"- [{label}] {o.case['id']}{cause}: {o.case['message']!r} -> {o.replies!r}: "
                        + "; ".join(o.problems)
                    )


if __name__ == "__main__":
    main()
