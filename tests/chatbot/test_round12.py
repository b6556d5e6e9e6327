"""Round 12 (README, "Accuracy, round 12"): the failure classes read in development batch r12d and in the
held-out sets scored at the end of earlier rounds (heldout10 is unsealed since this round) — date edits said
with any verb of moving or waiting, "<month> the <nth>", a priority knocked down or up, reopen after "too
early" / "but I hadn't" / "take the tick off", a delete verb whose object is a part of the task (its date, its
priority) or that moves it to a date, several clauses, and the destructive guesses of the classifier (a
completion or a delete read where the rules read a reopen or an edit, or where the message moves the task to
a date or takes the completion back). Each rule is removed (seeded off) in a test that then fails. The
messages are development phrasings, not held-out ones."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from todo_chatbot.nlu import arbiter, dates, phrasing, rules
from todo_chatbot.nlu.intent import ChatIntent, Intent, NLUContext

TODAY = date(2026, 11, 23)  # a Monday
TITLES = [
    "Coil the ropes",
    "Pay the marina fees",
    "Plan the Wye trip",
    "Ask Jo about the juniper",
    "Find a stool",
]
CONTEXT = NLUContext(today=TODAY, vocabulary=frozenset(" ".join(TITLES).lower().split()))


def _parse(message: str, context: NLUContext = CONTEXT) -> Any:
    return rules.parse(message, context)


def _said(message: str, rules_only: bool = False) -> tuple[Any, ...]:
    out = rules.parse_rules(message, CONTEXT) if rules_only else _parse(message)
    return out.intent, out.ref.words if out.ref else None, out.due_date, out.priority, out.clear_due_date


# ---- date edits ----

MOVED = [
    ("the Wye trip is off till the 12th", "wye trip", date(2026, 12, 12)),
    ("the marina fees can slide to the 9th", "marina fees", date(2026, 12, 9)),
    ("the stool can be left till december the 10th", "stool", date(2026, 12, 10)),
    ("the ropes got pushed to friday", "ropes", date(2026, 11, 27)),
    ("the marina fees deadline is the 28th", "marina fees", date(2026, 11, 28)),
    ("get the marina fees done by the 5th", "marina fees", date(2026, 12, 5)),
]


@pytest.mark.parametrize(("message", "ref", "due"), MOVED)
def test_a_task_moved_to_a_date_with_any_verb(message: str, ref: str, due: date) -> None:
    assert _said(message, rules_only=True)[:3] == (Intent.UPDATE, ref, due)


def test_the_moved_to_rules_are_needed(monkeypatch: pytest.MonkeyPatch) -> None:
    kept = [
        p
        for p in phrasing._DATE_EDIT
        if "|slide|slip" not in p and "(?:deadline|due date|date) (?:is" not in p
    ]
    kept = [p for p in kept if not p.startswith("^(?:get|have)")]
    monkeypatch.setattr(phrasing, "_DATE_EDIT", kept)
    for message, _, due in MOVED[:3] + MOVED[4:5]:
        assert rules.parse_rules(message, CONTEXT).due_date != due, message


def test_month_the_nth_is_a_date(monkeypatch: pytest.MonkeyPatch) -> None:
    assert dates.parse_date("december the 10th", TODAY) == date(2026, 12, 10)
    seeded = [
        (n, p if n != "month_day" else dates.re.compile(p.pattern.replace("(?:the )?", "", 1), p.flags))
        for n, p in dates._PATTERNS
    ]
    monkeypatch.setattr(dates, "_PATTERNS", seeded)
    assert dates.parse_date("december the 10th", TODAY) is None


def test_a_date_and_a_priority_in_one_move() -> None:
    said = _parse("can you move the marina fees to thursday and make it low priority")
    assert (said.intent, said.due_date, said.priority) == (Intent.UPDATE, date(2026, 11, 26), "low")


def test_get_x_done_by_a_date_is_not_a_list() -> None:
    assert _parse("get the marina fees done by the 5th").intent is Intent.UPDATE
    assert _parse("what have I got done this week").intent is Intent.LIST


# ---- priority ----


@pytest.mark.parametrize(
    ("message", "priority"),
    [("knock the marina fees down to low", "low"), ("nudge the Wye trip up to high", "high")],
)
def test_a_priority_knocked_down_or_up(message: str, priority: str) -> None:
    assert _said(message, rules_only=True)[0::3] == (Intent.UPDATE, priority)


def test_knocking_needs_its_verb(monkeypatch: pytest.MonkeyPatch) -> None:
    seeded = [(p.replace("|knock|", "|"), v) for p, v in phrasing._PRIORITY_EDIT]
    monkeypatch.setattr(phrasing, "_PRIORITY_EDIT", seeded)
    assert rules.parse_rules("knock the marina fees down to low", CONTEXT).intent is not Intent.UPDATE


# ---- a delete verb whose object is not the task ----

NOT_THE_TASK = [
    ("remove the high priority from the marina fees", "marina fees", None, "medium", False),
    ("drop the urgency on the marina fees", "marina fees", None, "medium", False),
    ("cancel the deadline on the Wye trip", "wye trip", None, None, True),
    ("scrap the friday deadline for the ropes", "ropes", None, None, True),
    ("drop the ropes to tomorrow", "ropes", date(2026, 11, 24), None, False),
    ("delete the word juniper from the Jo task", "jo", None, None, False),
]


@pytest.mark.parametrize(("message", "ref", "due", "priority", "no_date"), NOT_THE_TASK)
def test_a_delete_verb_on_a_part_of_the_task_edits_it(
    message: str, ref: str, due: date | None, priority: str | None, no_date: bool
) -> None:
    assert _said(message) == (Intent.UPDATE, ref, due, priority, no_date)


def test_parts_of_a_task_are_deleted_without_the_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    """Shown able to fail: without them every message above is a delete (of the task)."""
    monkeypatch.setattr(rules, "_not_the_task", lambda ref_text, context: None)
    monkeypatch.setattr(rules, "_DROP_VERBS", "(?:remove|clear|delete|drop|unset|take)")
    # round 14's guard over every proposer (`field_edit`) reads a field of a task the same way: off as well
    monkeypatch.setattr(rules, "field_edit", lambda message, context, intent: intent)
    seeded = [_parse(m).intent for m, *_ in NOT_THE_TASK]
    assert seeded.count(Intent.DELETE) >= 4


def test_a_plain_delete_is_still_a_delete() -> None:
    assert _said("delete the marina fees")[:2] == (Intent.DELETE, "marina fees")
    assert _said("remove the Wye trip from my list")[:2] == (Intent.DELETE, "wye trip")
    assert _said("delete the email to the harbour master")[0] is Intent.DELETE


# ---- reopen ----

REOPENED = [
    ("the ropes weren't coiled properly", "ropes coiled"),
    ("I thought I'd coiled the ropes but I hadn't", "ropes coiled"),
    ("take the tick off the ropes", "ropes"),
    ("I ticked off the ropes too early", "ropes"),
    ("the ropes are all tangled again", "ropes"),
]


@pytest.mark.parametrize(("message", "ref"), REOPENED)
def test_reopen_wordings(message: str, ref: str) -> None:
    assert _said(message, rules_only=True)[:2] == (Intent.REOPEN, ref)
    assert _said(message)[:2] == (Intent.REOPEN, ref)


def test_the_reopen_wordings_need_their_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    new = ("properly", "thought|assumed", "tick|check ?mark", "too (?:early")
    monkeypatch.setattr(phrasing, "_REOPEN", [p for p in phrasing._REOPEN if not any(n in p for n in new)])
    again = phrasing._AGAIN.pattern.replace("(?: all| really", "(?: zzz| zzz")
    monkeypatch.setattr(phrasing, "_AGAIN", phrasing.re.compile(again))
    assert [m for m, _ in REOPENED if rules.parse_rules(m, CONTEXT).intent is Intent.REOPEN] == []


# ---- destructive guesses ----


def test_a_negated_statement_is_never_a_completion(monkeypatch: pytest.MonkeyPatch) -> None:
    assert phrasing.past_statement("i thought i'd coiled the ropes but i hadn't") is None
    monkeypatch.setattr(phrasing, "NEGATION", phrasing.re.compile(r"\bzzz\b"))
    assert phrasing.past_statement("i thought i'd coiled the ropes but i hadn't") is not None


class _Sure:
    """A classifier stand-in that is sure of one intent."""

    def __init__(self, intent: str) -> None:
        self.intent = intent

    def predict(self, message: str, vocabulary: frozenset[str]) -> Any:
        return type("Said", (), {"intent": self.intent, "probability": 0.99})()


def test_a_guess_never_turns_a_reopen_or_an_edit_into_a_completion_or_a_delete() -> None:
    reopen = rules.parse_rules("take the tick off the ropes", CONTEXT)
    assert reopen.intent is Intent.REOPEN and reopen.inferred
    for guess in ("complete", "delete"):
        out = arbiter.arbitrate("take the tick off the ropes", CONTEXT, reopen, _Sure(guess))  # type: ignore[arg-type]
        assert out.intent is Intent.REOPEN


def test_the_reopen_guard_is_needed(monkeypatch: pytest.MonkeyPatch) -> None:
    """Seeded: without the round-12 guard the sure classifier makes it a completion."""
    reopen = rules.parse_rules("take the tick off the ropes", CONTEXT)
    monkeypatch.setattr(arbiter, "KEPT_FROM_DESTRUCTIVE_GUESS", ())
    out = arbiter.arbitrate("take the tick off the ropes", CONTEXT, reopen, _Sure("complete"))  # type: ignore[arg-type]
    assert out.intent is Intent.COMPLETE


def test_a_classifier_completion_that_moves_the_task_to_a_date_is_a_date_edit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    unknown = ChatIntent(intent=Intent.UNKNOWN)
    out = arbiter.arbitrate("the Wye trip is on ice till the 12th", CONTEXT, unknown, _Sure("complete"))  # type: ignore[arg-type]
    assert (out.intent, out.due_date) == (Intent.UPDATE, date(2026, 12, 12))
    monkeypatch.setattr(arbiter, "_MOVED_TO", arbiter.re.compile(r"\bzzz\b"))
    out = arbiter.arbitrate("the Wye trip is on ice till the 12th", CONTEXT, unknown, _Sure("complete"))  # type: ignore[arg-type]
    assert out.intent is Intent.COMPLETE


def test_a_classifier_completion_of_a_negated_message_is_not_taken(monkeypatch: pytest.MonkeyPatch) -> None:
    unknown = ChatIntent(intent=Intent.UNKNOWN)
    said = "the ropes never got coiled in the end"
    assert arbiter.arbitrate(said, CONTEXT, unknown, _Sure("complete")).intent is not Intent.COMPLETE  # type: ignore[arg-type]
    monkeypatch.setattr(arbiter, "NEGATION", arbiter.re.compile(r"\bzzz\b"))
    assert arbiter.arbitrate(said, CONTEXT, unknown, _Sure("complete")).intent is Intent.COMPLETE  # type: ignore[arg-type]


# ---- several clauses ----


def test_the_last_clause_moves_the_task_to_its_own_date(monkeypatch: pytest.MonkeyPatch) -> None:
    said = "Jo isn't around till next month, push the juniper question to december 14th"
    assert _said(said)[:3] == (Intent.UPDATE, "juniper question", date(2026, 12, 14))
    monkeypatch.setattr(rules, "_one_clause", lambda message, context: None)
    assert rules.parse_rules(said, CONTEXT).intent is Intent.UNKNOWN


def test_the_classifiers_date_edit_takes_the_date_of_the_last_clause(monkeypatch: pytest.MonkeyPatch) -> None:
    unknown = ChatIntent(intent=Intent.UNKNOWN)
    said = "Jo is away till next month, the juniper question for december 14th"
    assert arbiter.arbitrate(said, CONTEXT, unknown, _Sure("update")).due_date == date(2026, 12, 14)  # type: ignore[arg-type]
    monkeypatch.setattr(arbiter, "_CLAUSES", arbiter.re.compile(r"zzz"))
    assert arbiter.arbitrate(said, CONTEXT, unknown, _Sure("update")).due_date == date(2026, 12, 1)  # type: ignore[arg-type]


def test_a_statement_first_and_a_reason_after() -> None:
    assert _said("stool's sorted - found one at a car boot")[:2] == (Intent.COMPLETE, "stool sorted")


def test_a_reason_before_so_is_not_part_of_the_reference(monkeypatch: pytest.MonkeyPatch) -> None:
    said = "the weather is awful, so the juniper question can wait till friday"
    assert _said(said)[:2] == (Intent.UPDATE, "juniper question")
    monkeypatch.setattr(phrasing, "_REASON_FIRST", phrasing.re.compile(r"zzz"))
    assert _said(said)[1] != "juniper question"


# ---- the second batch: classes read in the unsealed held-out sets ----

GILD = NLUContext(
    today=TODAY,
    vocabulary=frozenset(
        "rule the vellum guidelines gild the uncial alphabet splice the tenor sally".split()
    ),
)


@pytest.mark.parametrize(
    "message",
    [
        "the vellum's not that urgent, drop it to medium",
        "drop the vellum to medium",
        "delete the vellum to medium",
    ],
)
def test_a_priority_after_a_delete_verb_is_an_edit(message: str) -> None:
    """heldout10's destructive action on a wrong guess (main's parser before round 11): read as a delete."""
    said = rules.parse(message, GILD)
    assert (said.intent, said.priority) == (Intent.UPDATE, "medium")


def test_a_priority_after_a_delete_verb_needs_its_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rules, "_TO_A_PRIORITY", rules.re.compile(r"zzz"))
    assert rules.parse_rules("delete the vellum to medium", GILD).intent is Intent.DELETE


def test_a_classifier_delete_with_a_priority_is_an_edit(monkeypatch: pytest.MonkeyPatch) -> None:
    unknown = ChatIntent(intent=Intent.UNKNOWN)
    said = "the vellum, meh, to medium"
    assert arbiter.arbitrate(said, GILD, unknown, _Sure("delete")).priority == "medium"  # type: ignore[arg-type]
    monkeypatch.setattr(arbiter, "_TO_PRIORITY", arbiter.re.compile(r"zzz"))
    assert arbiter.arbitrate(said, GILD, unknown, _Sure("delete")).intent is Intent.DELETE  # type: ignore[arg-type]


def test_not_done_at_the_end_reopens_and_never_completes(monkeypatch: pytest.MonkeyPatch) -> None:
    said = rules.parse_rules("actually it still needs another coat, it's not done", GILD)
    assert (said.intent, said.ref.pronoun if said.ref else None) == (Intent.REOPEN, True)
    said = rules.parse_rules("unmark the gilding, it's not finished", GILD)
    assert (said.intent, said.ref.words if said.ref else None) == (Intent.REOPEN, "gilding")
    monkeypatch.setattr(rules, "_STILL_NOT_DONE", rules.re.compile(r"zzz"))
    monkeypatch.setattr(rules, "NOT_DONE_END", rules.re.compile(r"zzz"))
    # round 13's guard (a completion taken back is never completed) would also stop it: seeded off too
    monkeypatch.setattr(rules, "taken_back", lambda message, context, intent: intent)
    assert (
        rules.parse_rules("actually it still needs another coat, it's not done", GILD).intent
        is Intent.COMPLETE
    )


def test_the_reference_before_a_new_clause(monkeypatch: pytest.MonkeyPatch) -> None:
    said = rules.parse_rules("no need for the sally one anymore, get rid of it", GILD)
    assert (said.intent, said.ref.words if said.ref else None) == (Intent.DELETE, "sally")
    said = rules.parse_rules("the belfry's dusty again, reopen it", CONTEXT.model_copy(
        update={"vocabulary": frozenset({"sweep", "out", "the", "belfry"})}))  # fmt: skip
    assert (said.intent, said.ref.words if said.ref else None) == (Intent.REOPEN, "belfry")


def test_one_more_task_after_oh_and(monkeypatch: pytest.MonkeyPatch) -> None:
    for message, title in [
        ("oh and renew my archery GB membership", "renew my archery GB membership"),
        ("oh also buy a pot of gesso", "buy a pot of gesso"),
    ]:
        said = rules.parse(message, GILD)
        assert (said.intent, said.title) == (Intent.ADD, title)
    assert rules.parse("oh and I paid the rent", GILD).intent is not Intent.ADD
    monkeypatch.setattr(rules, "_ONE_MORE", rules.re.compile(r"zzz"))
    assert rules.parse_rules("oh also buy a pot of gesso", GILD).intent is not Intent.ADD


def test_counting_something_that_is_not_a_task(monkeypatch: pytest.MonkeyPatch) -> None:
    assert rules.parse_rules("how many calories are in a banana", GILD).intent is Intent.UNKNOWN
    assert rules.parse_rules("how many am I behind on", GILD).intent is Intent.COUNT
    assert rules.parse_rules("how many errands are left", GILD).intent is Intent.COUNT
    monkeypatch.setattr(rules, "_counts_the_world", lambda text, context: False)
    assert rules.parse_rules("how many calories are in a banana", GILD).intent is Intent.COUNT


@pytest.mark.parametrize(
    ("message", "intent"),
    [
        ("yo bot whats up", Intent.GREETING),
        ("what's my grand total of tasks", Intent.COUNT),
        ("how big is my list", Intent.COUNT),
        ("ok that's done actually", Intent.COMPLETE),
        ("set task 3 back to not done, i was wrong", Intent.REOPEN),
    ],
)
def test_short_everyday_wordings(message: str, intent: Intent) -> None:
    assert rules.parse_rules(message, GILD).intent is intent


def test_a_date_value_ending_in_instead() -> None:
    said = rules.parse_rules("change task 4's due date to tomorrow instead", GILD)
    assert (said.intent, said.due_date, said.problem) == (Intent.UPDATE, date(2026, 11, 24), None)


def test_done_and_dusted_names_the_task_exactly() -> None:
    said = rules.parse_rules("the vellum guidelines are done and dusted", GILD)
    assert (said.intent, said.ref.words if said.ref else None) == (Intent.COMPLETE, "vellum guidelines")


def test_kind_words_and_the_tail_of_a_compound_in_references() -> None:
    from todo_chatbot.resolve import match_title

    tasks: list[Any] = [{"number": 1, "title": "Replace the dovetail clamp", "completed": False},
                        {"number": 2, "title": "Inspect the beehives", "completed": False}]  # fmt: skip
    assert [t["number"] for t in match_title("teh clamp job", tasks)[0]] == [1]
    assert [t["number"] for t in match_title("hive inspection", tasks)[0]] == [2]


@pytest.mark.parametrize(
    ("message", "number"),
    [("task 6 isn't finished, reopen it", 6), ("number 3 isn't done yet, reopen it", 3)],
)
def test_a_numbered_task_before_reopen_it(message: str, number: int) -> None:
    """A regression of the first round-12 run (heldout8, heldout9): "it" had become the last turn's task."""
    said = rules.parse_rules(message, GILD)
    assert (said.intent, said.ref.number if said.ref else None) == (Intent.REOPEN, number)


def test_undo_that_with_a_reason_is_not_a_reopen_of_that() -> None:
    """A regression of the first round-12 run (heldout9): the reference cut at the comma left "that"."""
    said = rules.parse_rules("undo that, i marked the wrong task", GILD)
    assert not (said.intent is Intent.REOPEN and said.ref is not None and said.ref.pronoun)
