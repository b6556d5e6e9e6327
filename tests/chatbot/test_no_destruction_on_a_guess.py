"""Issue 11, item 1: no destructive action (delete, complete, clear-completed) ever happens on a guess.

A Hypothesis property over random destructive commands with one random single-character typo: whenever the
typo hit a word that matters (the command word or a word naming the task), the first message must not delete
or complete anything: the bot asks for a yes (or answers otherwise). Clear-completed never acts on the first
message at all. Unit level: the real parser and engine (`ChatService`) over an in-memory backend and
conversation store (the API tests and the realistic evaluation use the real backend)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from todo_chatbot import chat
from todo_chatbot.chat import ChatService
from todo_chatbot.crud import ConversationState, ConversationStore, OpenedTurn
from todo_chatbot.nlu.rules import VERBS, RulesProvider
from todo_chatbot.nlu.stems import same_word

TITLES = [
    "Buy milk",
    "Paint the dome",
    "Call dentist",
    "Pay rent",
    "Renew passport",
    "Walk the dog",
    "Book flights to Berlin",
    "Email Sarah about the budget",
    "Water the plants",
    "Fix the bike",
]
DELETE_VERBS = ["delete", "remove", "erase", "drop", "trash", "discard", "scrap", "ditch"]
COMPLETE_FORMS = [
    "complete {ref}",
    "finish {ref}",
    "mark {ref} done",
    "mark {ref} as completed",
    "{ref} is done",
]
CLEAR_FORMS = [
    "clear completed tasks",
    "clear done tasks",
    "remove finished tasks",
    "delete the completed ones",
]
FILLERS = ["", "please ", "can you ", "ok "]


@dataclass
class FakeBackend:
    tasks: dict[int, dict[str, Any]]
    destroyed: list[tuple[str, int]] = field(default_factory=list)

    async def list_tasks(self, token: str) -> list[dict[str, Any]]:
        return [dict(t) for _, t in sorted(self.tasks.items())]

    async def me(self, token: str) -> dict[str, Any]:
        return {"id": 1}

    async def delete_task(self, token: str, number: int) -> None:
        self.destroyed.append(("delete", number))
        del self.tasks[number]

    async def clear_completed(self, token: str) -> list[int]:
        gone = [n for n, t in self.tasks.items() if t["completed"]]
        for n in gone:
            self.destroyed.append(("clear", n))
            del self.tasks[n]
        return gone

    async def update_task(self, token: str, number: int, **fields: Any) -> dict[str, Any]:
        if fields.get("completed") and not self.tasks[number]["completed"]:
            self.destroyed.append(("complete", number))
        self.tasks[number].update(fields)
        return dict(self.tasks[number])

    async def create_task(self, token: str, **fields: Any) -> dict[str, Any]:
        number = max(self.tasks, default=0) + 1
        self.tasks[number] = {
            "number": number,
            "completed": False,
            "due_date": None,
            "priority": "medium",
            "description": None,
            **fields,
        }
        return dict(self.tasks[number])


class FakeStore:
    def __init__(self) -> None:
        self.saved: dict[str, ConversationState] = {}

    async def open_turn(self, conversation_id: str | None, *counters: Any) -> OpenedTurn:
        state = self.saved.get(conversation_id or "")
        return OpenedTurn(("1", state) if state else None)

    owned_by = staticmethod(ConversationStore.owned_by)

    async def close_turn(self, user_id: str, state: ConversationState, *args: Any) -> None:
        state.is_new = False
        self.saved[state.id] = state


class RestoringBackend(FakeBackend):
    """The fake backend with the restore an undo of a delete needs."""

    async def restore_task(self, token: str, **task: Any) -> dict[str, Any]:
        self.tasks[task["number"]] = dict(task)
        return dict(task)


def make_tasks(titles: list[str], done: list[bool]) -> dict[int, dict[str, Any]]:
    return {
        i + 1: {
            "number": i + 1,
            "title": t,
            "completed": d,
            "due_date": None,
            "priority": "medium",
            "description": None,
        }
        for i, (t, d) in enumerate(zip(titles, done, strict=True))
    }


def typo(message: str, position: int, kind: int, letter: str) -> tuple[str, int]:
    """One typo at the `position`-th letter: (new message, index of the word it hit)."""
    letters = [i for i, ch in enumerate(message) if ch.isalpha()]
    i = letters[position % len(letters)]
    kind %= 4
    if kind == 0:
        out = message[:i] + letter + message[i:]  # insert
    elif kind == 1:
        out = message[:i] + message[i + 1 :]  # delete
    elif kind == 2:
        out = message[:i] + letter + message[i + 1 :]  # substitute
    else:
        j = i + 1 if i + 1 < len(message) and message[i + 1].isalpha() else i - 1
        a, b = sorted((i, j))
        out = message[:a] + message[b] + message[a] + message[b + 1 :]  # swap neighbours
    return out, len(message[:i].split(" ")) - 1


def run(backend: FakeBackend, message: str) -> str:
    service = ChatService(backend, FakeStore(), RulesProvider())  # type: ignore[arg-type]
    return asyncio.run(service.handle("token", message, None, None)).reply


@st.composite
def commands(draw: st.DrawFn) -> tuple[dict[int, dict[str, Any]], str, set[int], int]:
    """(tasks, message, indexes of the words that matter, the intended task number)."""
    titles = draw(st.lists(st.sampled_from(TITLES), min_size=2, max_size=6, unique=True))
    done = draw(st.lists(st.booleans(), min_size=len(titles), max_size=len(titles)))
    tasks = make_tasks(titles, done)
    target = draw(st.sampled_from(sorted(tasks)))
    words = [w for w in tasks[target]["title"].lower().split() if w not in ("the", "to", "about")]
    ref = draw(
        st.sampled_from(
            [
                f"task {target}",
                f"#{target}",
                tasks[target]["title"].lower(),
                f"the {words[-1]} one",
                words[-1],
            ]
        )
    )
    filler = draw(st.sampled_from(FILLERS))
    if draw(st.booleans()):
        message = f"{filler}{draw(st.sampled_from(DELETE_VERBS))} {ref}"
    else:
        message = filler + draw(st.sampled_from(COMPLETE_FORMS)).format(ref=ref)
    start = len(filler.split())
    # the command word, the status word and the title words; not "task"/"number" beside an explicit number
    # (the number, typed exactly, is the reference: "complete tsk 1" completes #1 at once)
    matters = {
        i
        for i, w in enumerate(message.split())
        if i >= start and w not in ("the", "one", "a", "task", "number", "as", "is")
    }
    return tasks, message, matters, target


def check_no_destruction_on_a_guess(
    case: tuple[dict[int, dict[str, Any]], str, set[int], int], position: int, kind: int, letter: str
) -> None:
    tasks, message, matters, _target = case
    typed, hit = typo(message, position, kind, letter)
    backend = FakeBackend({n: dict(t) for n, t in tasks.items()})
    reply = run(backend, typed)
    typed_words = typed.split()
    original_words = message.split()
    if hit not in matters or len(typed_words) != len(original_words):
        return  # the typo hit filler (or merged two words): nothing to assert beyond the other properties
    hit_word = typed_words[hit].strip("#").lower()
    if hit_word in VERBS or hit_word in DELETE_VERBS or hit_word in ("done", "completed", "is"):
        return  # the typo made another command word: the user typed a different, exact command
    for _, number in backend.destroyed:
        title_words = [w.lower() for w in tasks[number]["title"].split()]
        exact = hit_word == str(number) or any(same_word(hit_word, w) for w in title_words)
        assert exact, f"{typed!r} (from {message!r}) destroyed #{number} at once: {reply!r}"


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(commands(), st.integers(0, 200), st.integers(0, 3), st.sampled_from("abcdefghijklmnopqrstuvwxyz"))
def test_a_typo_in_a_word_that_matters_never_destroys_at_once(
    case: tuple[dict[int, dict[str, Any]], str, set[int], int], position: int, kind: int, letter: str
) -> None:
    check_no_destruction_on_a_guess(case, position, kind, letter)


@settings(max_examples=150, deadline=None)
@given(
    st.sampled_from(CLEAR_FORMS),
    st.sampled_from(FILLERS),
    st.integers(0, 200),
    st.integers(0, 4),
    st.sampled_from("abcdefghijklmnopqrstuvwxyz"),
)
def test_clear_completed_never_acts_on_the_first_message(
    form: str, filler: str, position: int, kind: int, letter: str
) -> None:
    message = filler + form
    typed = typo(message, position, kind, letter)[0] if kind < 4 else message  # kind 4: no typo
    backend = FakeBackend(make_tasks(["Buy milk", "Call dentist", "Old thing"], [False, True, True]))
    reply = run(backend, typed)
    assert not backend.destroyed, f"{typed!r} destroyed {backend.destroyed} at once: {reply!r}"


def test_the_property_catches_a_bot_that_acts_on_guesses(monkeypatch: pytest.MonkeyPatch) -> None:
    """The seeded defect: the engine no longer asks after a typo correction; the property must fail."""
    monkeypatch.setattr(chat, "GUESS_ASKS", set())
    with pytest.raises(AssertionError, match="at once"):
        settings(max_examples=400, deadline=None, database=None, report_multiple_bugs=False)(
            given(
                commands(),
                st.integers(0, 200),
                st.integers(0, 3),
                st.sampled_from("abcdefghijklmnopqrstuvwxyz"),
            )(check_no_destruction_on_a_guess)
        )()


# ---- the issue's own examples, as regression tests ----


def test_delete_the_dome_deletes_the_dome_not_the_completed_tasks() -> None:
    backend = FakeBackend(
        make_tasks(["Buy milk", "Paint the dome", "Call dentist", "Old thing"], [False, False, True, True])
    )
    reply = run(backend, "delete the dome")
    assert backend.destroyed == [("delete", 2)], reply
    assert sorted(backend.tasks) == [1, 3, 4]


def test_remote_3_asks_before_deleting() -> None:
    backend = FakeBackend(
        make_tasks(["Buy milk", "Paint the dome", "Call dentist", "Old thing"], [False, False, True, True])
    )
    reply = run(backend, "remote 3")
    assert backend.destroyed == [], reply
    assert re.search(r"delete #3 Call dentist.*\(yes/no\)", reply), reply
    assert "'remote' as 'remove'" in reply


# ---- round 13: a statement that takes a completion back is never destructive, whoever guessed ----

# development phrasings (round 13), never held-out ones: the task is no longer done, fell through, did not
# happen, needs doing again
TAKE_BACK_FORMS = [
    "{ref} fell through so it's not done anymore",
    "{ref} fell through",
    "{ref} is no longer done",
    "{ref} isn't done any more",
    "{ref} didn't happen after all",
    "{ref} needs redoing",
    "{ref} got cancelled so it's not done anymore",
    "I thought {ref} was done but it fell through",
    "{ref} was done but it needs doing again",
    "{ref} never went through, it's not finished",
    "{ref} is undone",
    "{ref} went wrong, have to do it again",
]
TAKE_BACK_LEADS = ["", "ugh, ", "bad news: ", "so ", "turns out "]
# what a guess may propose (None: the trained classifier itself)
DESTRUCTIVE_GUESSES = [None, "delete", "complete", "clear_completed"]


class SureClassifier:
    """A classifier stand-in sure of one intent: the worst a guess can propose."""

    def __init__(self, intent: str) -> None:
        self.intent = intent

    def predict(self, message: str, vocabulary: frozenset[str] = frozenset()) -> Any:
        return type("Said", (), {"intent": self.intent, "probability": 0.99, "margin": 0.98})()


@st.composite
def take_backs(draw: st.DrawFn) -> tuple[dict[int, dict[str, Any]], str, str | None]:
    titles = draw(st.lists(st.sampled_from(TITLES), min_size=2, max_size=6, unique=True))
    done = draw(st.lists(st.booleans(), min_size=len(titles), max_size=len(titles)))
    tasks = make_tasks(titles, done)
    target = draw(st.sampled_from(sorted(tasks)))
    words = [w for w in tasks[target]["title"].lower().split() if w not in ("the", "to", "about")]
    ref = draw(st.sampled_from([f"task {target}", f"the {words[-1]} one", tasks[target]["title"].lower()]))
    form = draw(st.sampled_from(TAKE_BACK_FORMS))
    message = draw(st.sampled_from(TAKE_BACK_LEADS)) + form.format(ref=ref)
    return tasks, message, draw(st.sampled_from(DESTRUCTIVE_GUESSES))


def check_a_take_back_never_destroys(case: tuple[dict[int, dict[str, Any]], str, str | None]) -> None:
    from unittest.mock import patch

    from todo_chatbot.nlu import arbiter
    from todo_chatbot.nlu.classifier import load

    tasks, message, guess = case
    backend = FakeBackend({n: dict(t) for n, t in tasks.items()})
    model = load() if guess is None else SureClassifier(guess)
    with patch.object(arbiter, "load", lambda: model):
        service = ChatService(backend, FakeStore(), RulesProvider())  # type: ignore[arg-type]
        first = asyncio.run(service.handle("token", message, None, None))
        second = asyncio.run(service.handle("token", "yes", first.conversation_id, None))
    assert not backend.destroyed, (
        f"{message!r} (guess {guess}) destroyed {backend.destroyed}: {first.reply!r} / {second.reply!r}"
    )


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(take_backs())
def test_a_statement_that_takes_a_completion_back_never_destroys(
    case: tuple[dict[int, dict[str, Any]], str, str | None],
) -> None:
    check_a_take_back_never_destroys(case)


def test_the_take_back_property_catches_a_parser_without_the_guard(monkeypatch: pytest.MonkeyPatch) -> None:
    """Seeded: without round 13's guard a sure destructive guess deletes or completes after the yes."""
    from todo_chatbot.nlu import rules

    monkeypatch.setattr(rules, "taken_back", lambda message, context, intent: intent)
    with pytest.raises(AssertionError, match="destroyed"):
        settings(max_examples=250, deadline=None, database=None, report_multiple_bugs=False)(
            given(take_backs())(check_a_take_back_never_destroys)
        )()


