"""Review 32: two of round 15's regexes were exponential on a failing match — a 2,000-character message
must never stall the service (each of these took seconds before the fix; CPU time of this thread, so a busy
machine does not make it flake)."""

from __future__ import annotations

import gc
import time
from datetime import date

import pytest
from todo_chatbot.nlu import phrasing, rules
from todo_chatbot.nlu.intent import Intent, NLUContext

CONTEXT = NLUContext(
    today=date(2026, 11, 23),
    vocabulary=frozenset("remove the rust from the arches ask gareth for a reference buy milk".split()),
)


@pytest.mark.parametrize(
    "message",
    [
        # phrasing.UNDO_LEADS: "i need it actually " was one lead or "i need it" then "actually" (2^n)
        "i need it actually " * 21 + "zzz",
        "wait, i need that actually, " * 21 + "zzz",
        # rules._DID_WHEN: "earlier today" was one time or "earlier" then "today" (2^n)
        "removed the rust earlier today" + " earlier today" * 21 + " zzz",
    ],
)
def test_review32_repeated_ambiguous_words_answer_fast(message: str) -> None:
    rules.parse("hello", CONTEXT)  # warm
    gc.collect()
    gc.disable()
    try:
        started = time.thread_time()
        rules.parse(message[:2000], CONTEXT)
        elapsed = time.thread_time() - started
    finally:
        gc.enable()
    assert elapsed < 0.5, f"{elapsed * 1000:.1f} ms for {message[:30]!r}"


def test_review32_the_same_language_as_before() -> None:
    for said in (
        "wait, i need that actually, don't delete it",
        "i need that one actually, don't delete it",
        "hang on, I need that one, don't delete it".lower(),
        "we still need it after all, don't remove it",
    ):
        assert phrasing.UNDO.fullmatch(said), said
    done = rules.did_the_task("removed the rust earlier today", CONTEXT)
    assert done is not None and done.intent is Intent.COMPLETE
    assert done.ref is not None and done.ref.words == "removed the rust"
    done = rules.did_the_task("removed the rust earlier on, yesterday", CONTEXT)
    assert done is not None and done.ref is not None and done.ref.words == "removed the rust"


# ---- 2: "I don't need/want the X one" deletes only after a yes (round 15 deleted at once) ----


def test_review32_dont_want_the_x_one_is_asked_not_done() -> None:
    from tests.chatbot.test_no_destruction_on_a_guess import converse, make_tasks
    from tests.chatbot.test_round15a import RestoringBackend

    titles = ["Cancel the gym membership", "Cancel the gas bill", "Order new glasses"]

    def talk(messages: list[str]) -> RestoringBackend:
        backend = RestoringBackend(make_tasks(titles, [False, False, False]))
        converse(backend, messages)
        return backend

    # the answer to "which one?" of a completion must not delete the other task
    assert talk(["complete the cancel one", "I don't want the gym one"]).destroyed == []
    assert talk(["I don't want the gym one, the other"]).destroyed == []
    assert talk(["I don't need the glasses task"]).destroyed == []
    assert talk(["I don't need the glasses task", "yes"]).destroyed == [("delete", 3)]
    assert talk(["I don't need the glasses task", "no"]).destroyed == []
