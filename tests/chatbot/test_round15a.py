"""Round 15 (a): heldout13's failures on the safety-related intents, fixed by class — a past-tense report
of doing a task whose title starts with a command verb ("removed the wasp nest last night": Remove the wasp
nest) is a completion, never that command; "the done garden ones" with words between is clear-completed;
… Each rule is removed (seeded off) in a test that then fails. The messages are this round's own
phrasings on its own titles, not heldout13's."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from todo_chatbot import chat
from todo_chatbot.nlu import phrasing, rules
from todo_chatbot.nlu.intent import ChatIntent, Intent, NLUContext

from tests.chatbot.test_no_destruction_on_a_guess import FakeBackend, RestoringBackend, converse, make_tasks
from tests.chatbot.test_no_destruction_on_a_guess import _talk as talk_guessing
from tests.chatbot.test_round14 import _ref

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


@pytest.mark.parametrize(
    ("message", "number"),
    [("removed the wasp nest last night, took ages", 3), ("rebuilt the shed door - new hinges and all", 6)],
)
def test_a_report_with_a_remark_after_it(message: str, number: int) -> None:
    backend, replies = _talk([message])
    assert backend.destroyed == [("complete", number)], replies


def test_a_finish_report_with_a_remark_is_still_the_old_completion() -> None:
    titles = ["Finish reading Middlemarch", "Remove the wasp nest"]
    backend = RestoringBackend(make_tasks(titles, [False, False]))
    replies = converse(backend, ["finished middlemarch at last, what a slog", "yes"])
    assert backend.destroyed == [("complete", 1)], replies


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
    monkeypatch.setattr(rules, "UNDO_WITH_A_REASON", False)  # round 17 (a) reads "<reason>, <undo>" too
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
    # the rule alone: a classifier that reads nothing (round 16's retrained model reads some of these as a
    # reopen by itself, which is no test of the rule)
    from todo_chatbot.nlu import arbiter

    from tests.chatbot.test_no_destruction_on_a_guess import SureClassifier

    monkeypatch.setattr(arbiter, "load", lambda: SureClassifier("unknown"))
    backend, replies = _talk([message])
    assert backend.tasks[number]["completed"] or len(backend.tasks) > 10, replies


def test_put_a_new_thing_back_on_the_list_is_an_add() -> None:
    assert rules.parse("put milk back on the list, we ran out", CONTEXT).intent is Intent.ADD


# ---- 4: delete wordings: "my task for it", "the X one can go", "I don't need the X task"; musings ----


@pytest.mark.parametrize(
    ("message", "number"),
    [
        ("my neighbour is sorting the wasps, bin my task for it", 3),
        ("the optician is posting the glasses, scrap my task for that", 10),
        ("the gym closed down - delete the reminder for it", 4),
        ("priya's driving me anyway, remove the one for that", 5),
    ],
)
def test_my_task_for_it_asks_about_the_task_named_before(
    message: str, number: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    backend, replies = _talk([message])
    assert not backend.destroyed and replies[0].endswith("(yes/no)") and f"#{number} " in replies[0], replies
    backend, replies = _talk([message, "yes"])
    assert backend.destroyed == [("delete", number)], replies
    monkeypatch.setattr(rules, "task_for_it", lambda message, context, intent: intent)
    backend, replies = _talk([message])
    assert backend.destroyed or not replies[0].endswith("(yes/no)") or f"#{number} " not in replies[0], (
        replies
    )


CAN_GO = [
    ("the wasp nest one can go", 3),
    ("the glasses one can go now", 10),
    ("that fence task can be deleted", 1),
    ("the spam folder job can come off the list", 2),
    ("task 4 can go too", 4),
]


@pytest.mark.parametrize(("message", "number"), CAN_GO)
def test_can_go_asks_to_delete(message: str, number: int, monkeypatch: pytest.MonkeyPatch) -> None:
    said = rules.parse(message, CONTEXT)
    assert said.intent is Intent.DELETE and said.guessed == rules.CAN_GO_GUESS, said
    backend, replies = _talk([message, "yes"])
    assert backend.destroyed == [("delete", number)], replies
    monkeypatch.setattr(rules, "can_go", lambda text: None)
    assert rules.parse_rules(message, CONTEXT).guessed != rules.CAN_GO_GUESS


@pytest.mark.parametrize("message", ["the car can go to the garage tomorrow", "the wasp nest one can wait"])
def test_can_go_somewhere_is_no_delete(message: str) -> None:
    assert rules.parse_rules(message, CONTEXT).intent is not Intent.DELETE


DONT_NEED = [
    ("I don't need the glasses task", 10),
    ("we don't need the gym one", 4),
    ("the car's spotless so I don't need the wash task", 9),
    ("priya's away because we don't really need that lift one", 5),
]


@pytest.mark.parametrize(("message", "number"), DONT_NEED)
def test_dont_need_the_task_is_a_delete(message: str, number: int, monkeypatch: pytest.MonkeyPatch) -> None:
    said = rules.parse_rules(message, CONTEXT)
    assert said.intent is Intent.DELETE, said
    backend, replies = _talk([message, "yes"])
    assert backend.destroyed == [("delete", number)], replies
    monkeypatch.setattr(
        phrasing, "_DELETE", [p for p in phrasing._DELETE if p != phrasing.DONT_NEED_THE_TASK]
    )
    assert rules.parse_rules(message, CONTEXT).intent is not Intent.DELETE  # seeded off: not a delete at all


MUSINGS = [
    "thinking about deleting the shed door one, we might buy a new shed",
    "I'm thinking of removing the loft task",
    "I was going to delete the gym membership task but I still use it",
    "we were gonna bin the glasses one, but no",
    "might get rid of the fence one later",
    "considering scrapping the spam folder task",
]


@pytest.mark.parametrize("message", MUSINGS)
def test_a_musing_about_deleting_asks_and_never_acts(message: str, monkeypatch: pytest.MonkeyPatch) -> None:
    said = rules.parse(message, CONTEXT)
    assert said.intent is Intent.DELETE and said.guessed == rules.MUSING_GUESS, said
    backend, replies = _talk([message, "no"])
    assert not backend.destroyed and len(backend.tasks) == 10, replies
    monkeypatch.setattr(rules, "musing", lambda message, context, intent: intent)
    assert rules.parse(message, CONTEXT).guessed != rules.MUSING_GUESS


@pytest.mark.parametrize("message", ["could you delete the fence one", "can you remove task 3"])
def test_a_polite_request_is_no_musing(message: str) -> None:
    said = rules.parse(message, CONTEXT)
    assert said.intent is Intent.DELETE and said.guessed is None, said


# ---- 7: a story about deleting is not understood ----

NARRATIONS = [
    "yesterday I almost deleted my whole list by accident haha",
    "I nearly wiped all my tasks last week lol",
    "last night I accidentally nearly cleared everything",
    "funny story, I once binned every task by mistake",
    "my son very nearly deleted the lot",
]


@pytest.mark.parametrize("message", NARRATIONS)
def test_a_story_changes_nothing(message: str, monkeypatch: pytest.MonkeyPatch) -> None:
    assert rules.parse(message, CONTEXT).intent is Intent.UNKNOWN
    backend, replies = _talk([message, "yes"])
    assert not backend.destroyed and "Your tasks" not in replies[0], replies
    monkeypatch.setattr(rules, "narrated", lambda message, context, intent: intent)
    monkeypatch.setattr(rules, "_parse_rules", lambda message, context: ChatIntent(intent=Intent.LIST))
    assert rules.parse(message, CONTEXT).intent is Intent.LIST


def test_without_the_narration_guard_a_story_is_read_as_a_list(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rules, "narrated", lambda message, context, intent: intent)
    read = [rules.parse(m, CONTEXT).intent for m in NARRATIONS]
    assert Intent.LIST in read, read


# ---- 8: an event after a day; an event swallowed into the reference ----

LATER = [
    ("delete the wasp nest after today", 3),
    ("complete the fence after tomorrow", 1),
    ("bin the spam folder from tomorrow", 2),
    ("tick off the loft after this weekend", 7),
    ("tick off the wasp nest before the landlord's visit", 3),
    ("delete the fence after the painters have been", 1),
]


@pytest.mark.parametrize(("message", "number"), LATER)
def test_a_later_day_or_event_asks_naming_the_task(message: str, number: int) -> None:
    said = rules.parse(message, CONTEXT)
    assert said.guessed == rules.CONDITIONAL_GUESS, said
    backend, replies = _talk([message])
    assert not backend.destroyed and f"#{number} " in replies[0] and replies[0].endswith("(yes/no)"), replies
    backend, replies = _talk([message, "no"])
    assert not backend.destroyed, replies


def test_without_the_day_rule_after_today_is_not_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rules, "AFTER_A_DAY", rules.re.compile("(?!)"))
    assert rules.parse("delete the wasp nest after today", CONTEXT).guessed != rules.CONDITIONAL_GUESS


def test_without_the_cut_the_event_is_part_of_the_reference(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rules, "_event_cut", lambda message, intent: intent)
    _, replies = _talk(["tick off the wasp nest before the landlord's visit"])
    assert "couldn't find" in replies[0], replies


# ---- the property: a musing, a story, a later day or a task "for it" never destroys, nor after a no ----

FRAMINGS = [
    "thinking about {ving} {ref}, not sure yet",
    "I was going to {v} {ref} but I'll keep it",
    "we might {v} {ref} later",
    "I'm considering {ving} {ref}",
    "yesterday I almost {ved} {ref} by accident",
    "I nearly {ved} {ref} last week lol",
    "{v} {ref} after today",
    "{v} {ref} from tomorrow",
    "{v} {ref} before the landlord's visit",
    "{ref} got sorted elsewhere, {v} my task for it",
]
VERBS_15 = [
    ("delete", "deleting", "deleted"),
    ("remove", "removing", "removed"),
    ("bin", "binning", "binned"),
    ("scrap", "scrapping", "scrapped"),
    ("get rid of", "getting rid of", "got rid of"),
    ("erase", "erasing", "erased"),
]


@st.composite
def musings(draw: st.DrawFn) -> tuple[dict[int, dict[str, Any]], str, str | None]:
    titles = draw(st.lists(st.sampled_from(TITLES), min_size=2, max_size=6, unique=True))
    done = draw(st.lists(st.booleans(), min_size=len(titles), max_size=len(titles)))
    tasks = make_tasks(titles, done)
    target = draw(st.sampled_from(sorted(tasks)))
    words = [w for w in tasks[target]["title"].lower().split() if w not in ("the", "a", "for", "out", "new")]
    ref = draw(st.sampled_from([f"the {words[-1]} one", f"the {' '.join(words[1:])} task"]))
    v, ving, ved = draw(st.sampled_from(VERBS_15))
    message = draw(st.sampled_from(FRAMINGS)).format(v=v, ving=ving, ved=ved, ref=ref)
    return tasks, message, draw(st.sampled_from([None, "delete", "complete", "clear_completed"]))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(musings())
def test_a_musing_a_story_or_a_later_day_never_destroys(
    case: tuple[dict[int, dict[str, Any]], str, str | None],
) -> None:
    tasks, message, guess = case
    backend, replies = talk_guessing(tasks, [message], guess)
    assert not backend.destroyed, f"{message!r} (guess {guess}): {replies!r}"
    backend, replies = talk_guessing(tasks, [message, "no"], guess)
    assert not backend.destroyed, f"{message!r} (guess {guess}) then no: {replies!r}"


def test_the_property_fails_with_the_round_15_guards_off(monkeypatch: pytest.MonkeyPatch) -> None:
    tasks = make_tasks(TITLES, DONE)
    for name in ("musing", "narrated", "task_for_it"):
        monkeypatch.setattr(rules, name, lambda message, context, intent: intent)
    monkeypatch.setattr(rules, "AFTER_A_DAY", rules.re.compile("(?!)"))
    destroyed = [
        m
        for m in (
            "delete task 3 after today",
            "priya's driving me anyway, scrap my task for that",
            "I was going to delete the wasp nest task but I'll keep it",
        )
        if talk_guessing(tasks, [m], "delete")[0].destroyed
    ]
    assert len(destroyed) == 2, destroyed  # the first two were done at once before round 15