# ---- round 14: a field of a task, a condition, the done ones — never a destroying guess ----

# development phrasings (round 14's own), never held-out ones
FIELD_VERBS = [
    "kill",
    "remove",
    "delete",
    "drop",
    "scrap",
    "get rid of",
    "bin",
    "clear",
    "take",
    "nuke",
    "ditch",
    "lose",
    "wipe",
    "strip",
    "scratch",
    "axe",
]
FIELD_NOUNS = {
    "the due date": "date",
    "the deadline": "date",
    "its deadline": "date",
    "the date": "date",
    "the priority": "priority",
    "the urgency": "priority",
    "the high priority": "priority",
    "the urgent flag": "priority",
}
FIELD_PREPOSITIONS = ["on", "from", "for", "off", "of"]
FIELD_LEADS = ["", "please ", "can you ", "just ", "ok "]


def _title_ref(draw: st.DrawFn, tasks: dict[int, dict[str, Any]], target: int) -> str:
    words = [w for w in tasks[target]["title"].lower().split() if w not in ("the", "to", "about")]
    return draw(st.sampled_from([f"task {target}", f"the {words[-1]} one", tasks[target]["title"].lower()]))


@st.composite
def field_kills(draw: st.DrawFn) -> tuple[dict[int, dict[str, Any]], str, str | None, int, str]:
    """(tasks, message, a sure classifier's guess, the task aimed at, the field: date or priority)."""
    titles = draw(st.lists(st.sampled_from(TITLES), min_size=2, max_size=6, unique=True))
    tasks = make_tasks(titles, [False] * len(titles))
    for task in tasks.values():
        task["due_date"], task["priority"] = "2026-12-01", "high"
    target = draw(st.sampled_from(sorted(tasks)))
    noun = draw(st.sampled_from(sorted(FIELD_NOUNS)))
    ref = _title_ref(draw, tasks, target)
    verb = draw(st.sampled_from(FIELD_VERBS))
    if draw(st.integers(0, 3)) == 0 and not ref.startswith("task"):
        message = f"{draw(st.sampled_from(FIELD_LEADS))}{verb} {ref}'s {noun.split()[-1]}"
    else:
        preposition = draw(st.sampled_from(FIELD_PREPOSITIONS))
        message = f"{draw(st.sampled_from(FIELD_LEADS))}{verb} {noun} {preposition} {ref}"
    return tasks, message, draw(st.sampled_from(DESTRUCTIVE_GUESSES)), target, FIELD_NOUNS[noun]


