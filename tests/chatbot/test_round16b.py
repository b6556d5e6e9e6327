"""Round 16 (b): heldout14's failures on the safety-related intents (delete, clear-completed, complete,
reopen, undo) and the classes round 15 left, fixed by class. Each rule is removed (seeded off) in a test that
then fails. The messages are this round's own phrasings on its own titles, not heldout14's."""

from __future__ import annotations

from datetime import date

import pytest
from todo_chatbot import resolve
from todo_chatbot.nlu import rules
from todo_chatbot.nlu.intent import Intent, NLUContext

from tests.chatbot.test_no_destruction_on_a_guess import (
    FakeBackend,
    RestoringBackend,
    check_asks_then_only_yes_acts,
    converse,
    make_tasks,
)
from tests.chatbot.test_no_destruction_on_a_guess import asks as _asks

TODAY = date(2026, 11, 23)  # a Monday
TITLES = [
    "Order the garden shed",  # 1
    "Ask Marta about the shed base",  # 2 (shares "shed" with 1)
    "Service the boiler",  # 3
    "Book the boiler engineer",  # 4 (shares "boiler" with 3)
    "Cancel the magazine subscription",  # 5 (title says "cancel")
    "Rebuild the garden wall",  # 6 (title says "rebuild")
    "Ask Dev for a lift to the airport",  # 7
    "Order printer ink",  # 8 done
    "Pay the window cleaner",  # 9 done
    "Wash the van",  # 10
]
DONE = [False, False, False, False, False, False, False, True, True, False]
CONTEXT = NLUContext(today=TODAY, vocabulary=frozenset(" ".join(TITLES).lower().split()))


def _talk(messages: list[str]) -> tuple[FakeBackend, list[str]]:
    backend = RestoringBackend(make_tasks(TITLES, DONE))
    return backend, converse(backend, messages)


# ---- 1: "the shed job" with two shed tasks: the which-one question, not "couldn't find" ----

KIND_OF_TASK = [
    ("delete the shed job", "2", ("delete", 2)),
    ("bin the boiler job", "3", ("delete", 3)),
    ("scrap the boiler errand", "4", ("delete", 4)),
    ("mark the shed chore as done", "1", ("complete", 1)),
]


@pytest.mark.parametrize(("message", "answer", "done"), KIND_OF_TASK)
def test_a_kind_word_over_several_matches_asks_which(
    message: str, answer: str, done: tuple[str, int]
) -> None:
    backend, replies = _talk([message])
    assert _asks(replies[0]) and "Which one" in replies[0], replies
    assert backend.destroyed == [], replies
    backend, replies = _talk([message, answer])
    assert backend.destroyed == [done], replies


def test_without_the_candidates_the_kind_word_finds_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(resolve, "KIND_OVER_SEVERAL_ASKS", False)
    _, replies = _talk(["delete the shed job"])
    assert "couldn't find" in replies[0], replies


# ---- 2: the done ones, said as a bulk wipe, with "get shot of", or with "everything" misspelt ----

CLEAR_DONE = [
    "wipe out the completed garden jobs",
    "nuke all the finished ones",
    "get shot of the done ones",
    "can you get shut of the ticked off stuff",
    "delete evreything that's finished",
    "bin anythng that is done",
]


@pytest.mark.parametrize("message", CLEAR_DONE)
def test_the_done_ones_are_cleared_after_a_yes(message: str) -> None:
    assert rules.parse(message, CONTEXT).intent is Intent.CLEAR_COMPLETED
    backend, replies = _talk([message])
    assert _asks(replies[0]) and backend.destroyed == [], replies
    backend, replies = _talk([message, "no"])
    assert backend.destroyed == [], replies
    backend, replies = _talk([message, "yes"])
    assert sorted(n for _, n in backend.destroyed) == [8, 9], replies


def test_without_the_bulk_reading_a_wipe_of_the_done_ones_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rules, "BULK_DONE_CLEARS", False)
    assert rules.parse("wipe out the completed garden jobs", CONTEXT).intent is not Intent.CLEAR_COMPLETED


