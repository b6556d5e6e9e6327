"""Issue 11, item 1: no destructive action (delete, complete, clear-completed) ever happens on a guess.

A Hypothesis property over random destructive commands with one random single-character typo: whenever the
typo hit a word that matters (the command word or a word naming the task), the first message must not delete
or complete anything: the bot asks for a yes (or answers otherwise). Clear-completed never acts on the first
message at all. Unit level: the real parser and engine (`ChatService`) over an in-memory backend and
conversation store (the API tests and the realistic evaluation use the real backend)."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field
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
