"""Round 16 (a): heldout14's failures on add, update, list, greeting and unknown, and the classes round 15
left, fixed by class — "X isn't urgent any more" is one step down from the task's own priority; … Each rule
is removed (seeded off) in a test that then fails. The messages are this round's own phrasings on its own
titles, not heldout14's."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from todo_chatbot import chat
from todo_chatbot.nlu import phrasing, rules
from todo_chatbot.nlu.intent import Intent, NLUContext

from tests.chatbot.test_no_destruction_on_a_guess import FakeBackend, converse, make_tasks
from tests.chatbot.test_round14 import _ref

TODAY = date(2026, 11, 23)  # a Monday
NOON = datetime(2026, 11, 23, 12, tzinfo=UTC)
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
    """The conversation on Monday 2026-11-23 (the client's time), as the realistic cases."""
    backend = UpdatingBackend(_tasks())
    return backend, converse(backend, messages, NOON)


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


# ---- 2: adds after a lead-in — joined by "so"/"but", naming one of the user's tasks, or a frame first ----

LEAD_INS = [
    ("the kids are off school next week so add book a day at the zoo", "book a day at the zoo"),
    ("not sure when exactly but add look into solar panels", "look into solar panels"),
    ("the gutters got done, add pay the gutter man", "pay the gutter man"),  # names task 3
    ("since the piano tuner is coming, add move the bookcase by friday", "move the bookcase"),  # task 4
    ("the landlord never replied so add ring the letting agent", "ring the letting agent"),  # task 7
    ("we're low on teabags so could you please add buy teabags", "buy teabags"),
]


@pytest.mark.parametrize(("message", "title"), LEAD_INS)
def test_an_add_after_a_lead_in(message: str, title: str) -> None:
    said = rules.parse(message, CONTEXT)
    assert (said.intent, said.title) == (Intent.ADD, title), said
    backend, replies = _talk([message])
    assert not backend.destroyed and len(backend.tasks) == len(TITLES) + 1, replies


def test_without_the_lead_in_rules_those_are_not_these_adds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rules, "ADD_AFTER_CONJ", frozenset())
    monkeypatch.setattr(rules, "ADD_LEAD_MAY_NAME_A_TASK", False)
    read = [(rules.parse(m, CONTEXT).intent, rules.parse(m, CONTEXT).title) for m, _ in LEAD_INS]
    assert all(r != (Intent.ADD, title) for r, (_, title) in zip(read, LEAD_INS, strict=True)), read


@pytest.mark.parametrize(
    "message",
    ["delete the kettle, add buy a toaster", "cancel the magazine subscription, so add buy a paper"],
)
def test_a_lead_that_is_a_command_on_a_task_is_not_dropped_for_the_add(message: str) -> None:
    assert rules.parse(message, CONTEXT).intent is not Intent.ADD


FRAMES = [
    ("add an urgent one, renew the car insurance", "renew the car insurance", "high"),
    ("stick this on, delete the old photos from the laptop", "delete the old photos from the laptop", None),
    ("bung one on the list, defrost the freezer", "defrost the freezer", None),
    ("stick this on please, chase the roofer", "chase the roofer", None),
    ("pop a low priority one on the list - sort the sock drawer", "sort the sock drawer", "low"),
]


@pytest.mark.parametrize(("message", "title", "priority"), FRAMES)
def test_an_add_frame_then_the_title(message: str, title: str, priority: str | None) -> None:
    said = rules.parse(message, CONTEXT)
    assert (said.intent, said.title, said.priority) == (Intent.ADD, title, priority), said
    backend, replies = _talk([message])
    assert not backend.destroyed and len(backend.tasks) == len(TITLES) + 1, replies


def test_without_the_frame_the_title_keeps_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rules, "_add_frame", lambda words, context: None)
    read = [rules.parse(m, CONTEXT) for m, _, _ in FRAMES]
    # the title tagger trims some frames on its own ("add an urgent one, …"); most are left in the title
    missed = [(s.title, s.priority) != (t, p) for s, (_, t, p) in zip(read, FRAMES, strict=True)]
    assert sum(missed) >= 3, read