def _talk(
    tasks: dict[int, dict[str, Any]], messages: list[str], guess: str | None
) -> tuple[FakeBackend, list[str]]:
    from unittest.mock import patch

    from todo_chatbot.nlu import arbiter
    from todo_chatbot.nlu.classifier import load

    backend = FakeBackend({n: dict(t) for n, t in tasks.items()})
    model = load() if guess is None else SureClassifier(guess)
    with patch.object(arbiter, "load", lambda: model):
        return backend, converse(backend, messages)


def converse(backend: FakeBackend, messages: list[str], client_time: datetime | None = None) -> list[str]:
    """Each message in turn through one conversation of the chatbot (rules provider) over `backend`, at the
    client's `client_time` (None: the server's clock)."""
    service = ChatService(backend, FakeStore(), RulesProvider())  # type: ignore[arg-type]
    replies, conversation = [], None
    for message in messages:
        result = asyncio.run(service.handle("token", message, conversation, client_time))
        conversation = result.conversation_id
        replies.append(result.reply)
    return replies


def asks(reply: str) -> bool:
    """A reply that asks the user: a question, or a yes/no."""
    return reply.rstrip().endswith(("?", "(yes/no)"))


def check_asks_then_only_yes_acts(
    talk: Callable[[list[str]], tuple[FakeBackend, list[str]]], message: str, done: tuple[str, int]
) -> None:
    """`message` asks and destroys nothing, "no" after it keeps everything, "yes" does `done` and nothing
    else; `talk` runs a fresh conversation over the caller's own tasks."""
    backend, replies = talk([message])
    assert asks(replies[0]) and backend.destroyed == [], replies
    backend, replies = talk([message, "no"])
    assert backend.destroyed == [], replies
    backend, replies = talk([message, "yes"])
    assert backend.destroyed == [done], replies


