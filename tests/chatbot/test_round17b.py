"""Round 17 (b): heldout15's and heldout16's failures on add, update, list, greeting and delete, and the two
classes round 16 left ("don't add that" added a task; "the kettle might break, but delete it" deleted at
once), fixed by class. The weak spot: statements and chatty clauses around an otherwise clear request. Each
rule is removed (seeded off) in a test that then fails. The messages are this round's own phrasings on its own
titles, not the held-out sets'."""

from __future__ import annotations

import re
import time
from datetime import UTC, date, datetime
from typing import Any

import pytest
from todo_chatbot import chat
from todo_chatbot.nlu import arbiter, phrasing, rules
from todo_chatbot.nlu.intent import Intent, NLUContext

from tests.chatbot.test_no_destruction_on_a_guess import (
    RestoringBackend,
    SureClassifier,
    check_asks_then_only_yes_acts,
    converse,
    make_tasks,
)

TODAY = date(2026, 11, 23)  # a Monday
NOON = datetime(2026, 11, 23, 12, tzinfo=UTC)
TITLES = [
    "Prune the apple trees",  # 1 due thursday, high
    "Order seed potatoes",  # 2 due saturday
    "Fix the shed roof",  # 3 done
    "Collect the compost bags",  # 4 overdue
    "Sow the broad beans",  # 5 low
    "Service the bike",  # 6 due next tuesday
    "Ring the council about the water trough",  # 7
    "Pay the plot rent",  # 8 done
]
DONE = [False, False, True, False, False, False, False, True]
PRIORITY = ["high", "medium", "medium", "medium", "low", "medium", "medium", "medium"]
DUE = ["2026-11-26", "2026-11-28", None, "2026-11-18", None, "2026-12-01", None, None]
CONTEXT = NLUContext(today=TODAY, vocabulary=frozenset(" ".join(TITLES).lower().split()))


def _tasks() -> dict[int, dict[str, Any]]:
    tasks = make_tasks(TITLES, DONE)
    for n, task in tasks.items():
        task["priority"], task["due_date"] = PRIORITY[n - 1], DUE[n - 1]
    return tasks


def _talk(messages: list[str]) -> tuple[RestoringBackend, list[str]]:
    """The conversation on Monday 2026-11-23 (the client's time), as the realistic cases."""
    backend = RestoringBackend(_tasks())
    return backend, converse(backend, messages, NOON)


def _added(backend: RestoringBackend) -> list[dict[str, Any]]:
    return [t for n, t in sorted(backend.tasks.items()) if n > len(TITLES)]


# ---- 1: "note down X" is an add of X, not of "down X" ----

NOTE_DOWN = [
    (
        "could you note down write a thank you letter to the committee",
        "write a thank you letter to the committee",
    ),
    ("can you note down order more twine", "order more twine"),
    ("note down pick up the seed catalogue", "pick up the seed catalogue"),
    ("pls note down ask the neighbours about the hosepipe", "ask the neighbours about the hosepipe"),
]


@pytest.mark.parametrize(("message", "title"), NOTE_DOWN)
def test_note_down_is_an_add_of_what_follows(message: str, title: str) -> None:
    intent = rules.parse(message, CONTEXT)
    assert intent.intent is Intent.ADD and intent.title == title, intent


def test_without_the_lookahead_note_down_is_remind_me_to_down(monkeypatch: pytest.MonkeyPatch) -> None:
    old = [(re.compile(p.pattern.replace(r"note(?! down\b)", "note")), r) for p, r in phrasing.REWRITES]
    monkeypatch.setattr(phrasing, "REWRITES", old)
    assert phrasing.rewrite("note down order more twine") == "remind me to down order more twine"
    titles = [rules.parse_rules(m, CONTEXT).title for m, _ in NOTE_DOWN]
    assert all(t and t.startswith("down ") for t in titles), titles


# ---- 2: a reason after an added task's date is no part of its title ----

