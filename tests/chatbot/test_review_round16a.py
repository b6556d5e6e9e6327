"""Review of round 16 (a): five new rules that went too far, each shown by a message and its outcome.

1. `_two_clauses` took "then" as a lead: "book the piano tuner, then tick it off" marked the task done at
   once (before round 16 it was asked about) — "then" puts the completion after the first clause, a future
   step, so it is asked about, never done (issue 11).
2. round 16's bare "gotta" add lead read "gotta go" / "gotta run, bye" as adds of a task "go" / "run, bye".
3. round 16's add frame read "make this urgent, the kettle" as an add of a duplicate task "the kettle".
4. round 16's help question "how (long|often|much|many|far) do you …" took "how many do you have on my list"
   (a count) for help.
5. round 16's request after a negated delete read the reason the task stays ("don't delete the kettle, i need
   to buy a new one") as an add of "buy a new".
"""

from __future__ import annotations

import pytest
from todo_chatbot.nlu import rules
from todo_chatbot.nlu.intent import Intent

from tests.chatbot.test_round16a import CONTEXT, TITLES, _talk

# ---- 1: "…, then <delete/complete> it" is asked about ----

THEN_DESTROY = [
    ("book the piano tuner, then tick it off", 4),
    ("i will ring the piano tuner first, then tick it off", 4),
    ("don't forget the kettle, then tick it off", 5),
    ("wait for the kettle to arrive, then delete it", 5),
]


@pytest.mark.parametrize(("message", "number"), THEN_DESTROY)
def test_then_destroying_it_is_asked_never_done(message: str, number: int) -> None:
    backend, replies = _talk([message])
    assert not backend.destroyed, replies
    assert backend.tasks[number]["completed"] is False, replies
    assert replies[0].startswith("Should I"), replies


def test_then_destroying_it_is_done_after_a_yes() -> None:
    backend, replies = _talk(["book the piano tuner, then tick it off", "yes"])
    assert backend.tasks[4]["completed"] is True, replies


def test_then_with_an_edit_still_edits_at_once() -> None:
    backend, replies = _talk(["the gate needs doing by friday, then make it high"])
    assert (backend.tasks[2]["priority"], backend.tasks[2]["due_date"]) == ("high", "2026-11-27"), replies


# ---- 2: the user leaving is no task ----

LEAVING = ["gotta go", "gotta run, bye", "i've gotta go now", "gotta dash", "we've gotta head off, cheers"]


@pytest.mark.parametrize("message", LEAVING)
def test_gotta_go_adds_nothing(message: str) -> None:
    assert rules.parse(message, CONTEXT).intent is not Intent.ADD
    backend, replies = _talk([message])
    assert len(backend.tasks) == len(TITLES), replies


@pytest.mark.parametrize(
    ("message", "title"),
    [("gotta go to the dentist", "go to the dentist"), ("gotta go shopping on friday", "go shopping")],
)
def test_gotta_go_somewhere_is_still_an_add(message: str, title: str) -> None:
    said = rules.parse(message, CONTEXT)
    assert (said.intent, said.title) == (Intent.ADD, title), said


# ---- 3: "make this urgent, <task>" is no add frame ----


@pytest.mark.parametrize("message", ["make this urgent, the kettle", "make this urgent - the boat licence"])
def test_make_this_urgent_adds_no_duplicate(message: str) -> None:
    assert rules.parse(message, CONTEXT).intent is not Intent.ADD
    backend, replies = _talk([message])
    assert len(backend.tasks) == len(TITLES), replies


def test_make_a_new_one_is_still_a_frame() -> None:
    said = rules.parse("make an urgent one, ring the bank", CONTEXT)
    assert (said.intent, said.title, said.priority) == (Intent.ADD, "ring the bank", "high"), said


# ---- 4: "how many do you have on my list" counts (round 16's help question took "how many do you …") ----


@pytest.mark.parametrize(
    "message", ["how many do you have on my list", "how much do you have left for me", "how many can you see"]
)
def test_how_many_do_you_have_is_a_count(message: str) -> None:
    assert rules.parse(message, CONTEXT).intent is Intent.COUNT


def test_how_long_do_you_keep_my_tasks_is_still_help() -> None:
    assert rules.parse("how long do you keep my tasks", CONTEXT).intent is Intent.HELP


# ---- 5: after "don't delete X", the reason it stays is no add ----


@pytest.mark.parametrize(
    "message",
    [
        "don't delete the kettle, i need to buy a new one",
        "no don't remove the boat licence, i have to renew the boat licence next week",
    ],
)
def test_a_reason_after_a_negated_delete_adds_nothing(message: str) -> None:
    assert rules.parse(message, CONTEXT).intent is Intent.CANCEL
    backend, replies = _talk([message])
    assert not backend.destroyed and len(backend.tasks) == len(TITLES), replies


def test_an_add_said_after_a_negated_delete_is_still_an_add() -> None:
    said = rules.parse("no need to bin anything, but add buy milk", CONTEXT)
    assert (said.intent, said.title) == (Intent.ADD, "buy milk"), said
