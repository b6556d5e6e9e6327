"""Every phrasing of the NLU table, via POST /api/chat on the real backend, judged by the tasks left."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import Stack
from .nlu_table import load_cases, problems

pytestmark = pytest.mark.anyio

CASES = load_cases()


def test_table_covers_every_intent_with_enough_phrasings() -> None:
    intents = {case["intent"] for case in CASES}
    assert len(CASES) >= 150
    assert {
        "add",
        "list",
        "count",
        "complete",
        "reopen",
        "update",
        "delete",
        "clear_completed",
        "help",
        "greeting",
        "unknown",
    } <= intents


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
async def test_phrasing(shared_stack: Stack, case: dict[str, Any]) -> None:
    token = await shared_stack.signup()
    for task in case["setup_tasks"]:
        await shared_stack.add_task(token, **task)
    conversation = None
    for message in case.get("before", []):
        conversation = (await shared_stack.chat(token, message, conversation, case["client_time"]))[
            "conversation_id"
        ]
    before = await shared_stack.tasks(token)
    reply = await shared_stack.chat(token, case["message"], conversation, case["client_time"])
    after = await shared_stack.tasks(token)
    if case.get("then"):
        # a guess (typo) or clear-completed: nothing happens until the user says yes (issue 11)
        assert after == before, f"{case['message']!r} acted before asking: {reply['reply']!r}"
        assert reply["reply"].endswith("(yes/no)"), reply["reply"]
        for message in case["then"]:
            reply = {
                **await shared_stack.chat(token, message, reply["conversation_id"], case["client_time"]),
                "intent": reply["intent"],
            }
        after = await shared_stack.tasks(token)
    found = problems(case, reply, before, after)
    assert not found, f"{case['message']!r} → {reply['reply']!r}: " + "; ".join(found)