ADD_THEN_REASON = [
    (
        "remind me to buy slug pellets on saturday, we've got an invasion",
        "buy slug pellets",
        date(2026, 11, 28),
    ),
    ("add ring the vet tomorrow, the dog's off his food", "ring the vet", date(2026, 11, 24)),
    (
        "remind me to water the seedlings on thursday, it's meant to be hot",
        "water the seedlings",
        date(2026, 11, 26),
    ),
    ("remind me to call the plumber tomorrow, because the tap drips", "call the plumber", date(2026, 11, 24)),
    ("add order more netting, there's a hole in the old one", "order more netting", None),
    ("add buy fleece, i'm worried about the frost", "buy fleece", None),
    (
        "remind me to renew the plot insurance on the 30th, it runs out then",
        "renew the plot insurance",
        date(2026, 11, 30),
    ),
    (
        "can you add ring the seed merchant tomorrow? they left a message",
        "ring the seed merchant",
        date(2026, 11, 24),
    ),
]
# without a date: a dash, a "because"/"as" with no comma, a stock phrase (round 17's wider afterthought)
REASON_NO_DATE = [
    ("add buy a new hose - the old one's split", "buy a new hose"),
    ("add order bonemeal as we're running low", "order bonemeal"),
    ("add get more canes, running low", "get more canes"),
    ("remind me to email Priya - Sam's been asking about the rota", "email Priya"),
    ("add top up the water butt because it hasn't rained", "top up the water butt"),
]
ROUND16_AFTERTHOUGHT = re.compile(
    r",\s*(?:she|he|they|we|you|the kids|mum|mom|dad)(?:'s|'re|'ve|'ll|'d| is| are| was| were| has| have"
    r"| had| will| won'?t| can'?t| isn'?t| aren'?t| hasn'?t| haven'?t| keeps| needs| wants| said| asked"
    r"| told| reckons)\b.*$"
    r"|,\s*(?:though|tho|anyway|anyways|mind you|mind|i guess|i suppose|i reckon|i think)$"
    r"|\s+(?:too|as well|also)$",
    re.IGNORECASE,
)


@pytest.mark.parametrize(("message", "title"), REASON_NO_DATE)
def test_a_reason_after_a_dash_or_because_is_not_the_title(message: str, title: str) -> None:
    intent = rules.parse(message, CONTEXT)
    assert intent.intent is Intent.ADD and intent.title == title, intent


def test_with_round_16s_afterthoughts_the_reasons_stay(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rules, "_TITLE_AFTERTHOUGHT", ROUND16_AFTERTHOUGHT)
    kept = [m for m, title in REASON_NO_DATE if rules.parse(m, CONTEXT).title != title]
    assert len(kept) >= 4, kept


@pytest.mark.parametrize(("message", "title", "due"), ADD_THEN_REASON)
def test_a_reason_after_the_task_is_not_its_title(message: str, title: str, due: date | None) -> None:
    intent = rules.parse(message, CONTEXT)
    assert intent.intent is Intent.ADD and intent.title == title and intent.due_date == due, intent


def test_without_the_kept_comma_the_reason_after_a_date_stays(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rules, "KEEP_CLAUSE_BREAK", False)
    titles = [rules.parse(m, CONTEXT).title or "" for m, _, due in ADD_THEN_REASON if due is not None]
    kept = [t for t in titles if len(t.split()) > 4]  # "buy slug pellets we've got an invasion"
    assert len(kept) >= 5, titles  # "… tomorrow, because …" is cut at "because" anyway


def test_a_comma_inside_a_title_with_a_date_still_goes() -> None:
    # no reason after the date: the title reads as before (the comma went with the date)
    intent = rules.parse("add pick up the cake on saturday, the chocolate one", CONTEXT)
    assert intent.title == "pick up the cake the chocolate", intent


# ---- 3: "make X a day earlier": an edit verb with a said direction ----

MAKE_SHIFT = [
    ("make pruning the apple trees a day later", 1, "2026-11-27"),
    ("make servicing the bike two days earlier", 6, "2026-11-29"),
    ("make the seed potato order a week later", 2, "2026-12-05"),
    ("can you make the bike service a day sooner", 6, "2026-11-30"),
]


@pytest.mark.parametrize(("message", "number", "due"), MAKE_SHIFT)
def test_make_x_a_day_earlier_moves_it(message: str, number: int, due: str) -> None:
    backend, replies = _talk([message])
    assert backend.tasks[number]["due_date"] == due, replies