def check_a_field_is_never_the_task(
    case: tuple[dict[int, dict[str, Any]], str, str | None, int, str],
) -> None:
    tasks, message, guess, target, kind = case
    backend, replies = _talk(tasks, [message, "yes"], guess)
    assert not backend.destroyed, f"{message!r} (guess {guess}) destroyed {backend.destroyed}: {replies!r}"
    changed = [n for n, t in backend.tasks.items() if t != tasks[n]]
    assert changed in ([], [target]), f"{message!r} changed {changed}: {replies!r}"
    for n in changed:  # what changed is the field named, nothing else
        if kind == "date":
            assert backend.tasks[n]["due_date"] is None, (message, replies)
        else:
            assert backend.tasks[n]["priority"] != "high", (message, replies)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(field_kills())
def test_a_destroying_verb_aimed_at_a_field_never_destroys_the_task(
    case: tuple[dict[int, dict[str, Any]], str, str | None, int, str],
) -> None:
    check_a_field_is_never_the_task(case)


def test_the_field_property_catches_a_parser_without_the_guard(monkeypatch: pytest.MonkeyPatch) -> None:
    """Seeded: without round 14's `field_edit` "kill the due date on …" is a delete, and the yes deletes."""
    from todo_chatbot.nlu import rules

    monkeypatch.setattr(rules, "field_edit", lambda message, context, intent: intent)
    with pytest.raises(AssertionError, match=r"destroyed|changed"):
        settings(max_examples=200, deadline=None, database=None, report_multiple_bugs=False)(
            given(field_kills())(check_a_field_is_never_the_task)
        )()


