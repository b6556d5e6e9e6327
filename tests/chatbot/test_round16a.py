"""Round 16 (a): heldout14's failures on add, update, list, greeting and unknown, and the classes round 15
left, fixed by class — "X isn't urgent any more" is one step down from the task's own priority; … Each rule
is removed (seeded off) in a test that then fails. The messages are this round's own phrasings on its own
titles, not heldout14's."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from todo_chatbot import chat
from todo_chatbot.nlu import phrasing, rules
from todo_chatbot.nlu.intent import Intent, NLUContext

from tests.chatbot.test_no_destruction_on_a_guess import FakeBackend, converse, make_tasks
from tests.chatbot.test_round14 import _ref

TODAY = date(2026, 11, 23)  # a Monday
TITLES = [
    "Renew the boat licence",
    "Repair the garden gate",
    "Clean the gutters",
    "Book the piano tuner",
    "Buy a new kettle",
    "Cancel the magazine subscription",
    "Email the landlord about the boiler",
]
DONE = [False, False, True, False, False, False, False]
PRIORITY = ["high", "medium", "medium", "low", "high", "medium", "medium"]
DUE = ["2026-11-26", None, None, "2026-11-30", None, "2026-11-25", None]
CONTEXT = NLUContext(today=TODAY, vocabulary=frozenset(" ".join(TITLES).lower().split()))


def _tasks() -> dict[int, dict[str, Any]]:
    tasks = make_tasks(TITLES, DONE)
    for n, task in tasks.items():
        task["priority"], task["due_date"] = PRIORITY[n - 1], DUE[n - 1]
    return tasks


class UpdatingBackend(FakeBackend):
    """The fake backend, recording the fields of each edit."""

    async def update_task(self, token: str, number: int, **fields: Any) -> dict[str, Any]:
        self.tasks[number].update(fields)
        return dict(self.tasks[number])


def _talk(messages: list[str]) -> tuple[FakeBackend, list[str]]:
    backend = UpdatingBackend(_tasks())
    return backend, converse(backend, messages)


# ---- 1: the urgency taken away is one step down from the task's own priority ----

NOT_URGENT = [
    ("the boat licence isn't urgent any more", 1, "medium"),  # high -> medium, the default
    ("the kettle's not that urgent now", 5, "medium"),
    ("the garden gate isn't urgent", 2, "low"),  # medium -> low
    ("the piano tuner is less pressing now", 4, "low"),  # low stays low
    ("the boat licence is less urgent than it was", 1, "medium"),
]


@pytest.mark.parametrize(("message", "number", "priority"), NOT_URGENT)
def test_not_urgent_is_one_step_down(message: str, number: int, priority: str) -> None:
    backend, replies = _talk([message, "yes"])
    assert backend.tasks[number]["priority"] == priority, replies
    assert not backend.destroyed


def test_not_important_is_still_low() -> None:
    backend, replies = _talk(["the boat licence isn't important any more", "yes"])
    assert backend.tasks[1]["priority"] == "low", replies


def test_without_the_step_down_not_urgent_is_low(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(chat, "STEP_DOWN", {"high": "low", "medium": "low", "low": "low"})
    backend, replies = _talk(["the boat licence isn't urgent any more", "yes"])
    assert backend.tasks[1]["priority"] == "low", replies
    edits = [(p, "low" if fixed == phrasing.STEP_DOWN else fixed) for p, fixed in phrasing._PRIORITY_EDIT]
    monkeypatch.setattr(phrasing, "_PRIORITY_EDIT", edits)
    said = rules.parse("the boat licence isn't urgent any more", CONTEXT)
    assert said.priority == "low" and not said.priority_down