def test_without_the_make_shift_it_is_not_understood(monkeypatch: pytest.MonkeyPatch) -> None:
    shifts = [p for p in phrasing._SHIFT if not p.pattern.startswith("^(?:make|have")]
    assert len(shifts) == len(phrasing._SHIFT) - 1
    monkeypatch.setattr(phrasing, "_SHIFT", shifts)
    for message, number, _ in MAKE_SHIFT:
        backend, replies = _talk([message])
        assert backend.tasks[number]["due_date"] == DUE[number - 1], replies


# ---- 4: "X isn't a rush, low priority is fine": the urgency taken away in other words ----

NO_RUSH = [
    ("the apple trees aren't a rush, medium is fine", 1, "medium"),
    ("the council call is no rush, low will do", 7, "low"),
    ("the bike service isn't in a hurry, low priority's fine", 6, "low"),
    ("the seed potatoes can wait, low is fine", 2, "low"),
    ("the council call isn't a rush", 7, "low"),  # one step down from medium
    ("the apple trees are no rush", 1, "low"),  # like "there's no rush on the apple trees"
    ("the bike service isn't a rush, it can wait", 6, "low"),
]


@pytest.mark.parametrize(("message", "number", "priority"), NO_RUSH)
def test_no_rush_lowers_the_priority(message: str, number: int, priority: str) -> None:
    backend, replies = _talk([message])
    assert backend.tasks[number]["priority"] == priority, replies


def test_without_the_rush_wordings_the_task_is_not_found(monkeypatch: pytest.MonkeyPatch) -> None:
    old = [
        (p.replace(phrasing._A_RUSH, "").replace(phrasing._NO_RUSH, ""), f)
        for p, f in phrasing._PRIORITY_EDIT
        if "no (?:rush|hurry)(?: any" not in p
    ]
    monkeypatch.setattr(phrasing, "_PRIORITY_EDIT", old)
    for message, _, _ in NO_RUSH:
        intent = rules.parse(message, CONTEXT)
        # the reference keeps the statement ("apple trees aren't a rush"), or nothing is read
        words = intent.ref.words if intent.ref is not None else None
        assert intent.intent is Intent.UNKNOWN or re.search(r"rush|hurry|wait", words or ""), intent


# ---- 5: "between now and saturday", "by thursday": a span from today, not that day alone ----

UNTIL = [
    ("what's due between now and saturday", [1, 2]),
    ("anything due by thursday?", [1]),
    ("what have i got on before next wednesday", [1, 2, 6]),
    ("show me what's due from today till sunday", [1, 2]),
    ("what's due in the next three days", [1]),
]


@pytest.mark.parametrize(("message", "numbers"), UNTIL)
def test_a_span_from_today_lists_what_falls_in_it(message: str, numbers: list[int]) -> None:
    intent = rules.parse(message, CONTEXT)
    assert intent.intent is Intent.LIST, intent
    listed = [t["number"] for t in chat.filter_tasks(list(_tasks().values()), intent.filter, TODAY)]
    assert listed == numbers, (intent, listed)


def test_a_span_is_counted_and_named() -> None:
    _, replies = _talk(["how many jobs are due between today and saturday"])
    assert "2 pending tasks due by Sat 2026-11-28" in replies[0], replies


def test_without_the_span_only_the_last_day_is_listed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rules, "UNTIL_READ", False)
    intent = rules.parse("what's due between now and saturday", CONTEXT)
    listed = [t["number"] for t in chat.filter_tasks(list(_tasks().values()), intent.filter, TODAY)]
    assert listed == [2], (intent, listed)


# ---- 6: a greeting with chat after it ----

GREETING_CHAT = [
    "afternoon from the allotment!",
    "hiya! absolutely soaked after the ride",
    "evening, long week at the plot",
    "morning all from a frosty plot",
    "hello from a very muddy towpath, knackered",
]


@pytest.mark.parametrize("message", GREETING_CHAT)
def test_a_greeting_with_chat_is_a_greeting(message: str) -> None:
    assert rules.parse(message, CONTEXT).intent is Intent.GREETING


@pytest.mark.parametrize(
    ("message", "intent"),
    [
        ("hello, what time does the tip open", Intent.UNKNOWN),  # a question about the world
        ("hiya! sowed the broad beans", Intent.COMPLETE),  # the chat names a task: the report stands
        ("morning, add buy twine", Intent.ADD),
    ],
)
def test_a_greeting_before_a_question_or_a_request_is_not_just_a_greeting(
    message: str, intent: Intent
) -> None:
    assert rules.parse(message, CONTEXT).intent is intent


