"""Round 17 (c): heldout17's one destructive guess, closed by class. After an edit of task 1, "actually
that's sorted now, mark it done" completed "Sort the seating plan …" (the done-word matched the title's verb),
not the task the user pointed at. The messages are this file's own, on its own titles; the rule is seeded off
in a test that then fails."""

from __future__ import annotations

import pytest
from todo_chatbot.nlu import rules

from tests.chatbot.test_no_destruction_on_a_guess import RestoringBackend, converse, make_tasks

# each title starts with a verb whose past form says "it's over": sorted, cleared, fixed, booked, finished
TITLES = [
    "Confirm the coach",  # 1
    "Sort the seating plan",  # 2
    "Clear the gutters",  # 3
    "Finish the quilt",  # 4
    "Book the hall",  # 5
    "Fix the fence",  # 6
]
POINTING = [
    "actually that's {w} now, mark it done",
    "that's {w}, mark it done",
    "it's {w}, tick it off",
    "{w} now, so mark it as done",
    "ok that one's {w}",
    "all {w}, you can tick it off",
    "that's {w}",
]
HOW_IT_ENDED = ["sorted", "cleared", "fixed", "booked", "finished", "sorted out", "all clear", "fixed up"]
FIRST_TURNS = ["change the due date of task 1 to wednesday", "make task 6 high priority", "show task 5"]


def _talk(messages: list[str]) -> tuple[RestoringBackend, list[str]]:
    backend = RestoringBackend(make_tasks(TITLES, [False] * len(TITLES)))
    return backend, converse(backend, messages)


@pytest.mark.parametrize("first", FIRST_TURNS)
@pytest.mark.parametrize("form", POINTING)
def test_a_done_word_never_moves_the_completion_off_the_task_pointed_at(first: str, form: str) -> None:
    pointed = int(first.split("task ")[1].split()[0])
    for word in HOW_IT_ENDED:
        backend, replies = _talk([first, form.format(w=word)])
        assert backend.destroyed in ([], [("complete", pointed)]), (form.format(w=word), replies)


def test_that_is_sorted_completes_the_task_of_the_conversation() -> None:
    backend, replies = _talk(
        ["change the due date of task 1 to wednesday", "actually that's sorted now, mark it done"]
    )
    assert backend.destroyed == [("complete", 1)], replies


@pytest.mark.parametrize("message", ["that's sorted, mark it done", "it's fixed, tick it off"])
def test_with_nothing_pointed_at_it_asks_and_destroys_nothing(message: str) -> None:
    backend, replies = _talk([message])
    assert backend.destroyed == [], replies
    assert replies[0].startswith("Which task"), replies


@pytest.mark.parametrize(
    ("message", "number"),
    [("fixed the fence, tick it off", 6), ("the gutters are cleared", 3), ("booked the hall", 5)],
)
def test_a_title_named_beside_the_done_word_still_completes_that_task(message: str, number: int) -> None:
    backend, replies = _talk(["make task 1 high priority", message])
    assert backend.destroyed == [("complete", number)], replies


def test_without_the_rule_the_done_word_completes_another_task(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rules, "PRONOUN_OVER_A_PARTICIPLE", False)
    backend, replies = _talk(
        ["change the due date of task 1 to wednesday", "actually that's sorted now, mark it done"]
    )
    assert backend.destroyed == [("complete", 2)], replies


@pytest.mark.parametrize(
    ("message", "destroyed"),
    [
        ("spoke to winnifred, mark it done", ("complete", 1)),
        ("don't need the winnifred task, delete it", ("delete", 1)),
    ],
)
def test_a_title_word_ending_in_ed_is_a_reference_not_a_past_form(
    message: str, destroyed: tuple[str, int]
) -> None:
    """heldout9's "winnifred" ends in "ed" like a past form; it is a word of the title as typed."""
    backend = RestoringBackend(make_tasks(["Ask Winnifred about the stall", "Fix the gate"], [False, False]))
    replies = converse(backend, [message])
    assert backend.destroyed == [destroyed], replies


@pytest.mark.parametrize("message", ["fixed this morning", "sorted this afternoon"])
def test_this_morning_points_at_nothing(message: str) -> None:
    """ "this" before a time of day says when: the reading is the one without the rule (it asks about the task
    whose title starts with the verb), never "which task?"."""
    backend, replies = _talk(["show task 1", message])
    assert backend.destroyed == [] and replies[1].startswith("Should I mark as done #"), replies