CONDITIONS = [
    "if I haven't {done} {ref} by {day}, just {verb} it",
    "if {ref} isn't done by {day} {verb} it",
    "{verb} {ref} if I don't get round to it by {day}",
    "unless I've {done} {ref} by {day}, {verb} it",
    "once {ref}'s sorted, {verb} it",
    "when I've {done} {ref} you can {verb} it",
    "{verb} {ref} in case the plans change",
    "if the weather's bad on {day} then {verb} {ref}",
    # round 14 (continued): a future event — after/before/until/till/as soon as/once + a noun phrase
    "{verb} {ref} after the appeal",
    "{verb} {ref} as soon as the refund lands",
    "{verb} {ref} till the move",
    "{verb} {ref} once the new boiler is in",
    "{verb} {ref} right after the inspection",
]
CONDITION_VERBS = ["delete", "remove", "bin", "scrap", "get rid of", "tick off", "mark off", "ditch"]


@st.composite
def conditional_commands(draw: st.DrawFn) -> tuple[dict[int, dict[str, Any]], str, str | None]:
    titles = draw(st.lists(st.sampled_from(TITLES), min_size=2, max_size=6, unique=True))
    tasks = make_tasks(titles, [False] * len(titles))
    target = draw(st.sampled_from(sorted(tasks)))
    message = draw(st.sampled_from(CONDITIONS)).format(
        ref=_title_ref(draw, tasks, target),
        done=draw(st.sampled_from(["done", "sorted", "finished", "booked"])),
        day=draw(st.sampled_from(["thursday", "the weekend", "friday", "the 3rd"])),
        verb=draw(st.sampled_from(CONDITION_VERBS)),
    )
    return tasks, message, draw(st.sampled_from([None, "delete", "complete"]))