@pytest.mark.parametrize(
    ("message", "title", "due"),
    [
        ("gotta choose a new sofa in 3 days", "choose a new sofa", date(2026, 11, 26)),
        ("we've gotta sort out the shed by saturday", "sort out the shed", date(2026, 11, 28)),
        ("gotta ring the bank", "ring the bank", None),
    ],
)
def test_gotta_is_an_add(monkeypatch: pytest.MonkeyPatch, message: str, title: str, due: date | None) -> None:
    said = rules.parse(message, CONTEXT)
    assert (said.intent, said.title, said.due_date) == (Intent.ADD, title, due), said
    monkeypatch.setattr(rules, "GOTTA", "i gotta")  # the rules alone (the classifier guesses some of them)
    assert rules.parse_rules(message, CONTEXT).intent is not Intent.ADD


# ---- 3: a negated destroying verb, then a request of its own ----

AFTER_NEGATION = [
    ("no need to delete anything, just move the garden gate to friday", 2, {"due_date": "2026-11-27"}),
    ("don't cancel the magazine subscription, just push it to next week", 6, {"due_date": "2026-11-30"}),
    ("don't bin the kettle one, but make the piano tuner high priority", 4, {"priority": "high"}),
    ("never mind cancelling, move the magazine subscription to the 1st", 6, {"due_date": "2026-12-01"}),
]


@pytest.mark.parametrize(("message", "number", "fields"), AFTER_NEGATION)
def test_a_request_after_a_negated_destroying_verb(message: str, number: int, fields: dict[str, str]) -> None:
    backend, replies = _talk([message, "yes"])
    assert not backend.destroyed, replies
    assert {k: backend.tasks[number][k] for k in fields} == fields, replies


def test_without_it_the_negation_cancels_everything(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rules, "_request_after_negation", lambda message, context: None)
    monkeypatch.setattr(rules, "NEGATED_SUBJECT", rules.re.compile(r"^\b\B"))
    read = [rules.parse(m, CONTEXT) for m, _, _ in AFTER_NEGATION[:2]]
    assert all(s.intent is not Intent.UPDATE or s.ref is None or "cancel" in _ref(s) for s in read), read


@pytest.mark.parametrize(
    "message",
    [
        "don't cancel the magazine subscription, delete the kettle one",
        "no need to move it, just delete task 2",
    ],
)
def test_a_destroying_request_after_a_negation_is_never_read_from_it(message: str) -> None:
    backend, replies = _talk([message])
    assert not backend.destroyed, replies


# ---- 4: date edits said as statements, with a reason, or beside a priority ----

DATE_EDITS: list[tuple[str, int, dict[str, Any]]] = [
    # a date taken away, then a reason: the reason is no part of the reference
    ("scrap the deadline on the magazine subscription, i don't mind when", 6, {"due_date": None}),
    ("remove the deadline from the boat licence, it isn't going anywhere", 1, {"due_date": None}),
    # "X's due <date> now": the contraction joined to the task's last word
    ("the gate's due the 6th now", 2, {"due_date": "2026-12-06"}),
    ("kettle's due friday now", 5, {"due_date": "2026-11-27"}),
    # a new deadline someone gave, or the user has
    ("the landlord gave me till the 9th for the boiler email", 7, {"due_date": "2026-12-09"}),
    ("i've got until thursday to finish the gate repair", 2, {"due_date": "2026-11-26"}),
    # "needs doing by <date>", and with a priority after it
    ("the gutters need doing by saturday", 3, {"due_date": "2026-11-28"}),
    (
        "the kettle needs sorting by sunday, make it low as well",
        5,
        {"due_date": "2026-11-29", "priority": "low"},
    ),
]


@pytest.mark.parametrize(("message", "number", "fields"), DATE_EDITS)
def test_a_date_edit_said_as_a_statement(message: str, number: int, fields: dict[str, Any]) -> None:
    backend, replies = _talk([message, "yes"])
    assert not backend.destroyed, replies
    assert {k: backend.tasks[number][k] for k in fields} == fields, replies


def test_without_these_rules_the_dates_are_missed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rules, "CLEARED_DATE_REASON", False)
    monkeypatch.setattr(rules, "BOTH_CLAUSES_EDIT", False)
    monkeypatch.setattr(phrasing, "_DATE_EDIT", phrasing._DATE_EDIT[2:])  # the two "gave me till" patterns
    missed = {}
    for message, number, fields in DATE_EDITS:
        if "'s due" in message or "needs doing" in message or "need doing" in message:
            continue  # patterns edited in place, shown by the rules' own tests below
        if "got until" in message:
            # since both round-16 branches' development cases were merged and the models retrained, the
            # classifier's path reads "i've got until thursday to finish X" without the pattern; the pattern
            # still matters for "gave me till", below
            continue
        backend, _ = _talk([message, "yes"])
        missed[message] = {k: backend.tasks[number][k] for k in fields} != fields
    assert all(missed.values()) and len(missed) == 4, missed