def test_without_the_rule_the_chat_is_not_understood(monkeypatch: pytest.MonkeyPatch) -> None:
    # the classifier, trained on this round's development greetings, may read some itself: without it (a
    # stand-in sure of nothing) the rule is what reads them
    monkeypatch.setattr(arbiter, "load", lambda: SureClassifier("unknown"))
    assert all(rules.parse(m, CONTEXT).intent is Intent.GREETING for m in GREETING_CHAT)
    monkeypatch.setattr(rules, "GREETING_THEN_CHAT", False)
    greeted = [m for m in GREETING_CHAT if rules.parse(m, CONTEXT).intent is Intent.GREETING]
    assert not greeted, greeted


def test_a_long_greeting_chain_answers_fast() -> None:
    message = ("hello, " * 280)[:1990]
    started = time.thread_time()
    rules.parse(message, CONTEXT)
    assert time.thread_time() - started < 0.5


# ---- 7: a statement, then an explicit command on a task: the command ----

STATEMENT_THEN_COMMAND = [
    ("I left the allotment society so stop tracking the water trough", ("delete", 7)),
    ("I sold the old bike last month, so delete the bike service", ("delete", 6)),
    ("rang the council yesterday so tick off the water trough", ("complete", 7)),
    ("I handed the plot back, delete the broad beans", ("delete", 5)),
    ("I moved house in the summer so stop tracking the plot rent", ("delete", 8)),
]


@pytest.mark.parametrize(("message", "done"), STATEMENT_THEN_COMMAND)
def test_the_command_after_a_statement_is_done(message: str, done: tuple[str, int]) -> None:
    backend, replies = _talk([message])
    assert backend.destroyed == [done], replies


def test_without_the_rule_the_statement_swallows_the_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rules, "STATEMENT_THEN_COMMAND", False)
    acted = [m for m, _ in STATEMENT_THEN_COMMAND if _talk([m])[0].destroyed]
    assert not acted, acted


@pytest.mark.parametrize(
    "message",
    [
        "I gave up the plot so stop tracking it",  # "it" after a statement naming no task: never at once
        "I sold the bike so delete the bke service",  # a typo in the reference asks
        "I sold the bike, so if nobody minds delete the bike service",  # a condition asks
    ],
)
def test_a_command_after_a_statement_never_acts_on_a_guess(message: str) -> None:
    backend, replies = _talk([message])
    assert backend.destroyed == [], replies
    backend, replies = _talk([message, "no"])
    assert backend.destroyed == [], replies


# ---- 8: "don't add that" never adds; right after an add it takes that add back ----


@pytest.mark.parametrize(
    "negation",
    [
        "no, don't add that",
        "don't put that on the list",
        "actually you don't need to add that",
        "i don't want that added",
    ],
)
def test_dont_add_that_right_after_an_add_takes_it_back(negation: str) -> None:
    backend, replies = _talk(["add buy twine", negation])
    assert _added(backend) == [], replies
    assert backend.tasks.keys() == _tasks().keys(), replies


@pytest.mark.parametrize(
    "messages",
    [
        ["don't add that"],
        ["don't add buy twine"],
        ["you don't need to add order the netting"],
        ["delete the broad beans", "don't add that"],  # the last change is a delete: it stays done
        ["add buy twine", "don't add netting"],  # another task than the one just added
        ["add buy twine", "show my tasks", "don't add that"],  # not the turn just before
    ],
)
def test_a_negated_add_adds_nothing_and_undoes_nothing_else(messages: list[str]) -> None:
    backend, replies = _talk(messages)
    before = _tasks()
    added = _added(backend)
    assert all(not m.startswith("add ") or added for m in messages), replies
    assert [t["title"] for t in added] in ([], ["buy twine"]), replies
    if messages[0].startswith("delete"):
        assert 5 not in backend.tasks, replies  # not restored by the negation
    assert "nothing has changed" in replies[-1], replies
    assert all(backend.tasks[n] == before[n] for n in backend.tasks if n in before), replies


def test_dont_add_that_with_a_request_after_it_is_the_request() -> None:
    backend, replies = _talk(["don't add that, move the bike service to friday"])
    assert _added(backend) == [] and backend.tasks[6]["due_date"] == "2026-11-27", replies


