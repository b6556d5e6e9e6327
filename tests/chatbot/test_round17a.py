"""Round 17 (a): heldout15's and heldout16's failures on completions and undo, fixed by class. Each rule is
removed (seeded off) in a test that then fails. The messages are this round's own phrasings on its own titles,
not the held-out sets' wordings."""

from __future__ import annotations

from datetime import date

import pytest
from todo_chatbot.nlu import rules
from todo_chatbot.nlu.intent import Intent, NLUContext

from tests.chatbot.test_no_destruction_on_a_guess import FakeBackend, RestoringBackend, converse, make_tasks

TODAY = date(2026, 11, 23)  # a Monday
TITLES = [
    "Inspect the beehives",  # 1
    "Post the parcel to Aunt Rosa",  # 2
    "Read the tenancy agreement",  # 3
    "Ride the new cycle route to work",  # 4
    "Collect the suit from the tailor",  # 5
    "Log the gas meter reading",  # 6
    "Tune the guitar",  # 7 done
    "Ask the landlord about the damp",  # 8
    "Sweep the chimney",  # 9 done
    "Delete the old photos from the laptop",  # 10 (title says "delete")
    "Sharpen the kitchen knives",  # 11
]
DONE = [False, False, False, False, False, False, True, False, True, False, False]
CONTEXT = NLUContext(today=TODAY, vocabulary=frozenset(" ".join(TITLES).lower().split()))


def _talk(messages: list[str]) -> tuple[FakeBackend, list[str]]:
    backend = RestoringBackend(make_tasks(TITLES, DONE))
    return backend, converse(backend, messages)


def _asks(reply: str) -> bool:
    return reply.rstrip().endswith(("?", "(yes/no)"))


# ---- 1: an undo word typed as such, with a reason clause before or after it, acts ----

UNDO_WITH_A_REASON = [
    ("add buy bin bags", "undo pls, I typed that in the wrong chat", 12, None),
    ("mark task 1 done", "go back, that was the wrong hive", 1, False),
    ("reopen task 7", "argh, sent it too early - undo", 7, True),
    ("add order more feed", "undo that, fat fingers", 12, None),
    ("mark task 5 done", "my thumb slipped, revert it", 5, False),
]


@pytest.mark.parametrize(("before", "message", "number", "completed"), UNDO_WITH_A_REASON)
def test_an_undo_with_a_reason_acts(before: str, message: str, number: int, completed: bool | None) -> None:
    assert rules.parse(message, CONTEXT).intent is Intent.UNDO
    backend, replies = _talk([before, message])
    assert replies[1].startswith("Undone"), replies
    if completed is None:
        assert number not in backend.tasks, replies  # the add is taken back
    else:
        assert backend.tasks[number]["completed"] is completed, replies


def test_the_last_thing_i_added_is_undone() -> None:
    backend, replies = _talk(["add buy bin bags", "undo the last thing I added"])
    assert replies[1].startswith("Undone") and 12 not in backend.tasks, replies
    backend, replies = _talk(["move task 2 to friday", "reverse the last thing I changed"])
    assert replies[1].startswith("Undone") and backend.tasks[2]["due_date"] is None, replies


def test_without_the_rule_an_undo_with_a_reason_asks_or_is_not_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rules, "UNDO_WITH_A_REASON", False)
    backend, replies = _talk(["add buy bin bags", "undo pls, I typed that in the wrong chat"])
    assert not replies[1].startswith("Undone") and 12 in backend.tasks, replies


@pytest.mark.parametrize(
    "message",
    [
        "undo that, then add milk",  # a request of its own
        "undo that, never mind",
        "undo task 3, it was wrong",
        "undoo pls, wrong list",  # the undo word misspelt: never read as typed
    ],
)
def test_an_undo_beside_another_request_or_misspelt_is_not_a_plain_undo(message: str) -> None:
    assert not rules.undo_with_a_reason(rules.Words.of(rules.clean(message)))


def test_a_misspelt_undo_with_a_reason_does_not_remove_the_task_at_once() -> None:
    backend, replies = _talk(["add buy bin bags", "undoo pls, wrong list"])
    assert 12 in backend.tasks, replies