@pytest.mark.parametrize(
    "message", ["who's on for sunday", "what's due friday now", "anything's due on the 6th"]
)
def test_a_question_word_is_no_task_to_move(message: str) -> None:
    said = rules.parse(message, CONTEXT)
    assert said.intent is not Intent.UPDATE, said


def test_without_the_joined_contraction_and_needs_doing_those_are_missed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    old = [
        p.replace("(?: is|'s| are)", " (?:is|'s|are)").replace("(?: is|'s)", " (?:is|'s)")
        for p in phrasing._DATE_EDIT
        if "(?:doing|sorting" not in p
    ]
    monkeypatch.setattr(phrasing, "_DATE_EDIT", old)
    for message in (
        "the gate's due the 6th now",
        "kettle's due friday now",
        "the gutters need doing by saturday",
    ):
        said = rules.parse_rules(message, CONTEXT)
        assert said.intent is not Intent.UPDATE or said.due_date is None, said


# ---- 5: "a few more days" is three ----

A_FEW = [
    ("give the boat licence a few more days", 1, "2026-11-29"),  # due 26th
    ("the piano tuner needs a few extra days", 4, "2026-12-03"),  # due 30th
    ("push the magazine subscription back a few days", 6, "2026-11-28"),  # due 25th
    ("move the boat licence a few days earlier", 1, "2026-11-23"),
]


@pytest.mark.parametrize(("message", "number", "due"), A_FEW)
def test_a_few_more_days_is_three(message: str, number: int, due: str) -> None:
    backend, replies = _talk([message])
    assert backend.tasks[number]["due_date"] == due, replies
    assert due[-2:].lstrip("0") in replies[0], replies  # the reply names the new date


def test_without_a_few_it_is_not_understood(monkeypatch: pytest.MonkeyPatch) -> None:
    import re

    n = r"(?P<n>\d{1,3}|a|an|one|two|three|four|five|six|seven|eight|nine|ten|a couple of|couple of)"
    shifts = [re.compile(p.pattern.replace(phrasing._N, n)) for p in phrasing._SHIFT]
    monkeypatch.setattr(phrasing, "_SHIFT", shifts)
    backend, replies = _talk([A_FEW[0][0]])
    assert backend.tasks[1]["due_date"] != A_FEW[0][2], replies


# ---- 6: lists of what the user said they got through; well-wishing; how-long questions about the world ----


@pytest.mark.parametrize(
    "message",
    [
        "show me the house stuff i've already got through",
        "list what we've worked through so far",
        "what have i ploughed through this week",
    ],
)
def test_got_through_said_is_done(monkeypatch: pytest.MonkeyPatch, message: str) -> None:
    said = rules.parse(message, CONTEXT)
    assert (said.intent, said.filter.status) == (Intent.LIST, "completed"), said
    monkeypatch.setattr(rules, "GOT_THROUGH_SAID", "")
    monkeypatch.setattr(
        rules, "GOT_THROUGH", r"|(?:have|did) (?:i|we) (?:\w+ )?(?:got|gotten|get|made it|worked) through"
    )
    assert rules.list_filter(message).status != "completed"


WELL_WISHES = [
    "alright? hope you're having a nice week",
    "hiya! have a lovely weekend",
    "morning, hope you had a good one",
    "cheers, enjoy the rest of your day",
    "hi bot, hope your week's been good",
]


@pytest.mark.parametrize("message", WELL_WISHES)
def test_well_wishing_is_a_greeting(message: str) -> None:
    assert rules.parse(message, CONTEXT).intent is Intent.GREETING


def test_without_the_well_wishing_they_are_not_greetings(monkeypatch: pytest.MonkeyPatch) -> None:
    greeting = rules.GREETING.pattern.replace(rules.WELL_WISHING, "")
    monkeypatch.setattr(rules, "GREETING", rules.re.compile(greeting))
    assert all(rules.parse_rules(m, CONTEXT).intent is not Intent.GREETING for m in WELL_WISHES)


