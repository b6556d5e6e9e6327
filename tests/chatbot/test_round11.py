"""Round 11 (README, "Accuracy, round 11"): the failure classes read in the held-out sets scored at the end of
earlier rounds (no longer clean) and in development batch r11d — date and priority edits said in everyday
words, reopen wordings, undo with a lead or a reason, overdue/ticked-off/priority list questions, help after a
first clause and "how do you <something in the world>", add lead-ins and trailers — each with a defect seeded
and shown to be caught where one can be seeded. The messages are development phrasings, not held-out ones."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest
from todo_chatbot.nlu import arbiter, phrasing, rules, stems
from todo_chatbot.nlu.intent import Intent, NLUContext

TODAY = date(2026, 11, 23)  # a Monday
TITLES = ["Sand the banister", "Book the dentist", "Fix the bike", "Learn the poem", "Walk the dog"]
CONTEXT = NLUContext(today=TODAY, vocabulary=frozenset(" ".join(TITLES).lower().split()))
EMPTY = NLUContext(today=TODAY)


def _parse(message: str, context: NLUContext = CONTEXT) -> Any:
    return rules.parse(message, context)


# ---- date and priority edits ----


@pytest.mark.parametrize(
    ("message", "ref", "due", "shift"),
    [
        ("put the dentist back to the 3rd", "dentist", date(2026, 12, 3), None),
        ("the banister needs to be sanded by friday now", "banister", date(2026, 11, 27), None),
        ("can the bike be done on the 2nd instead", "bike", date(2026, 12, 2), None),
        ("give me two more days for the banister", "banister", None, 2),
        ("i need to book the dentist by thursday instead", "book dentist", date(2026, 11, 26), None),
    ],
)
def test_date_edits_in_everyday_words(message: str, ref: str, due: date | None, shift: int | None) -> None:
    said = _parse(message)
    assert (said.intent, said.ref.words, said.due_date, said.due_shift_days) == (
        Intent.UPDATE,
        ref,
        due,
        shift,
    )


def test_make_that_one_for_a_day_is_a_date_edit_and_make_a_cake_an_add() -> None:
    said = _parse("make that one for monday")
    assert (said.intent, said.ref.pronoun, said.due_date) == (Intent.UPDATE, True, date(2026, 11, 30))
    assert _parse("make a cake for friday", EMPTY).intent is Intent.ADD


def test_put_back_to_a_date_needs_its_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        phrasing, "_DATE_EDIT", [p for p in phrasing._DATE_EDIT if " back (?:to|till" not in p]
    )
    assert _parse("put the dentist back to the 3rd").intent is not Intent.UPDATE


def test_instead_needs_the_named_task(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rules, "_all_named", lambda text, context: [])
    assert _parse("i need to book the dentist by thursday instead").intent is Intent.ADD


@pytest.mark.parametrize(
    ("message", "priority"),
    [("put the bike on high", "high"), ("drop the dentist to low priority", "low")],
)
def test_priority_edits_without_the_word_priority(message: str, priority: str) -> None:
    said = _parse(message)
    assert (said.intent, said.priority) == (Intent.UPDATE, priority)


# ---- reopen ----


@pytest.mark.parametrize(
    "message",
    [
        "put the bike back on my to do list",
        "un-tick the bike",
        "the bike was not really fixed",
        "the banister needs redoing",
        "I still need to walk the dog",
        "I have to fix the bike, it isn't finished",
    ],
)
def test_reopen_wordings(message: str) -> None:
    assert _parse(message).intent is Intent.REOPEN


def test_something_new_still_to_do_is_an_add() -> None:
    said = _parse("I still need to buy a new lamp")
    assert (said.intent, said.title) == (Intent.ADD, "buy a new lamp")


def test_it_isnt_finished_needs_its_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rules, "_NOT_FINISHED", re.compile(r"(?!)"))
    assert _parse("I have to fix the bike, it isn't finished").intent is Intent.ADD


# ---- undo ----


@pytest.mark.parametrize(
    "message",
    ["oops, undo it pls", "that was wrong, take it back", "undo adding it", "cancel the last change"],
)
def test_undo_with_a_lead_or_a_reason_is_read_by_the_rules(message: str) -> None:
    said = rules.parse_rules(message, CONTEXT)
    assert (said.intent, said.guessed) == (Intent.UNDO, None)  # not a guess: the engine does not ask


# ---- lists and counts ----


@pytest.mark.parametrize(
    ("message", "status", "due", "priority"),
    [
        ("did I miss any deadlines?", "pending", "overdue", None),
        ("have i let anything go overdue", "pending", "overdue", None),
        ("what's been ticked off", "completed", None, None),
        ("what's high prio", "all", None, "high"),
        ("show everything incl done ones", "all", None, None),
        ("what do i have to get done", "pending", None, None),
    ],
)
def test_list_questions(message: str, status: str, due: str | None, priority: str | None) -> None:
    said = _parse(message)
    got = (said.intent, said.filter.status, said.filter.due, said.filter.priority)
    assert got == (Intent.LIST, status, due, priority)


def test_how_many_have_i_managed_counts_the_done_ones() -> None:
    said = _parse("how many have i managed to finish so far")
    assert (said.intent, said.filter.status) == (Intent.COUNT, "completed")


@pytest.mark.parametrize("message", ["wipe the done ones off", "get rid of the stuff i already did"])
def test_clear_completed_wordings(message: str) -> None:
    assert _parse(message).intent is Intent.CLEAR_COMPLETED


# ---- help, greetings and the world ----


@pytest.mark.parametrize(
    "message",
    ["so what are you really able to do", "i'm lost, how do i delete something", "how do you make a task"],
)
def test_help_wordings(message: str) -> None:
    assert _parse(message, EMPTY).intent is Intent.HELP


def test_a_how_to_about_the_world_is_not_help(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _parse("how do you boil an egg", EMPTY).intent is Intent.UNKNOWN
    # seeded: every how-to counted as about the bot
    monkeypatch.setattr(rules, "_ABOUT_THE_BOT", re.compile(r""))
    assert _parse("how do you boil an egg", EMPTY).intent is Intent.HELP


def test_the_classifier_does_not_turn_a_how_to_about_the_world_into_help(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    class SureOfHelp:
        def predict(self, message: str, vocabulary: frozenset[str]) -> Any:
            return type("Said", (), {"intent": "help", "probability": 0.99})()

    ruled = rules.parse_rules("how do you boil an egg", EMPTY)
    assert arbiter.arbitrate("how do you boil an egg", EMPTY, ruled, SureOfHelp()).intent is Intent.UNKNOWN  # type: ignore[arg-type]
    monkeypatch.setattr(arbiter, "how_to_in_the_world", lambda plain: False)  # seeded: the guard off
    assert arbiter.arbitrate("how do you boil an egg", EMPTY, ruled, SureOfHelp()).intent is Intent.HELP  # type: ignore[arg-type]


@pytest.mark.parametrize("message", ["hiya, me again", "ok that's everything for now, thanks"])
def test_greeting_wordings(message: str) -> None:
    assert _parse(message, EMPTY).intent is Intent.GREETING


# ---- adds: lead-ins and trailers ----


@pytest.mark.parametrize(
    ("message", "title", "due"),
    [
        ("I must water the ferns, put that down", "water the ferns", None),
        ("would you be able to add defrost the van", "defrost the van", None),
        ("lemme add something: renew the car tax", "renew the car tax", None),
        ("pop 'buy bin bags' on there", "buy bin bags", None),
        ("adddd feed the fish", "feed the fish", None),
        ("tomorrow evening - iron the shirts", "iron the shirts", date(2026, 11, 24)),
        ("remind me to lock the shed tonite", "lock the shed", date(2026, 11, 23)),
        ("must renew the TV licence by friday", "renew the TV licence", date(2026, 11, 27)),
        ("one more thing, text Priti the address", "text Priti the address", None),
        ("could I get a reminder to phone the vet on friday", "phone the vet", date(2026, 11, 27)),
        ("i shoud clean the oven", "clean the oven", None),
        ("add the car wash to saturday", "the car wash", date(2026, 11, 28)),
    ],
)
def test_add_lead_ins_and_trailers_are_not_the_title(message: str, title: str, due: date | None) -> None:
    said = _parse(message, EMPTY)
    assert (said.intent, said.title, said.due_date) == (Intent.ADD, title, due)


def test_the_instruction_after_the_task_needs_its_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rules, "_TOLD", re.compile(r"(?!)"))
    assert "put that down" in (_parse("I must water the ferns, put that down", EMPTY).title or "")


def test_the_filler_clause_needs_its_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rules, "_FILLER_LEAD", re.compile(r"(?!)"))
    monkeypatch.setattr(rules, "_ONE_MORE", re.compile(r"(?!)"))  # round 12's "one more thing, <verb> …" too
    assert (_parse("one more thing, text Priti the address", EMPTY).title or "").startswith("one more thing")


def test_should_with_a_subject_is_not_a_reminder() -> None:
    assert _parse("should i delete task 3").title is None


# ---- past tense ----


def test_a_british_t_past_is_a_completion(monkeypatch: pytest.MonkeyPatch) -> None:
    said = rules.parse_rules("learnt the poem", CONTEXT)
    assert said.intent is Intent.COMPLETE and said.ref is not None and said.ref.words == "learnt the poem"
    monkeypatch.setattr(stems, "PAST_TENSE", stems.PAST_TENSE - {"learnt"})  # seeded: not a past form
    assert rules.parse_rules("learnt the poem", CONTEXT).intent is not Intent.COMPLETE


def test_that_one_after_all_is_the_last_task() -> None:
    said = _parse("actually, scrap that one after all")
    assert (said.intent, said.ref.pronoun) == (Intent.DELETE, True)
