"""Round 14 (README, "Accuracy, round 14"): heldout12's three destructive actions on a wrong guess and their
classes — a destroying verb aimed at a field of a task ("kill the due date on …") edits that field and never
deletes the task; a delete, completion or clear said on a condition ("if I haven't … by thursday, just delete
it") is asked about, never done at once; "the finished ones" with a trailing clause is clear-completed (asked,
naming how many), never a delete of a task whose title says "Finish" — then heldout12's other failure classes:
the which-one question after several matches ends the reply (a typed number then acts at once, as an exact
reference), reopen, undo and chatty-add wordings, list and count filters (next week, not important), a
numbered task "is sorted", thanks with a closing remark, how-long questions about the world, "give me till
thursday" after a statement, "scrap that, …". Each rule is removed (seeded off) in a test that then fails.
The messages are development phrasings (round 14's own, on its own task titles), not held-out ones; the
Hypothesis properties for the three destructive classes are in test_no_destruction_on_a_guess.py."""

from __future__ import annotations

import asyncio
import re
from datetime import date, timedelta
from typing import Any

import pytest
from todo_chatbot import chat
from todo_chatbot.chat import ChatService
from todo_chatbot.nlu import arbiter, phrasing, rules
from todo_chatbot.nlu.intent import ChatIntent, Intent, NLUContext
from todo_chatbot.nlu.rules import RulesProvider

from tests.chatbot.test_no_destruction_on_a_guess import (
    FakeBackend,
    FakeStore,
    SureClassifier,
    converse,
    make_tasks,
)

TODAY = date(2026, 11, 23)  # a Monday
TITLES = [
    "Renew the bus pass",
    "Finish the quilt for Gran",
    "Book the piano tuner",
    "Clear the gutters",
    "Advertise the old sofa",
    "Book the piano lesson",
]
CONTEXT = NLUContext(today=TODAY, vocabulary=frozenset(" ".join(TITLES).lower().split()))


def _ref(said: ChatIntent) -> Any:
    if said.ref is None:
        return None
    if said.ref.pronoun:
        return "it"
    return said.ref.number if said.ref.number is not None else said.ref.words


def _talk(
    messages: list[str], done: list[bool] | None = None, titles: list[str] = TITLES
) -> tuple[FakeBackend, list[str]]:
    backend = FakeBackend(make_tasks(titles, done or [False, False, True, False, False, False]))
    return backend, converse(backend, messages)


# ---- 1a: a destroying verb aimed at a field of a task ----

FIELDS = [
    ("kill the deadline on the bus pass", "bus pass", "date"),
    ("nuke the piano tuner's due date", "piano tuner", "date"),
    ("scratch the urgency from the gutters", "gutters", "priority"),
    ("can you strip the priority off task 4", 4, "priority"),
    ("axe the date for the old sofa, no rush", "old sofa", "date"),
]


@pytest.mark.parametrize(("message", "ref", "field"), FIELDS)
@pytest.mark.parametrize("guess", [None, "delete", "complete"])
def test_a_destroying_verb_on_a_field_edits_the_field(
    message: str, ref: Any, field: str, guess: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    if guess is not None:
        monkeypatch.setattr(arbiter, "load", lambda: SureClassifier(guess))
    said = rules.parse(message, CONTEXT)
    assert (said.intent, _ref(said)) == (Intent.UPDATE, ref)
    assert said.clear_due_date if field == "date" else said.priority == "medium"


def test_without_the_field_guard_the_task_is_deleted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rules, "field_edit", lambda message, context, intent: intent)
    read = [rules.parse(m, CONTEXT).intent for m, _, _ in FIELDS]
    assert Intent.DELETE in read, read
    backend, replies = _talk(["kill the deadline on the bus pass", "yes"])
    assert backend.destroyed == [("delete", 1)], replies


def test_killing_a_deadline_keeps_the_task_after_a_yes() -> None:
    backend, replies = _talk(["kill the deadline on the bus pass", "yes"])
    assert not backend.destroyed and 1 in backend.tasks, replies
    assert backend.tasks[1]["due_date"] is None


# ---- 1b: a condition ----