def test_without_the_spelling_fix_evreything_is_a_task(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rules, "_everything_spelt", lambda said: None)
    assert rules.parse("bin anythng that is done", CONTEXT).intent is not Intent.CLEAR_COMPLETED


def test_without_the_rewrite_get_shot_of_lists(monkeypatch: pytest.MonkeyPatch) -> None:
    from todo_chatbot.nlu import phrasing

    monkeypatch.setattr(phrasing, "REWRITES", [r for r in phrasing.REWRITES if "shot" not in r[0].pattern])
    assert rules.parse("get shot of the done ones", CONTEXT).intent is not Intent.CLEAR_COMPLETED


def test_a_misspelt_everything_never_deletes_a_task() -> None:
    backend, replies = _talk(["remove evrything", "yes"])
    assert backend.destroyed == [], replies


# ---- 3: a hedged report or request asks first, even with an exact reference ----

HEDGED = [
    ("rebuilt the garden wall, I think", ("complete", 6)),
    ("cancelled the magazine subscription, or did I", ("complete", 5)),
    ("washed the van yesterday i reckon", ("complete", 10)),
    ("serviced the boiler, pretty sure", ("complete", 3)),
    ("the boiler engineer is booked, if i remember rightly", ("complete", 4)),
    ("delete task 10, I think it's a duplicate", ("delete", 10)),
]


@pytest.mark.parametrize(("message", "done"), HEDGED)
def test_a_hedge_asks_first(message: str, done: tuple[str, int]) -> None:
    check_asks_then_only_yes_acts(_talk, message, done)


def test_without_the_hedge_rule_a_hedged_report_acts_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rules, "hedged", lambda message, intent: intent)
    acted = [m for m, _ in HEDGED if not _asks(_talk([m])[1][0])]
    assert acted, "every hedged message asked without the rule"
    backend, replies = _talk(["rebuilt the garden wall, I think"])
    assert backend.destroyed == [("complete", 6)], replies


def test_an_unhedged_report_still_acts() -> None:
    backend, replies = _talk(["rebuilt the garden wall over the weekend"])
    assert backend.destroyed == [("complete", 6)], replies


# ---- 4: "X's agreed, <what X will do>" completes an "Ask X …" task, asked, never an add ----

AGREED = [
    ("dev's agreed, he can take me on saturday", 7),
    ("marta agreed, she'll look at the base next week", 2),
    ("dev said he can drive me to the airport friday", 7),
    ("marta's happy to help with it", 2),
    ("dev is fine with it, he'll be there at six", 7),
]


@pytest.mark.parametrize(("message", "number"), AGREED)
def test_an_agreement_completes_the_asking_after_a_yes(message: str, number: int) -> None:
    backend, replies = _talk([message])
    assert _asks(replies[0]) and backend.destroyed == [], replies
    assert len(backend.tasks) == len(TITLES), replies  # nothing added
    backend, replies = _talk([message, "yes"])
    assert backend.destroyed == [("complete", number)], replies


def test_without_the_standing_rule_a_classifier_sure_of_an_add_adds_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from todo_chatbot.nlu import arbiter

    from tests.chatbot.test_no_destruction_on_a_guess import SureClassifier

    monkeypatch.setattr(arbiter, "load", lambda: SureClassifier("add"))
    assert all(rules.parse(m, CONTEXT).intent is Intent.COMPLETE for m, _ in AGREED)
    monkeypatch.setattr(arbiter, "STANDING_GUESSES", set())
    read = [rules.parse(m, CONTEXT).intent for m, _ in AGREED]
    assert Intent.ADD in read, read


def test_a_refusal_is_no_agreement() -> None:
    backend, replies = _talk(["dev said he can't do it", "yes"])
    assert backend.destroyed == [], replies


# ---- 5: undo — "I didn't mean to add that, take it back"; "scratch that" right after a change ----


def test_a_regretted_add_is_undone_at_once() -> None:
    for message in (
        "i didn't mean to add that",
        "i didn't mean to add that, take it back",
        "I didn't want to add that one, undo it please",
    ):
        backend, replies = _talk(["add buy bird seed", message])
        assert 11 not in backend.tasks and backend.destroyed == [("delete", 11)], replies