def check_a_condition_is_never_done_at_once(case: tuple[dict[int, dict[str, Any]], str, str | None]) -> None:
    tasks, message, guess = case
    backend, replies = _talk(tasks, [message], guess)
    assert not backend.destroyed, f"{message!r} (guess {guess}) destroyed {backend.destroyed}: {replies!r}"
    backend, replies = _talk(tasks, [message, "no"], guess)
    assert not backend.destroyed, f"{message!r} then no destroyed {backend.destroyed}: {replies!r}"


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(conditional_commands())
def test_a_delete_or_completion_on_a_condition_is_never_done_at_once(
    case: tuple[dict[int, dict[str, Any]], str, str | None],
) -> None:
    check_a_condition_is_never_done_at_once(case)


def test_the_condition_property_catches_a_parser_without_the_guard(monkeypatch: pytest.MonkeyPatch) -> None:
    """Seeded: without round 14's `conditional` "if I haven't … by thursday, just delete it" deletes."""
    from todo_chatbot.nlu import rules

    monkeypatch.setattr(rules, "conditional", lambda message, context, intent: intent)
    with pytest.raises(AssertionError, match="destroyed"):
        settings(max_examples=200, deadline=None, database=None, report_multiple_bugs=False)(
            given(conditional_commands())(check_a_condition_is_never_done_at_once)
        )()


# titles with a word of "the done ones" in them: "Finish …", "Complete …", "Done …"
DONE_TITLES = [
    "Finish the patchwork quilt",
    "Finished drafts to proofread",
    "Complete the allotment form",
    "Done list for the shed",
    "Tick off the seed order",
    "Close the garden gate account",
]
DONE_WORDS = ["finished", "done", "completed", "ticked off", "complete"]
DONE_VERBS = ["delete", "remove", "get rid of", "clear", "bin", "scrap", "clear out", "ditch", "lose"]
DONE_TAILS = ["", " please", ", the list is getting long", " please, it's all cluttered", " now", " for me"]


@st.composite
def done_ones_commands(draw: st.DrawFn) -> tuple[dict[int, dict[str, Any]], str, str | None]:
    titles = draw(st.lists(st.sampled_from(DONE_TITLES + TITLES), min_size=3, max_size=7, unique=True))
    done = draw(st.lists(st.booleans(), min_size=len(titles), max_size=len(titles)))
    tasks = make_tasks(titles, done)
    message = (
        f"{draw(st.sampled_from(FILLERS))}{draw(st.sampled_from(DONE_VERBS))} the "
        f"{draw(st.sampled_from(DONE_WORDS))} {draw(st.sampled_from(['ones', 'tasks', 'stuff', 'items']))}"
        f"{draw(st.sampled_from(DONE_TAILS))}"
    )
    return tasks, message, draw(st.sampled_from([None, "delete", "complete", "clear_completed"]))


def check_the_done_ones_are_a_clear(case: tuple[dict[int, dict[str, Any]], str, str | None]) -> None:
    tasks, message, guess = case
    backend, replies = _talk(tasks, [message], guess)
    assert not backend.destroyed, f"{message!r} (guess {guess}) destroyed {backend.destroyed}: {replies!r}"
    done = sorted(n for n, t in tasks.items() if t["completed"])
    backend, replies = _talk(tasks, [message, "yes"], guess)
    gone = sorted(n for _, n in backend.destroyed)
    assert all(tasks[n]["completed"] for n in gone), f"{message!r} destroyed an open task {gone}: {replies!r}"
    if done:
        assert f"your {len(done)} completed task" in replies[0], (message, replies)  # it names how many
        assert gone == done, (message, replies)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(done_ones_commands())