CONDITIONS = [
    "if I haven't renewed the bus pass by friday, just delete it",
    "bin the piano lesson unless I've booked it by the 3rd",
    "once the old sofa's sold, delete it",
    "when the gutters are cleared you can tick them off",
]


@pytest.mark.parametrize("message", CONDITIONS)
def test_a_destroying_command_on_a_condition_is_asked(message: str) -> None:
    said = rules.parse(message, CONTEXT)
    assert said.intent in rules.DESTRUCTIVE and said.guessed == rules.CONDITIONAL_GUESS


@pytest.mark.parametrize(
    "message",
    ["delete the bus pass if you can", "when you get a chance, delete the old sofa", "delete task 1"],
)
def test_a_polite_if_or_when_is_no_condition(message: str) -> None:
    assert rules.parse(message, CONTEXT).guessed is None


def test_a_condition_asks_and_a_no_keeps_everything(monkeypatch: pytest.MonkeyPatch) -> None:
    message = "if I haven't renewed the bus pass by friday, just delete it"
    backend, replies = _talk([message])
    assert not backend.destroyed and replies[0].endswith("(yes/no)"), replies
    assert "condition" in replies[0]
    backend, replies = _talk([message, "no"])
    assert not backend.destroyed, replies
    monkeypatch.setattr(rules, "conditional", lambda message, context, intent: intent)
    backend, replies = _talk([message])
    assert backend.destroyed == [("delete", 1)], replies


# ---- 1c: the done ones ----


@pytest.mark.parametrize(
    "message",
    [
        "bin the finished ones please, it's getting cluttered",
        "get rid of the done ones, there are too many",
        "clear out the completed stuff now",
    ],
)
def test_the_done_ones_are_a_clear(message: str, monkeypatch: pytest.MonkeyPatch) -> None:
    assert rules.parse(message, CONTEXT).intent is Intent.CLEAR_COMPLETED
    monkeypatch.setattr(arbiter, "load", lambda: SureClassifier("delete"))
    assert rules.parse(message, CONTEXT).intent is Intent.CLEAR_COMPLETED