def test_a_regretted_delete_said_with_bring_it_back_restores() -> None:
    backend, replies = _talk(["delete task 10", "i didn't mean to delete that, bring it back"])
    assert 10 in backend.tasks, replies
    backend, replies = _talk(["mark task 10 done", "sorry, i didn't mean to tick that, put it back please"])
    assert not backend.tasks[10]["completed"], replies


def test_without_the_repeated_undo_the_regret_is_not_read(monkeypatch: pytest.MonkeyPatch) -> None:
    import re

    from todo_chatbot.nlu import phrasing

    # round 17 (a) reads an undo clause after any reason clause (rules.undo_with_a_reason): off as well
    monkeypatch.setattr(rules, "UNDO_WITH_A_REASON", False)
    assert phrasing.UNDO.fullmatch("i didn't mean to delete that, bring it back")
    monkeypatch.setattr(phrasing, "UNDO", re.compile(phrasing.UNDO.pattern.replace(phrasing.UNDO_AGAIN, "")))
    assert not phrasing.UNDO.fullmatch("i didn't mean to delete that, bring it back")
    backend, replies = _talk(["delete task 10", "i didn't mean to delete that, bring it back"])
    assert 10 not in backend.tasks, replies


SCRATCH = [
    "scratch that",
    "scrap that, the old date was fine",
    "forget that, it was right before",
    "oh ignore that",
]


@pytest.mark.parametrize("message", SCRATCH)
def test_scratch_that_after_an_edit_undoes_it(message: str) -> None:
    backend, replies = _talk(["move task 10 to friday", message])
    assert backend.destroyed == [] and backend.tasks[10]["due_date"] is None, replies


def test_scratch_that_after_a_completion_reopens() -> None:
    backend, replies = _talk(["mark task 10 done", "scratch that"])
    assert 10 in backend.tasks and not backend.tasks[10]["completed"], replies


def test_scratch_that_after_an_add_removes_the_new_task() -> None:
    backend, replies = _talk(["add buy bird seed", "scratch that"])
    assert 11 not in backend.tasks, replies


def test_scratch_that_with_no_change_just_made_asks() -> None:
    backend, replies = _talk(["move task 10 to friday", "show my tasks", "scratch that", "no"])
    assert backend.destroyed == [], replies


def test_without_the_scratch_rule_an_edit_then_scratch_that_deletes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rules, "scratch_that", lambda message, intent: intent)
    backend, replies = _talk(["move task 10 to friday", "scratch that"])
    assert backend.destroyed == [("delete", 10)], replies


def test_without_the_chat_reading_scratch_that_only_asks(monkeypatch: pytest.MonkeyPatch) -> None:
    from todo_chatbot import chat

    monkeypatch.setattr(chat, "scratched", lambda intent, pending, change: intent)
    backend, replies = _talk(["move task 10 to friday", "scratch that"])
    assert _asks(replies[1]) and backend.tasks[10]["due_date"] is not None, replies


def test_the_standing_guesses_are_the_rules_own() -> None:
    from todo_chatbot.nlu import arbiter

    assert {rules.SAID_YES_GUESS, rules.SCRATCH_THAT_GUESS} <= arbiter.STANDING_GUESSES


# ---- 6: an explicit numbered command with the user's reason before or after it acts at once ----

NUMBERED_REASON = [
    ("tick off 3 please, the engineer came this morning", ("complete", 3)),
    ("mark 10 as done, it rained anyway", ("complete", 10)),
    ("delete 4 - it was a duplicate", ("delete", 4)),
    ("we sold the van so remove task 10", ("delete", 10)),
    ("the shed's not happening, delete task 1", ("delete", 1)),
]


@pytest.mark.parametrize(("message", "done"), NUMBERED_REASON)
def test_a_numbered_command_with_a_reason_acts_at_once(message: str, done: tuple[str, int]) -> None:
    backend, replies = _talk([message])
    assert backend.destroyed == [done], replies


