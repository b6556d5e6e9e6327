"""Round 15 (a): heldout13's failures on the safety-related intents, fixed by class — a past-tense report
of doing a task whose title starts with a command verb ("removed the wasp nest last night": Remove the wasp
nest) is a completion, never that command; "the done garden ones" with words between is clear-completed;
… Each rule is removed (seeded off) in a test that then fails. The messages are this round's own
phrasings on its own titles, not heldout13's."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from todo_chatbot import chat
from todo_chatbot.nlu import phrasing, rules
from todo_chatbot.nlu.intent import ChatIntent, Intent, NLUContext

from tests.chatbot.test_no_destruction_on_a_guess import FakeBackend, converse, make_tasks

TODAY = date(2026, 11, 23)  # a Monday
TITLES = [
    "Repaint the garden fence",
    "Delete the spam folder",
    "Remove the wasp nest",
    "Cancel the gym membership",
    "Ask Priya for a lift",
    "Rebuild the shed door",
    "Clear out the loft",
    "Book the boiler service",
    "Wash the car",
    "Order new glasses",
]
DONE = [False, False, False, False, False, False, False, True, True, False]
CONTEXT = NLUContext(today=TODAY, vocabulary=frozenset(" ".join(TITLES).lower().split()))


def _ref(said: ChatIntent) -> Any:
    if said.ref is None:
        return None
    if said.ref.pronoun:
        return "it"
    return said.ref.number if said.ref.number is not None else said.ref.words


class RestoringBackend(FakeBackend):
    """The fake backend with the restore an undo of a delete needs."""

    async def restore_task(self, token: str, **task: Any) -> dict[str, Any]:
        self.tasks[task["number"]] = dict(task)
        return dict(task)


def _talk(messages: list[str], done: list[bool] | None = None) -> tuple[FakeBackend, list[str]]:
    backend = RestoringBackend(make_tasks(TITLES, done or DONE))
    return backend, converse(backend, messages)


# ---- 1: a past-tense report of a task whose title starts with a command verb ----

DID = [
    ("removed the wasp nest last night", 3),
    ("deleted the spam folder this morning", 2),
    ("rebuilt the shed door over the weekend", 6),
    ("I cancelled the gym membership yesterday", 4),
    ("we finally cleared out the loft", 7),
    ("just removed the wasp nest a couple of days ago", 3),
]


@pytest.mark.parametrize(("message", "number"), DID)
def test_a_past_command_verb_of_the_title_is_a_completion(message: str, number: int) -> None:
    said = rules.parse(message, CONTEXT)
    assert said.intent is Intent.COMPLETE and said.inferred, said
    backend, replies = _talk([message, "yes"])
    assert backend.destroyed == [("complete", number)], replies


def test_without_the_report_rule_the_task_is_deleted_or_edited(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rules, "did_the_task", lambda text, context: None)
    read = [rules.parse(m, CONTEXT).intent for m, _ in DID]
    assert Intent.DELETE in read, read
    backend, replies = _talk(["removed the wasp nest last night", "yes"])
    assert backend.destroyed == [("delete", 3)], replies


@pytest.mark.parametrize(
    ("message", "intent", "ref"),
    [
        ("deleted task 3", Intent.DELETE, 3),  # a number: the command, as before
        ("remove the wasp nest", Intent.DELETE, "wasp nest"),
        ("removed the wasp nest? no I haven't", Intent.DELETE, None),  # a negation: not a report
    ],
)
def test_not_a_report(message: str, intent: Intent, ref: Any) -> None:
    said = rules.parse(message, CONTEXT)
    assert said.intent is intent and (ref is None or _ref(said) == ref), said


def test_a_report_naming_another_task_asks() -> None:
    backend, replies = _talk(["deleted the gym membership"])
    assert not backend.destroyed and replies[0].endswith("(yes/no)"), replies


# ---- 5: the done <topic> ones ----

DONE_TOPICS = [
    "remove all the ticked off garden stuff",
    "bin the done car ones please",
    "get rid of the finished house jobs, they're cluttering things up",
    "clear away the completed loft and shed bits",
    "delete the sorted boiler things",
]


@pytest.mark.parametrize("message", DONE_TOPICS)
def test_the_done_topic_ones_are_a_clear(message: str) -> None:
    assert rules.parse(message, CONTEXT).intent is Intent.CLEAR_COMPLETED


def test_the_done_topic_ones_ask_naming_how_many(monkeypatch: pytest.MonkeyPatch) -> None:
    backend, replies = _talk(["remove all the ticked off garden stuff", "yes"])
    assert "your 2 completed tasks" in replies[0], replies
    assert backend.destroyed == [("clear", 8), ("clear", 9)], replies
    seeded = rules.DONE_ONES.pattern.replace(rules.DONE_TOPIC, "")
    monkeypatch.setattr(rules, "DONE_ONES", rules.re.compile(seeded))
    read = [rules.parse(m, CONTEXT).intent for m in DONE_TOPICS]
    assert Intent.DELETE in read, read


# ---- 6: undo wordings; "don't delete it" only right after the delete ----

UNDO_WORDS = [
    ("my mistake, change it back", phrasing.UNDO_LEADS),
    ("my mistake, put that back", phrasing.UNDO_LEADS),
    ("hang on, I need that one, don't delete it!", phrasing.UNDO_LEADS),
    ("wait, we still need it, don't remove it", phrasing.UNDO_LEADS),
    ("can you rewind whatever I last did", phrasing.UNDO_REWIND),
    ("roll back what I just did", phrasing.UNDO_REWIND),
    ("rewind the last change please", phrasing.UNDO_REWIND),
    ("hmm, restore the priority it had before", phrasing.UNDO_REWIND),
    ("put back the old due date", phrasing.UNDO_REWIND),
    ("reset the deadline to what it was before", phrasing.UNDO_REWIND),
]


@pytest.mark.parametrize(("message", "part"), UNDO_WORDS)
def test_undo_wordings(message: str, part: str, monkeypatch: pytest.MonkeyPatch) -> None:
    assert rules.parse(message, CONTEXT).intent is Intent.UNDO
    monkeypatch.setattr(phrasing, "UNDO", rules.re.compile(phrasing.UNDO.pattern.replace(part, "")))
    assert rules.parse_rules(message, CONTEXT).intent is not Intent.UNDO


@pytest.mark.parametrize("message", ["reset the priority", "restore task 3", "what was the date before"])
def test_not_an_undo(message: str) -> None:
    assert rules.parse_rules(message, CONTEXT).intent is not Intent.UNDO


def test_a_change_taken_back_at_once() -> None:
    backend, replies = _talk(["mark 7 as done", "my mistake, change it back"])
    assert not backend.tasks[7]["completed"] and replies[1].startswith("Undone"), replies
    backend, replies = _talk(["set task 1 to high priority", "hmm, restore the priority it had before"])
    assert backend.tasks[1]["priority"] == "medium" and replies[1].startswith("Undone"), replies


def test_i_still_need_it_is_no_take_back(monkeypatch: pytest.MonkeyPatch) -> None:
    message = "wait, we still need it, don't remove it"
    backend, replies = _talk(["delete task 3", message])
    assert 3 in backend.tasks and replies[1].startswith("Undone"), replies
    monkeypatch.setattr(rules, "STILL_NEED_IT", rules.re.compile("(?!)"))
    assert rules.parse(message, CONTEXT).intent is not Intent.UNDO


def test_dont_delete_it_undoes_only_the_delete_just_made(monkeypatch: pytest.MonkeyPatch) -> None:
    backend, replies = _talk(["delete task 3", "hang on, I need that one, don't delete it!"])
    assert 3 in backend.tasks, replies
    for between in (["show my tasks"], ["add buy stamps"], ["how many tasks have i got", "thanks"]):
        backend, replies = _talk(["delete task 3", *between, "don't delete it!"])
        assert 3 not in backend.tasks and "nothing has changed" in replies[-1], replies
    backend, replies = _talk(["delete task 3", "show my tasks", "undo"])
    assert 3 in backend.tasks, replies  # a plain undo still reverts the last change
    monkeypatch.setattr(chat, "aged", lambda state, before: None)
    backend, replies = _talk(["delete task 3", "show my tasks", "don't delete it!"])
    assert 3 in backend.tasks, replies


# ---- 2: a numbered task said done without a verb, or ticked off; an answer that completes an asking ----

NUMBERED = [
    ("7's done, tick it off", 7),
    ("3's done, cross it off", 3),
    ("task 6 done, found a door at the tip", 6),
    ("task 3 done, the council came", 3),
    ("4 done, tick it", 4),
    ("item 10 finished, they arrived today", 10),
]


@pytest.mark.parametrize(("message", "number"), NUMBERED)
def test_a_number_said_done_acts_at_once(message: str, number: int, monkeypatch: pytest.MonkeyPatch) -> None:
    backend, replies = _talk([message])
    assert backend.destroyed == [("complete", number)], replies
    monkeypatch.setattr(
        rules,
        "NUMBERED_DONE",
        rules.re.compile(
            rules.NUMBERED_DONE.pattern.replace(
                rules.NUMBER_SAID, "(?:task|number|no\\.?|item|#)\\s*#?"
            ).replace(rules.NUMBERED_VERB, " (?:is|'s|was|has been|is now|now|got|are)")
        ),
    )
    backend, replies = _talk([message])
    assert not backend.destroyed, replies


@pytest.mark.parametrize(
    "message", ["task 4 done?", "task 4 done, right", "task 4 done but not the paperwork", "4 done, 6 to go"]
)
def test_a_number_said_done_but_asked_or_taken_back_does_not_act(message: str) -> None:
    backend, replies = _talk([message])
    assert not backend.destroyed, replies


SAID_YES = [
    "priya said yes to giving me a lift",
    "priya agreed to give me a lift",
    "priya's confirmed",
    "my priya has said yes",
]


@pytest.mark.parametrize("message", SAID_YES)
def test_an_answer_completes_the_asking_after_a_yes(message: str, monkeypatch: pytest.MonkeyPatch) -> None:
    backend, replies = _talk([message])
    assert not backend.destroyed and "#5 Ask Priya" in replies[0] and replies[0].endswith("(yes/no)"), replies
    backend, replies = _talk([message, "yes"])
    assert backend.destroyed == [("complete", 5)], replies
    monkeypatch.setattr(rules, "said_yes", lambda text, context: None)
    assert rules.parse_rules(message, CONTEXT).guessed != rules.SAID_YES_GUESS


@pytest.mark.parametrize(
    "message", ["priya said no", "priya said yes but not till march", "priya hasn't agreed"]
)
def test_no_answer_completes_nothing(message: str) -> None:
    backend, replies = _talk([message, "yes"])
    assert not backend.destroyed, replies


# ---- 3: a done task back on the list, with a reason after it ----

REOPENS = [
    ("I spoke too soon about the boiler service, the engineer never came", 8),
    ("spoke too soon on washing the car, it rained", 9),
    ("oh I was too quick ticking off the boiler service", 8),
    ("put the boiler service back on the list, the engineer cancelled", 8),
    ("pop washing the car back on my to-do list please, the birds got it", 9),
    ("stick 9 back on the list - muddy again", 9),
]


@pytest.mark.parametrize(("message", "number"), REOPENS)
def test_spoke_too_soon_reopens(message: str, number: int, monkeypatch: pytest.MonkeyPatch) -> None:
    backend, replies = _talk([message])
    assert not backend.tasks[number]["completed"] and len(backend.tasks) == 10, replies
    monkeypatch.setattr(rules, "SPOKE_TOO_SOON", rules.re.compile("(?!)"))
    backend, replies = _talk([message])
    assert backend.tasks[number]["completed"] or len(backend.tasks) > 10, replies


def test_put_a_new_thing_back_on_the_list_is_an_add() -> None:
    assert rules.parse("put milk back on the list, we ran out", CONTEXT).intent is Intent.ADD