def test_the_done_ones_ask_naming_how_many_and_never_delete_the_finish_task(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    message = "bin the finished ones please, it's getting cluttered"
    backend, replies = _talk([message, "yes"])
    assert "your 1 completed task" in replies[0] and backend.destroyed == [("clear", 3)], replies
    monkeypatch.setattr(rules, "done_ones", lambda message, context, intent: intent)
    assert rules.parse(message, CONTEXT).intent is Intent.DELETE  # "Finish the quilt for Gran"


# ---- 2: several matches ----


def test_the_which_one_question_ends_the_reply_and_a_number_answers_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    backend, replies = _talk(["delete the piano task", "6"])
    assert replies[0].endswith("?") and "#3 Book the piano tuner" in replies[0], replies
    assert backend.destroyed == [("delete", 6)], replies  # the typed number is exact: no second question
    backend, replies = _talk(["delete the piano task", "the lesson one"])
    assert backend.destroyed == [("delete", 6)], replies
    backend, replies = _talk(["delete the piano task", "never mind"])
    assert not backend.destroyed, replies
    monkeypatch.setattr(
        chat, "WHICH_ONE", "Several tasks match. Which one should I {verb}? {listing}. Pick one."
    )
    assert not _talk(["delete the piano task"])[1][0].endswith("?")


# ---- 3: reopen wordings ----


def test_put_that_back_on_my_list_after_a_first_clause(monkeypatch: pytest.MonkeyPatch) -> None:
    said = rules.parse("the tuner cancelled, put that back on my list", CONTEXT)
    assert (said.intent, _ref(said)) == (Intent.REOPEN, "tuner")
    monkeypatch.setattr(rules, "PUT_BACK_ON", "")
    assert (
        rules.parse_rules("the tuner cancelled, put that back on my list", CONTEXT).intent
        is not Intent.REOPEN
    )


def test_thought_it_was_done_but_it_isnt(monkeypatch: pytest.MonkeyPatch) -> None:
    message = "i thought the gutters were cleared but they aren't"
    said = rules.parse(message, CONTEXT)
    assert said.intent is Intent.REOPEN and "gutters" in _ref(said)
    monkeypatch.setattr(phrasing, "_REOPEN", [p for p in phrasing._REOPEN if "was sure" not in p])
    assert rules.parse_rules(message, CONTEXT).intent is not Intent.REOPEN


def test_a_number_not_done_with_an_apology(monkeypatch: pytest.MonkeyPatch) -> None:
    said = rules.parse("3 isn't done, my bad", CONTEXT)
    assert (said.intent, _ref(said)) == (Intent.REOPEN, 3)
    monkeypatch.setattr(phrasing, "_REOPEN", [p.replace("| sorry| my bad", "") for p in phrasing._REOPEN])
    assert rules.parse_rules("3 isn't done, my bad", CONTEXT).intent is not Intent.REOPEN


def test_needs_to_go_back_up(monkeypatch: pytest.MonkeyPatch) -> None:
    said = rules.parse("the sofa advert has to go back online", CONTEXT)
    assert said.intent is Intent.REOPEN and "sofa" in _ref(said)
    monkeypatch.setattr(phrasing, "_REOPEN", [p for p in phrasing._REOPEN if "|be put|" not in p])
    assert rules.parse_rules("the sofa advert has to go back online", CONTEXT).intent is not Intent.REOPEN


# ---- 3: undo wordings ----

UNDO_SEEDS = [
    ("oh no, don't remove that!", "(?:i )?(?:don'?t|do not|dont|didn'?t mean", "(?:i )?(?:zzz|didn'?t mean"),
    (
        "bring the old title back, I liked it better",
        "(?:old |previous |original |earlier |former |last |first )?(?:date",
        "(?:date",
    ),
    (
        "scrap that last addition",
        "(?:scratch|scrap|cancel|forget|drop|bin|ditch|kill|nix|lose|delete",
        "(?:zzz",
    ),
    ("nah, revert that reopen", "|reopen|reopening", ""),
]


@pytest.mark.parametrize(("message", "old", "new"), UNDO_SEEDS)
def test_undo_wordings(message: str, old: str, new: str, monkeypatch: pytest.MonkeyPatch) -> None:
    assert rules.parse(message, CONTEXT).intent is Intent.UNDO
    assert old in phrasing.UNDO.pattern
    monkeypatch.setattr(phrasing, "UNDO", re.compile(phrasing.UNDO.pattern.replace(old, new)))
    assert rules.parse_rules(message, CONTEXT).intent is not Intent.UNDO


# ---- 3: chatty adds ----


def test_note_to_myself(monkeypatch: pytest.MonkeyPatch) -> None:
    assert (
        rules.parse("note to myself - return the library books", CONTEXT).title == "return the library books"
    )
    monkeypatch.setattr(phrasing, "REWRITES", [r for r in phrasing.REWRITES if "myself" not in r[0].pattern])
    assert (
        rules.parse("note to myself - return the library books", CONTEXT).title != "return the library books"
    )


AFTERTHOUGHTS = [
    ("I ought to visit uncle bob, he's been poorly", "visit uncle bob", None),
    ("add wash the car, low priority though", "wash the car", "low"),
    ("add price up the camping gear too", "price up the camping gear", None),
]


@pytest.mark.parametrize(("message", "title", "priority"), AFTERTHOUGHTS)
def test_an_afterthought_is_not_part_of_the_title(
    message: str, title: str, priority: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    said = rules.parse(message, CONTEXT)
    assert (said.intent, said.title, said.priority) == (Intent.ADD, title, priority)
    monkeypatch.setattr(rules, "_TITLE_AFTERTHOUGHT", re.compile("zzz"))
    # round 15b also strips a final "though" (rules.TAIL_PARTICLES): seeded off too, to show this rule's part
    monkeypatch.setattr(
        rules, "_POLITE_TAIL_SPLIT", [(w, p) for w, p in rules._POLITE_TAIL_SPLIT if w != "though"]
    )
    # the rules alone: the title tagger, retrained on round 16's development cases, trims a final "too" itself
    assert rules.parse_rules(message, CONTEXT).title != title


def test_a_new_task_then_how_much_it_matters(monkeypatch: pytest.MonkeyPatch) -> None:
    said = rules.parse("tidy the loft sometime, it's not urgent", CONTEXT)
    assert (said.intent, said.priority) == (Intent.ADD, "low") and "tidy the loft" in (said.title or "")
    said = rules.parse("the bus pass, it's not urgent", CONTEXT)  # a task of the user's: its priority
    assert (said.intent, said.priority) == (Intent.UPDATE, "low")
    monkeypatch.setattr(rules, "_new_task_then_priority", lambda message, context, priority: None)
    assert rules.parse("tidy the loft sometime, it's not urgent", CONTEXT).intent is not Intent.ADD


# ---- 3: lists and counts ----


def test_next_weeks_tasks(monkeypatch: pytest.MonkeyPatch) -> None:
    said = rules.parse("list next week's piano stuff", CONTEXT)
    assert (said.intent, said.filter.due) == (Intent.LIST, "next_week")
    backend = FakeBackend(make_tasks(TITLES, [False] * 6))
    monday = date.today() - timedelta(days=date.today().weekday())  # the engine's today is the clock's
    backend.tasks[3]["due_date"] = (monday + timedelta(days=3)).isoformat()
    backend.tasks[6]["due_date"] = (monday + timedelta(days=8)).isoformat()
    service = ChatService(backend, FakeStore(), RulesProvider())  # type: ignore[arg-type]
    result = asyncio.run(service.handle("token", "list next week's piano stuff", None, None))
    assert next(a for a in result.actions if a["type"] == "listed")["task_numbers"] == [6], result.reply
    monkeypatch.setattr(rules, "NEXT_WEEK", "zzz")
    assert rules.parse("list next week's piano stuff", CONTEXT).filter.due == "week"


@pytest.mark.parametrize("message", ["which ones aren't that urgent", "show the unimportant tasks"])
def test_not_important_is_low(message: str, monkeypatch: pytest.MonkeyPatch) -> None:
    said = rules.parse(message, CONTEXT)
    assert (said.intent, said.filter.priority) == (Intent.LIST, "low")
    monkeypatch.setattr(rules, "NOT_IMPORTANT", "zzz")
    monkeypatch.setattr(rules.re, "search", _no_un_words(rules.re.search))
    assert rules.parse(message, CONTEXT).filter.priority != "low"


def _no_un_words(search: Any) -> Any:
    def seeded(pattern: Any, text: str, *args: Any) -> Any:
        return None if pattern == r"\bun(?:important|urgent)\b" else search(pattern, text, *args)

    return seeded


def test_whats_the_total_after_a_typo_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    said = rules.parse("whats the total number of my tasks", CONTEXT)
    assert said.intent is Intent.COUNT
    monkeypatch.setattr(rules, "WHAT_TOTAL", "")
    assert rules.parse_rules("whats the total number of my tasks", CONTEXT).intent is not Intent.COUNT


def test_anything_for_a_thing_on_a_day(monkeypatch: pytest.MonkeyPatch) -> None:
    said = rules.parse("anything for the piano on friday?", CONTEXT)
    assert (said.intent, said.filter.on) == (Intent.LIST, date(2026, 11, 27))
    monkeypatch.setattr(rules, "ANYTHING_FOR", "")
    assert rules.parse_rules("anything for the piano on friday?", CONTEXT).intent is not Intent.LIST


# ---- 3: singles ----


def test_give_me_till_a_day_after_a_statement(monkeypatch: pytest.MonkeyPatch) -> None:
    message = "I haven't booked the piano tuner yet, give me till friday"
    said = rules.parse(message, CONTEXT)
    assert (said.intent, said.due_date) == (Intent.UPDATE, date(2026, 11, 27)) and "piano tuner" in _ref(said)
    said = rules.parse("i haven't renewed the bus pass, push it to the 4th", CONTEXT)
    assert (said.intent, said.due_date) == (Intent.UPDATE, date(2026, 12, 4))
    monkeypatch.setattr(phrasing, "_DATE_EDIT", [p for p in phrasing._DATE_EDIT if "give (?:me" not in p])
    assert rules.parse_rules(message, CONTEXT).intent is not Intent.UPDATE


def test_a_statement_then_a_new_date_needs_its_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rules, "_statement_then_date", lambda message, context, intent: None)
    said = rules.parse_rules("I haven't booked the piano tuner yet, give me till friday", CONTEXT)
    assert said.intent is not Intent.UPDATE


def test_scrap_that_then_a_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    said = rules.parse("bin that, my neighbour's doing the gutters", CONTEXT)
    assert (said.intent, _ref(said)) == (Intent.DELETE, "it")
    monkeypatch.setattr(rules, "_JUST_A_PRONOUN", frozenset())
    # round 16's "scratch that" reading (rules.scratch_that) also takes "that" alone; off, to test this rule
    monkeypatch.setattr(rules, "scratch_that", lambda message, intent: intent)
    assert _ref(rules.parse_rules("bin that, my neighbour's doing the gutters", CONTEXT)) != "it"


def test_a_numbered_task_is_sorted(monkeypatch: pytest.MonkeyPatch) -> None:
    message = "task 2 is sorted, Gran loved it"
    said = rules.parse(message, CONTEXT)
    assert (said.intent, _ref(said), said.guessed, said.inferred) == (Intent.COMPLETE, 2, None, False)
    assert rules.parse("task 2 is done, but not really", CONTEXT).intent is not Intent.COMPLETE
    monkeypatch.setattr(rules, "NUMBERED_DONE", re.compile("zzz"))
    said = rules.parse(message, CONTEXT)
    assert said.guessed or said.inferred or said.intent is not Intent.COMPLETE


@pytest.mark.parametrize("message", ["cheers, that's sorted", "thanks a lot - all good"])
def test_thanks_and_a_closing_remark(message: str, monkeypatch: pytest.MonkeyPatch) -> None:
    assert rules.parse(message, CONTEXT).intent is Intent.GREETING
    assert rules.parse("that's sorted", CONTEXT).intent is Intent.COMPLETE  # alone it still completes
    monkeypatch.setattr(rules, "CLOSING", re.compile("zzz"))
    assert rules.parse_rules(message, CONTEXT).intent is not Intent.GREETING


@pytest.mark.parametrize(
    "message", ["how long should i boil an egg for", "how often should i water a cactus"]
)
def test_how_long_about_the_world_is_unknown(message: str, monkeypatch: pytest.MonkeyPatch) -> None:
    assert rules.parse(message, CONTEXT).intent is Intent.UNKNOWN
    assert rules.parse("how long do you keep my tasks", CONTEXT).intent is Intent.HELP
    monkeypatch.setattr(rules, "_HOW_DO_YOU", re.compile(r"^how (?:do|does|can|would|should) (?:you|one)\b"))
    # the rule's own answer: the classifier, retrained on round 16's how-long questions, no longer says help
    assert not rules.how_to_in_the_world(message)


@pytest.mark.parametrize(
    ("message", "intent", "words"),
    [
        ("delete the old sofa if you can", Intent.DELETE, "old sofa"),
        ("mark the gutters done when you get a chance", Intent.COMPLETE, "gutters"),
    ],
)
def test_a_polite_tail_is_not_part_of_the_reference(
    message: str, intent: Intent, words: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    said = rules.parse(message, CONTEXT)
    assert (said.intent, _ref(said), said.guessed) == (intent, words, None)
    monkeypatch.setattr(
        rules,
        "_POLITE_TAIL_SPLIT",
        [s for s in rules._POLITE_TAIL_SPLIT if " ".join(s[1]) not in rules.POLITE_IF_TAIL],
    )
    assert _ref(rules.parse_rules(message, CONTEXT)) != words


# ---- 4: a negated destroying request; a destroying request framed on a future event ----

NEGATED = [
    "don't delete the bus pass one",
    "do not remove the old sofa",
    "please don't bin the piano tuner task, I still need it",
    "never clear the done ones",
    "I didn't mean delete the bus pass",
    "no need to delete the old sofa",
    "don't mark the piano lesson as done yet",
    "dont delte the bus pass",
    "you shouldn't scrap the quilt one",
    "I'm not going to remove the piano lesson, leave it",
]


@pytest.mark.parametrize("message", NEGATED)
@pytest.mark.parametrize("guess", [None, "delete", "complete"])
def test_a_negated_destroying_request_is_no_proposal(
    message: str, guess: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    if guess is not None:
        monkeypatch.setattr(arbiter, "load", lambda: SureClassifier(guess))
    assert rules.parse(message, CONTEXT).intent is Intent.CANCEL


@pytest.mark.parametrize("message", NEGATED)
def test_a_negated_destroying_request_then_yes_changes_nothing(message: str) -> None:
    backend, replies = _talk([message, "yes"])
    assert not backend.destroyed, replies
    assert replies[0] == "OK, I won't do that: nothing has changed.", replies


@pytest.mark.parametrize(
    "message",
    ["don't forget to delete the old sofa", "delete the bus pass, I don't need it", "delete task 1"],
)
def test_a_negation_elsewhere_is_no_cancel(message: str) -> None:
    assert rules.parse(message, CONTEXT).intent is not Intent.CANCEL


def test_dont_delete_that_right_after_a_delete_is_still_an_undo() -> None:
    for message in ("no wait, don't delete that!", "dont delte it"):
        said = rules.parse(message, CONTEXT.model_copy(update={"last_task_number": 1}))
        assert said.intent is Intent.UNDO or (said.intent is Intent.CANCEL and said.ref and said.ref.pronoun)
    backend = FakeBackend(make_tasks(TITLES, [False] * 6))
    restored: list[int] = []

    async def restore_task(token: str, **task: Any) -> dict[str, Any]:
        restored.append(task["number"])
        backend.tasks[task["number"]] = dict(task)
        return dict(task)

    backend.restore_task = restore_task  # type: ignore[attr-defined]
    replies = converse(backend, ["delete the old sofa", "dont delte it"])
    assert restored == [5] and 5 in backend.tasks, replies[-1]


def test_without_the_negation_guard_the_yes_deletes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rules, "negated", lambda message, context, intent: intent)
    backend, replies = _talk(["don't delete the bus pass one", "yes"])
    assert backend.destroyed == [("delete", 1)], replies


EVENTS = [
    "delete the bus pass after the appeal",
    "mark the old sofa done as soon as the refund lands",
    "bin the piano lesson once the new teacher starts",
    "remove the piano tuner till the move",
    "tick off the gutters before the landlord's visit",
    "scrap task 5 after the auction",
]


@pytest.mark.parametrize("message", EVENTS)
def test_a_destroying_request_on_a_future_event_is_asked(message: str) -> None:
    said = rules.parse(message, CONTEXT)
    assert said.intent in rules.DESTRUCTIVE and said.guessed is not None, said
    backend, replies = _talk([message])
    assert not backend.destroyed, replies
    backend, replies = _talk([message, "no"])
    assert not backend.destroyed, replies


def test_without_the_event_guard_it_is_done_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rules, "future_event", lambda message, context, intent: intent)
    backend, replies = _talk(["scrap task 5 after the auction"])
    assert backend.destroyed == [("delete", 5)], replies


EVENT_TITLES = ["Call after lunch", "Tidy before the party", "Water plants once home", "Renew the bus pass"]


@pytest.mark.parametrize(
    ("message", "number"),
    [
        ("delete call after lunch", 1),
        ("tidy before the party is done", 2),
        ("remove water plants once home", 3),
    ],
)
def test_a_title_with_after_or_before_is_still_found_at_once(message: str, number: int) -> None:
    backend = FakeBackend(make_tasks(EVENT_TITLES, [False] * 4))
    reply = converse(backend, [message])[0]
    assert backend.destroyed in ([("delete", number)], [("complete", number)]), reply


# ---- review fixes ----

# 1: the UNDO lead words ("no, ", "wait, ") each once: "no wait,? " and "no no,? " beside "no,? " made a
# failing match exponential in the number of "no"s ("no " * 30 + "zzz" took 1.4 s)
_REDOS_MESSAGES = [
    "no " * 700,
    "no wait " * 250,
    "no no " * 350,
    "no, " * 500,
    "oh no " * 330,
    "no wait, " * 222,
    "no " * 660 + "zzz",
]


@pytest.mark.parametrize("message", _REDOS_MESSAGES)
def test_review_repeated_undo_lead_words_answer_fast(message: str) -> None:
    import gc
    import time

    rules.parse("hello", CONTEXT)  # warm
    message = message[:2000]
    gc.collect()
    gc.disable()
    try:
        started = time.thread_time()
        rules.parse(message, CONTEXT)
        elapsed = time.thread_time() - started
    finally:
        gc.enable()
    assert elapsed < 0.200, f"{elapsed * 1000:.1f} ms for {message[:30]!r}"


def test_review_the_redundant_undo_lead_words_were_the_redos(monkeypatch: pytest.MonkeyPatch) -> None:
    """Seeded off: with "no wait,? " and "no no,? " back in the lead, 30 "no"s already cost over 200 ms."""
    import time

    seeded = re.compile(
        phrasing.UNDO.pattern.replace(
            "(?:oops,? |wait,? |no,? |", "(?:oops,? |wait,? |no,? |no wait,? |no no,? |"
        )
    )
    assert seeded.pattern != phrasing.UNDO.pattern
    message = "no " * 30 + "zzz"
    started = time.thread_time()
    fixed = phrasing.UNDO.fullmatch(message)
    fast = time.thread_time() - started
    started = time.thread_time()
    slow_match = seeded.fullmatch(message)
    slow = time.thread_time() - started
    assert fixed is None and slow_match is None
    assert fast < 0.050 and slow > 0.200, (fast, slow)
    for said in ("no wait, undo that", "no no, undo it", "no wait, don't delete that", "oh no, put it back"):
        assert phrasing.UNDO.fullmatch(said), said  # the same language as before


# 2: "don't delete it" undoes the last change only when that change was exactly a delete (a completion for
# "don't mark it done"); a question waiting is just declined; otherwise nothing changes
def test_review_dont_delete_it_after_an_add_keeps_the_new_task() -> None:
    backend, replies = _talk(["add buy milk", "don't delete it"])
    assert any(t["title"].lower() == "buy milk" for t in backend.tasks.values()), replies
    assert backend.destroyed == [] and "nothing has changed" in replies[-1], replies


def test_review_dont_mark_it_done_after_a_reopen_leaves_it_open() -> None:
    backend, replies = _talk(["reopen task 3", "don't mark it done"])
    assert backend.tasks[3]["completed"] is False, replies
    assert backend.destroyed == [] and "nothing has changed" in replies[-1], replies


def test_review_never_delete_it_during_a_question_only_declines() -> None:
    backend, replies = _talk(["delete task 4", "delete the bus pas", "never delete it"])
    assert "?" in replies[1], replies  # the delete of a guessed title is asked
    assert 4 not in backend.tasks and 1 in backend.tasks, replies  # #4 stays deleted, #1 is kept
    assert replies[-1] == "OK, I won't do that.", replies


def test_review_the_negated_change_just_made_is_still_undone(monkeypatch: pytest.MonkeyPatch) -> None:
    async def restore_task(self: FakeBackend, token: str, **task: Any) -> dict[str, Any]:
        self.tasks[task["number"]] = dict(task)
        return dict(task)

    monkeypatch.setattr(FakeBackend, "restore_task", restore_task, raising=False)
    backend, replies = _talk(["delete task 4", "no wait, don't delete that!"])
    assert 4 in backend.tasks, replies
    backend, replies = _talk(["complete task 1", "don't mark it done"])
    assert backend.tasks[1]["completed"] is False, replies


def test_review_seeded_off_any_change_is_undone(monkeypatch: pytest.MonkeyPatch) -> None:
    """Seeded off: read as a plain undo again, "don't delete it" after an add deletes the new task, and
    "don't mark it done" after a reopen completes it; with the kind check gone, "don't delete it" after a
    rename undoes the rename."""
    monkeypatch.setattr(chat, "negated_undo", lambda text: None)
    backend, replies = _talk(["add buy milk", "don't delete it"])
    assert not any(t["title"].lower() == "buy milk" for t in backend.tasks.values()), replies
    backend, replies = _talk(["reopen task 3", "don't mark it done"])
    assert backend.tasks[3]["completed"] is True, replies
    monkeypatch.undo()
    backend, replies = _talk(["rename task 2 to Sew the quilt", "don't delete it"])
    assert backend.tasks[2]["title"] == "Sew the quilt", replies
    monkeypatch.setattr(chat, "change_is", lambda change, guessed, tasks: True)
    backend, replies = _talk(["rename task 2 to Sew the quilt", "don't delete it"])
    assert backend.tasks[2]["title"] != "Sew the quilt", replies


# 3: a question is not a request: "task 4 is done, right?" is asked, never done at once
QUESTIONS = [
    "task 4 is done, right?",
    "task 4 is done, isn't it?",
    "task 4 is done?",
    "task 4 is done, yeah?",
]


@pytest.mark.parametrize("message", QUESTIONS)
def test_review_a_question_never_completes_at_once(message: str) -> None:
    backend, replies = _talk([message])
    assert backend.destroyed == [] and backend.tasks[4]["completed"] is False, replies
    backend, replies = _talk([message, "yes"])
    assert backend.destroyed == [("complete", 4)], replies  # a yes to the question does it


def test_review_a_request_still_completes_at_once() -> None:
    for message in ("task 4 is done", "can you mark task 4 done?"):
        backend, replies = _talk([message])
        assert backend.destroyed == [("complete", 4)], (message, replies)


def test_review_seeded_off_the_question_completes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rules, "asked_done", lambda message, context, intent: intent)
    monkeypatch.setattr(rules, "_QUESTION_END", re.compile(r"(?!)"))
    for message in QUESTIONS:
        backend, replies = _talk([message])
        assert backend.destroyed == [("complete", 4)], (message, replies)