def test_the_done_ones_are_cleared_with_a_question_never_a_title_match(
    case: tuple[dict[int, dict[str, Any]], str, str | None],
) -> None:
    check_the_done_ones_are_a_clear(case)


def test_the_done_ones_property_catches_a_parser_without_the_guard(monkeypatch: pytest.MonkeyPatch) -> None:
    """Seeded: without round 14's `done_ones` "delete the finished ones please, the list is getting long" is
    a delete of "Finish the patchwork quilt"."""
    from todo_chatbot.nlu import rules

    monkeypatch.setattr(rules, "done_ones", lambda message, context, intent: intent)
    with pytest.raises(AssertionError, match=r"destroyed|completed task"):
        settings(max_examples=200, deadline=None, database=None, report_multiple_bugs=False)(
            given(done_ones_commands())(check_the_done_ones_are_a_clear)
        )()


# round 14 (continued): a destroying verb said not to be done is never a destroying proposal
NEGATIONS = [
    "don't",
    "do not",
    "dont",
    "never",
    "no need to",
    "I'm not going to",
    "you shouldn't",
    "please don't",
    "I didn't mean",
    "I didn't mean to",
    "don't you dare",
    "don't actually",
]
NEGATED_FORMS = [
    "{neg} {verb} {ref}",
    "{neg} {verb} {ref}, I still need it",
    "{neg} {verb} {ref} yet",
    "oh {neg} {verb} {ref} please",
    "{neg} mark {ref} as done",
    "{neg} tick off {ref}",
    "{neg} clear the completed ones",
]
NEGATED_VERBS = [
    "delete",
    "remove",
    "bin",
    "scrap",
    "ditch",
    "get rid of",
    "erase",
    "trash",
    "complete",
    "finish",
]


@st.composite
def negated_commands(draw: st.DrawFn) -> tuple[dict[int, dict[str, Any]], str, str | None]:
    titles = draw(st.lists(st.sampled_from(TITLES), min_size=2, max_size=6, unique=True))
    done = draw(st.lists(st.booleans(), min_size=len(titles), max_size=len(titles)))
    tasks = make_tasks(titles, done)
    target = draw(st.sampled_from(sorted(tasks)))
    verb = draw(st.sampled_from(NEGATED_VERBS))
    if draw(st.integers(0, 3)) == 0:  # a typo the parser corrects in the verb: "delte", "remvoe"
        i = draw(st.integers(1, len(verb) - 2))
        verb = verb[:i] + verb[i + 1 :] if len(verb) >= 6 and " " not in verb else verb
    message = draw(st.sampled_from(NEGATED_FORMS)).format(
        neg=draw(st.sampled_from(NEGATIONS)), verb=verb, ref=_title_ref(draw, tasks, target)
    )
    return tasks, message, draw(st.sampled_from(DESTRUCTIVE_GUESSES))


def check_a_negated_request_changes_nothing(case: tuple[dict[int, dict[str, Any]], str, str | None]) -> None:
    tasks, message, guess = case
    backend, replies = _talk(tasks, [message, "yes"], guess)
    assert not backend.destroyed, f"{message!r} (guess {guess}) destroyed {backend.destroyed}: {replies!r}"
    assert backend.tasks == tasks, f"{message!r} changed the tasks: {replies!r}"
    assert "(yes/no)" not in replies[0], f"{message!r} was proposed: {replies!r}"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(negated_commands())
def test_a_negated_destroying_request_never_proposes_or_destroys(
    case: tuple[dict[int, dict[str, Any]], str, str | None],
) -> None:
    check_a_negated_request_changes_nothing(case)


def test_the_negation_property_catches_a_parser_without_the_guard(monkeypatch: pytest.MonkeyPatch) -> None:
    """Seeded: without round 14's `negated` "don't delete the dome" is asked as a delete; the yes deletes."""
    from todo_chatbot.nlu import rules

    monkeypatch.setattr(rules, "negated", lambda message, context, intent: intent)
    with pytest.raises(AssertionError, match=r"destroyed|changed|proposed"):
        settings(max_examples=200, deadline=None, database=None, report_multiple_bugs=False)(
            given(negated_commands())(check_a_negated_request_changes_nothing)
        )()