@pytest.mark.parametrize(
    "message",
    [
        "delete 4, 5",
        "tick off 2, 3 and 4",
        "if it rains, delete task 3",
        "we sold it so maybe delete task 10",
    ],
)
def test_several_numbers_a_condition_or_a_hedge_never_act_at_once(message: str) -> None:
    backend, replies = _talk([message])
    assert backend.destroyed == [], replies


def test_without_the_numbered_rule_the_reason_makes_it_ask(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rules, "numbered_with_reason", lambda message, context: None)
    asked = [m for m, _ in NUMBERED_REASON if _asks(_talk([m])[1][0])]
    assert asked, "every numbered command acted without the rule"


def test_a_typo_of_number_before_a_number_asks() -> None:
    for message, done in (("mark nmber 3 as done", ("complete", 3)), ("delete nubmer 10", ("delete", 10))):
        backend, replies = _talk([message])
        assert _asks(replies[0]) and backend.destroyed == [], replies
        backend, replies = _talk([message, "yes"])
        assert backend.destroyed == [done], replies
    level = rules.parse_ref("level 8")
    assert level is not None and level.number is None


def test_without_the_number_noun_typo_it_finds_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rules, "_NUMBER_NOUNS", ())
    typed = rules.parse_ref("nmber 8")
    assert typed is None or typed.number is None


# ---- 7: "X can go" after or before the user's reason; a done task undone by someone else ----

CAN_GO = [
    ("we're keeping the old shed, so the garden shed task can go", 1),
    ("dev's driving himself, the airport one can go", 7),
    ("the van one can go, we sold it", 10),
]


@pytest.mark.parametrize(("message", "number"), CAN_GO)
def test_can_go_with_a_reason_is_a_delete_asked(message: str, number: int) -> None:
    backend, replies = _talk([message])
    assert _asks(replies[0]) and backend.destroyed == [], replies
    backend, replies = _talk([message, "yes"])
    assert backend.destroyed == [("delete", number)], replies


def test_without_the_clause_reading_the_rules_read_no_delete(monkeypatch: pytest.MonkeyPatch) -> None:
    message = "we're keeping the old shed, so the garden shed task can go"
    assert rules.parse_rules(message, CONTEXT).intent is Intent.DELETE
    monkeypatch.setattr(rules, "CAN_GO_AFTER_REASON", False)
    assert rules.parse_rules(message, CONTEXT).intent is not Intent.DELETE


UNDONE_BY_THEM = [
    ("the printer ink order was declined by the shop", 8),
    ("the window cleaner payment got refunded", 9),
    ("my printer ink order has been rejected", 8),
]


@pytest.mark.parametrize(("message", "number"), UNDONE_BY_THEM)
def test_a_done_task_undone_by_someone_else_is_reopened(message: str, number: int) -> None:
    backend, replies = _talk([message, "yes"])
    assert backend.destroyed == [] and not backend.tasks[number]["completed"], replies


def test_the_users_own_cancel_task_is_still_completed() -> None:
    backend, replies = _talk(["the magazine subscription has been cancelled", "yes"])
    assert backend.destroyed == [("complete", 5)], replies


def test_without_the_reading_the_rules_read_no_reopen(monkeypatch: pytest.MonkeyPatch) -> None:
    message = "the printer ink order was declined by the shop"
    assert rules.parse_rules(message, CONTEXT).intent is Intent.REOPEN
    monkeypatch.setattr(rules, "UNDONE_BY_THEM_READ", False)
    assert rules.parse_rules(message, CONTEXT).intent is not Intent.REOPEN


def test_cancelled_by_someone_else_reopens_when_no_title_says_cancel() -> None:
    titles = [t for t in TITLES if not t.startswith("Cancel")]
    backend = RestoringBackend(make_tasks(titles, DONE[:4] + DONE[5:]))
    replies = converse(backend, ["the printer ink order was cancelled by the shop", "yes"])
    assert not backend.tasks[7]["completed"] and backend.destroyed == [], replies