NEGATED_ADDS = [
    "please don't add it",
    "you don't need to add that",
    "don't add buy twine",
    "no, don't add that",
]


@pytest.mark.parametrize("message", NEGATED_ADDS)
def test_a_negated_add_adds_nothing_whoever_proposed_an_add(
    monkeypatch: pytest.MonkeyPatch, message: str
) -> None:
    monkeypatch.setattr(arbiter, "load", lambda: SureClassifier("add"))
    backend, replies = _talk([message])
    assert _added(backend) == [], replies


def test_without_the_rule_a_negated_add_adds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(arbiter, "load", lambda: SureClassifier("add"))
    monkeypatch.setattr(rules, "NEGATED_ADD_READ", False)
    added = [m for m in NEGATED_ADDS if _added(_talk([m])[0])]
    assert added, "no negated add made a task without the rule"


# ---- 9: what may happen is a hedge: a delete or completion after it asks ----

MAY_HAPPEN = [
    ("the apple trees might recover on their own, delete the pruning", ("delete", 1)),
    ("the council may ring back, so stop tracking the water trough call", ("delete", 7)),
    ("the seed potatoes could still turn up, delete them anyway", ("delete", 2)),
    ("the bike might need a new chain, but tick off the service", ("complete", 6)),
]


@pytest.mark.parametrize(("message", "done"), MAY_HAPPEN)
def test_what_may_happen_asks_first(message: str, done: tuple[str, int]) -> None:
    check_asks_then_only_yes_acts(_talk, message, done)


def test_could_you_and_may_the_month_are_no_hedge() -> None:
    backend, replies = _talk(["could you delete the broad beans"])
    assert backend.destroyed == [("delete", 5)], replies
    assert rules.HEDGE.search("pay the may invoice") is None


def test_without_the_may_happen_words_it_deletes_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rules, "HEDGE", re.compile(rules.HEDGE.pattern.replace(rules.MAY_HAPPEN, "")))
    backend, replies = _talk([MAY_HAPPEN[0][0]])
    assert backend.destroyed == [("delete", 1)], replies


# ---- 10: chat, then a question about the tasks: the question ----

CHAT_THEN_QUESTION = [
    ("sorry to bother you, what's on tomorrow", Intent.LIST),
    ("right, I've got a spare hour, what's left?", Intent.LIST),
    ("bit of a mad week - what have i got on this week?", Intent.LIST),
    ("no rush on this, how many have i got overdue", Intent.COUNT),
]


@pytest.mark.parametrize(("message", "intent"), CHAT_THEN_QUESTION)
def test_chat_then_a_question_is_the_question(message: str, intent: Intent) -> None:
    assert rules.parse(message, CONTEXT).intent is intent


def test_a_day_said_in_the_chat_is_the_questions() -> None:
    _, replies = _talk(["saturday looks hectic, how many are due"])
    assert "1 pending task due Sat 2026-11-28" in replies[0], replies


def test_the_question_after_chat_is_answered_from_its_own_words() -> None:
    _, replies = _talk(["bit of a mad week - what have i got on this week?"])
    assert "#1 Prune the apple trees" in replies[0] and "#2 Order seed potatoes" in replies[0], replies


@pytest.mark.parametrize(
    "message", ["sowed the broad beans, what's left?", "the shed roof leaks again, how many are overdue"]
)
def test_a_report_that_names_a_task_reads_as_it_did(monkeypatch: pytest.MonkeyPatch, message: str) -> None:
    with_rule = rules.parse(message, CONTEXT)
    monkeypatch.setattr(rules, "QUESTION_AFTER_CHAT", False)
    assert rules.parse(message, CONTEXT) == with_rule


def test_without_the_rule_the_chat_is_read_as_a_task(monkeypatch: pytest.MonkeyPatch) -> None:
    # the classifier, trained on this round's development phrasings, reads some itself: without it
    monkeypatch.setattr(arbiter, "load", lambda: SureClassifier("unknown"))
    assert all(rules.parse(m, CONTEXT).intent is intent for m, intent in CHAT_THEN_QUESTION)
    monkeypatch.setattr(rules, "QUESTION_AFTER_CHAT", False)
    missed = [m for m, intent in CHAT_THEN_QUESTION if rules.parse(m, CONTEXT).intent is not intent]
    assert len(missed) >= 2, missed
