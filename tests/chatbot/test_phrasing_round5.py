"""Readings added in round 5 (README, "Accuracy, round 5"), on the rule parser alone, each with the defect it
guards against seeded and shown to be caught."""

from __future__ import annotations

from datetime import date

import pytest
from todo_chatbot.nlu import phrasing, rules
from todo_chatbot.nlu.intent import Intent, NLUContext

TITLES = frozenset("pack the suitcase exchange currency buy cat litter renew pet insurance".split())
CONTEXT = NLUContext(today=date(2026, 11, 23), vocabulary=TITLES)


def test_an_add_with_an_importance_tail_is_an_add_not_a_statement() -> None:
    said = rules.parse_rules("add fix the gate latch for sunday, it's important", CONTEXT)
    assert (said.intent, said.title, said.priority) == (Intent.ADD, "fix the gate latch", "high")
    assert said.due_date == date(2026, 11, 29)


def test_without_the_add_guard_the_importance_tail_is_read_as_a_priority_edit() -> None:
    """Seeded defect: the statement readers run on an explicit add (as before round 5)."""
    assert phrasing.update("add fix the gate latch for sunday it's important", CONTEXT.today) is not None


def test_a_delete_reference_ends_where_a_new_clause_starts() -> None:
    said = rules.parse_rules("forget the cat litter, we've got loads", CONTEXT)
    assert said.intent is Intent.DELETE and said.ref is not None and said.ref.words == "cat litter"


def test_without_the_clause_cut_the_reason_is_part_of_the_reference(monkeypatch: pytest.MonkeyPatch) -> None:
    """Seeded defect: the reference runs to the end of the message (as before round 5)."""
    monkeypatch.setattr(rules, "_before_clause", lambda words, ref_text, context=None: ref_text)
    said = rules.parse_rules("forget the cat litter, we've got loads", CONTEXT)
    assert said.ref is not None and said.ref.words == "cat litter we've got loads"


def test_a_past_statement_with_its_time_names_the_task() -> None:
    said = phrasing.past_statement("ordered the cake this morning")
    assert said is not None and said.ref is not None and said.ref.words == "ordered the cake"
    assert phrasing._WHEN_DONE.search("ordered the cake") is None  # nothing to cut: the seed below differs


def test_without_the_time_cut_the_time_is_part_of_the_reference(monkeypatch: pytest.MonkeyPatch) -> None:
    """Seeded defect: no time phrase is recognised, so "this morning" stays in the reference."""
    monkeypatch.setattr(phrasing, "_WHEN_DONE", phrasing.re.compile(r"(?!)"))
    said = phrasing.past_statement("ordered the cake this morning")
    assert said is not None and said.ref is not None and said.ref.words == "ordered the cake this morning"


@pytest.mark.parametrize(
    ("message", "intent"),
    [
        ("can you undo that last one", Intent.UNDO),
        ("put the date back", Intent.UNDO),
        ("restore what I just deleted", Intent.UNDO),
        ("undo, that's wrong", Intent.UNDO),
        ("what kind of stuff can you help me with", Intent.HELP),
        ("afternoon all", Intent.GREETING),
        ("ta very much for that", Intent.GREETING),
        ("I need to redo the playlist", Intent.ADD),  # no such task: an add
    ],
)
def test_round_5_wordings(message: str, intent: Intent) -> None:
    assert rules.parse_rules(message, CONTEXT).intent is intent


def test_redo_reopens_a_task_whose_every_word_is_the_users() -> None:
    context = NLUContext(today=CONTEXT.today, vocabulary=frozenset({"make", "the", "playlist"}))
    said = rules.parse_rules("I need to redo the playlist", context)
    assert said.intent is Intent.REOPEN and said.ref is not None and said.ref.words == "playlist"
