"""Round 7 (README, "Accuracy, round 7"): lists and counts by a named day, the wider list-filter and
clear-completed wordings, deletes said as "get X off my list", undo "how it was", add lead-ins and trailers,
the tagger keeping "a trip to the …", and no add from a question about the world — each with its defect
seeded and shown to be caught (and the file fails on the parser of round 6: see the README)."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest
from todo_chatbot import chat
from todo_chatbot.nlu import arbiter, rules, title_tagger
from todo_chatbot.nlu.intent import Intent, ListFilter, NLUContext

TODAY = date(2026, 11, 23)  # a Monday
TITLES = ["Glaze the mugs", "Fire the kiln", "Wedge the clay", "Email the gallery about the exhibition"]
CONTEXT = NLUContext(today=TODAY, vocabulary=frozenset(" ".join(TITLES).lower().split()))
EMPTY = NLUContext(today=TODAY)

TASKS: list[dict[str, Any]] = [
    {
        "number": 1,
        "title": "Glaze the mugs",
        "due_date": "2026-11-24",
        "priority": "medium",
        "completed": False,
    },
    {"number": 2, "title": "Fire the kiln", "due_date": "2026-11-26", "priority": "high", "completed": False},
    {"number": 3, "title": "Wedge the clay", "due_date": None, "priority": "medium", "completed": True},
    {"number": 4, "title": "Order slip", "due_date": "2026-12-04", "priority": "low", "completed": False},
]


def _parse(message: str, context: NLUContext = CONTEXT) -> Any:
    return rules.parse(message, context)


# ---- lists and counts by a named day ----


@pytest.mark.parametrize(
    ("message", "intent", "numbers"),
    [
        ("what's on for thursday", Intent.LIST, [2]),
        ("anything due on the 4th?", Intent.LIST, [4]),
        ("how many are due on thursday", Intent.COUNT, [2]),
        ("what's due on wednesday", Intent.LIST, []),
    ],
)
def test_a_list_or_count_for_a_named_day_keeps_that_day(
    message: str, intent: Intent, numbers: list[int]
) -> None:
    said = _parse(message)
    assert said.intent is intent
    kept = chat.filter_tasks(TASKS, said.filter, TODAY)  # type: ignore[arg-type]
    assert [t["number"] for t in kept] == numbers


def test_the_named_day_needs_today() -> None:
    """Shown able to fail: read without the user's date (the round-6 filter), the day is lost and every task
    is listed."""
    f = rules.list_filter("what's due on thursday")
    assert f.on is None
    assert [t["number"] for t in chat.filter_tasks(TASKS, f, TODAY)] == [1, 2, 3, 4]  # type: ignore[arg-type]


def test_the_reply_names_the_day() -> None:
    assert chat.describe_filter(ListFilter(status="pending", on=date(2026, 11, 26))) == (
        "pending task{s} due Thu 2026-11-26"
    )


# ---- list-filter wordings ----


@pytest.mark.parametrize(
    ("message", "status"),
    [
        ("everything please, finished or not", "all"),
        ("give me the whole list, done ones too", "all"),
        ("which ones have I dealt with", "completed"),
        ("what's been sorted already", "completed"),
        ("list the stuff I've already sorted", "completed"),
        ("what have I got on", "pending"),
        ("what jobs are still hanging around", "pending"),
        ("can I have a look at what's still to do", "pending"),
        ("remind me what i've got on my list", "all"),  # "got on my list" is the list, not the open tasks
    ],
)
def test_list_filter_wordings(message: str, status: str) -> None:
    said = _parse(message)
    assert said.intent is Intent.LIST
    assert said.filter.status == status


def test_count_wordings() -> None:
    assert _parse("how many things have I got on").filter.status == "pending"
    assert _parse("what's the count of overdue stuff").intent is Intent.COUNT


# ---- clear-completed and delete wordings (both still ask first: the engine's guard is unchanged) ----


@pytest.mark.parametrize(
    "message",
    [
        "get all the completed stuff off my list",
        "take the done ones off the list",
        "tidy my list by removing finished tasks",
        "clear the finished ones off my list",
    ],
)
def test_clear_completed_wordings(message: str) -> None:
    assert _parse(message).intent is Intent.CLEAR_COMPLETED


@pytest.mark.parametrize(
    ("message", "words"),
    [
        ("get the gallery email off my list", "gallery email"),
        ("I don't want the kiln one on there any more", "kiln"),
    ],
)
def test_delete_wordings(message: str, words: str) -> None:
    said = _parse(message)
    assert said.intent is Intent.DELETE
    assert said.ref is not None and said.ref.words == words


# ---- undo, help, greetings ----


@pytest.mark.parametrize(
    "message", ["put it how it was", "make it like it was before", "set things back the way they were"]
)
def test_undo_how_it_was(message: str) -> None:
    assert _parse(message).intent is Intent.UNDO


def test_a_task_about_how_it_was_is_still_an_add() -> None:
    said = _parse("add find out how it was built", EMPTY)
    assert said.intent is Intent.ADD and said.title == "find out how it was built"


@pytest.mark.parametrize(
    ("message", "intent"),
    [
        ("can you list your commands", Intent.HELP),
        ("what can I get you to do", Intent.HELP),
        ("g'night", Intent.GREETING),
    ],
)
def test_help_and_greeting_wordings(message: str, intent: Intent) -> None:
    assert _parse(message, EMPTY).intent is intent


# ---- add titles ----


@pytest.mark.parametrize(
    ("message", "title", "due", "priority"),
    [
        (
            "could you stick down pick up the new glasses on thursday",
            "pick up the new glasses",
            date(2026, 11, 26),
            None,
        ),
        ("add get a quote for the fence, pretty urgent", "get a quote for the fence", None, "high"),
        ("add fix the extractor fan, fairly important", "fix the extractor fan", None, "high"),
        (
            "note: cancel the magazine subscription before the 3rd",
            "cancel the magazine subscription",
            date(2026, 12, 3),
            None,
        ),
        ("remind me on sunday evening to iron my shirts", "iron my shirts", date(2026, 11, 29), None),
        ("can you add a thing for tomorrow - call the garage", "call the garage", date(2026, 11, 24), None),
    ],
)
def test_add_lead_ins_and_trailers(message: str, title: str, due: date | None, priority: str | None) -> None:
    said = _parse(message, EMPTY)
    assert (said.intent, said.title, said.due_date, said.priority) == (Intent.ADD, title, due, priority)


def test_urgent_alone_is_cut_and_its_intensifier_with_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """Shown able to fail: without the intensifier list, "pretty" stays in the title."""
    assert _parse("add ring the bank pretty urgent", EMPTY).title == "ring the bank"
    monkeypatch.setattr(rules, "_INTENSIFIERS", frozenset())
    assert _parse("add ring the bank pretty urgent", EMPTY).title == "ring the bank pretty"


def test_a_trip_to_the_coast_keeps_its_trip(monkeypatch: pytest.MonkeyPatch) -> None:
    """The tagger may not cut a lead-in ending in a prepositional "to" (the title would start with "the").
    The retrained model no longer proposes that cut for these words, so the rule is checked on a model that
    does (a seeded path). Shown able to fail: with the check off, "a trip to" is cut."""
    said = _parse("pencil in a trip to the clay supplier for saturday", EMPTY)
    assert (said.title, said.due_date) == ("trip to the clay supplier", date(2026, 11, 28))
    tagger = title_tagger.load()
    monkeypatch.setattr(tagger, "best", lambda tokens: (["L", "L", "L"] + ["T"] * (len(tokens) - 3), 99.0))
    assert tagger.trim("a trip to the coast") == ("a trip to the coast", "")
    assert tagger.trim("remind me to email the school") == (
        "email the school",
        "remind me to",
    )  # "to" still cuts
    monkeypatch.setattr(title_tagger, "DETERMINERS", frozenset())
    assert tagger.trim("a trip to the coast") == ("the coast", "a trip to")


# ---- a question about the world is never an add ----


def test_a_question_is_not_an_add_from_the_classifier(monkeypatch: pytest.MonkeyPatch) -> None:
    """Shown able to fail: without the question check the classifier's add is taken and the question becomes a
    task."""
    assert _parse("why do I need to renew my passport", EMPTY).intent is Intent.UNKNOWN
    assert _parse("where's the nearest petrol station", EMPTY).intent is Intent.UNKNOWN
    monkeypatch.setattr(arbiter, "_QUESTION", re.compile(r"(?!)"))
    assert _parse("why do I need to renew my passport", EMPTY).intent is Intent.ADD