# 4: only a negation governing the command's own clause counts; the user's reason after it does not
REASONS = [
    ("delete task 4, I'm not going to finish it", 4),
    ("delete the bus pass, I won't finish it in time", 1),
    ("delete task 4, i won't clean it", 4),
]


@pytest.mark.parametrize(("message", "number"), REASONS)
def test_review_a_reason_after_the_command_is_no_negation(message: str, number: int) -> None:
    said = rules.parse(message, CONTEXT)
    assert said.intent is Intent.DELETE, said
    backend, replies = _talk([message] if "task" in message else [message, "yes"])  # a title match is asked
    assert backend.destroyed == [("delete", number)], replies


def test_review_a_negation_of_the_command_itself_still_cancels() -> None:
    for message in (
        "i won't delete it",
        "delete task 4, I won't delete it",
        "delete task 4, i didn't mean delete it",
    ):
        assert rules.parse(message, CONTEXT).intent is Intent.CANCEL, message


def test_review_seeded_off_the_reason_is_read_as_a_negation(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rules, "_REASON_SUBJECT", re.compile(r"(?!)"))
    for message, _ in REASONS:
        assert rules.parse(message, CONTEXT).intent is Intent.CANCEL, message


# 5: the done-ones guard keeps the title exception: the user's exact title words name that task
def _talk_report(messages: list[str]) -> tuple[FakeBackend, list[str]]:
    done = [False, False, True, False, False, False, False]
    return _talk(messages, done, [*TITLES, "Completed tasks report"])


def test_review_the_completed_tasks_report_is_that_task() -> None:
    backend, replies = _talk_report(["delete the completed tasks report", "yes"])
    assert ("delete", 7) in backend.destroyed and not any(k == "clear" for k, _ in backend.destroyed), replies
    backend, replies = _talk_report(
        ["delete the completed tasks", "yes"]
    )  # no more title words: the done ones
    assert backend.destroyed == [("clear", 3)], replies


def test_review_seeded_off_the_report_clears_the_done_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rules, "_done_ones_title", lambda said, found, context: False)
    backend, replies = _talk_report(["delete the completed tasks report", "yes"])
    assert backend.destroyed == [("clear", 3)], replies