WORLD = [
    "how long do tortoises live",
    "how often does a boiler need servicing",
    "how far is the nearest garden centre",
    "how old are the pyramids",
]


@pytest.mark.parametrize("message", WORLD)
def test_a_how_long_question_about_the_world_is_not_help(message: str) -> None:
    assert rules.parse(message, CONTEXT).intent is Intent.UNKNOWN
    assert rules.how_to_in_the_world(message)


@pytest.mark.parametrize(
    ("message", "intent"),
    [
        ("how many tasks are left", Intent.COUNT),
        ("how do i delete something", Intent.HELP),
    ],
)
def test_a_how_question_about_the_tasks_or_the_bot_is_not_the_world(message: str, intent: Intent) -> None:
    assert rules.parse(message, CONTEXT).intent is intent


def test_without_any_subject_the_world_questions_are_not_seen(monkeypatch: pytest.MonkeyPatch) -> None:
    how = rules._HOW_DO_YOU.pattern.replace(rules.HOW_LONG_DO_THINGS, "")
    monkeypatch.setattr(rules, "_HOW_DO_YOU", rules.re.compile(how))
    assert not any(rules.how_to_in_the_world(m) for m in WORLD)


NOT_TILL = [
    ("the piano tuner isn't happening till the 4th", 4, "2026-12-04"),
    ("the boat licence won't be getting done until next week", 1, "2026-11-30"),
    ("the magazine subscription's been moved to thursday", 6, "2026-11-26"),
    ("the piano tuner's pushed back to the 9th", 4, "2026-12-09"),
]


@pytest.mark.parametrize(("message", "number", "due"), NOT_TILL)
def test_not_happening_till_and_a_joined_been_moved(message: str, number: int, due: str) -> None:
    backend, replies = _talk([message, "yes"])
    assert not backend.destroyed and backend.tasks[number]["due_date"] == due, replies


def test_without_them_those_dates_are_missed(monkeypatch: pytest.MonkeyPatch) -> None:
    old = [
        p.replace("(?:'s been |'s | (?:", " (?:").replace(" (?:been )?)?)", " (?:been )?)?")
        for p in phrasing._DATE_EDIT
        if "going ahead|getting done" not in p
    ]
    monkeypatch.setattr(phrasing, "_DATE_EDIT", old)
    for message, _, _ in NOT_TILL[:3]:  # "…'s pushed back to the 9th" was read before (put X back to …)
        said = rules.parse_rules(message, CONTEXT)
        assert (
            said.intent is not Intent.UPDATE
            or said.due_date is None
            or said.ref is None
            or "'s" in (said.ref.words or "")
        ), said


@pytest.mark.parametrize(
    "message",
    [
        "the gutter man messed up the gutters, so I'll have to clean them again",
        "the kettle, I need to buy it again",
        "the boiler email bounced, so I have to send that again",
    ],
)
def test_after_a_lead_naming_a_task_only_an_add_said_as_such_adds(message: str) -> None:
    # "I'll have to …" is rewritten as an add elsewhere; after a lead naming the user's task it speaks of it
    assert rules.parse(message, CONTEXT).intent is not Intent.ADD


CHUCK_ON = [
    ("chuck 'renew the boat licence' on there", "renew the boat licence"),  # a title the user already has
    ("chuck sand the decking on the list for friday", "sand the decking"),
    ("can you chuck wash the windows on my list", "wash the windows"),
]


@pytest.mark.parametrize(("message", "title"), CHUCK_ON)
def test_chuck_it_on_the_list_is_an_add(message: str, title: str) -> None:
    said = rules.parse(message, CONTEXT)
    assert (said.intent, said.title) == (Intent.ADD, title), said
    backend, replies = _talk([message, "yes"])
    assert not backend.destroyed and len(backend.tasks) == len(TITLES) + 1, replies


def test_without_chuck_onto_the_list_it_is_read_as_a_delete(monkeypatch: pytest.MonkeyPatch) -> None:
    onto = phrasing._ONTO_LIST.pattern.replace(phrasing.ONTO_VERBS, "")
    monkeypatch.setattr(phrasing, "_ONTO_LIST", rules.re.compile(onto))
    assert any(rules.parse(m, CONTEXT).intent is Intent.DELETE for m, _ in CHUCK_ON)
    assert rules.parse("chuck the kettle one", CONTEXT).intent is Intent.DELETE  # no list: still a delete
