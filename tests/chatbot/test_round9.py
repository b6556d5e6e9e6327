"""Round 9 (README, "Accuracy, round 9"): lead-ins "can ya / would u" and interjections ("oi", "erm"),
drawn-out greetings ("heyyy", "hiii"), list questions for everything said as "done and not done", overdue
said as "slipped past its date", "what's happening / coming up on <day>", help said as "what sort of things
can I type", and the title tagger keeping "a thank you card" — each with its defect seeded and shown to be
caught where one can be seeded."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest
from todo_chatbot.nlu import rules, title_tagger
from todo_chatbot.nlu.intent import Intent, NLUContext

TODAY = date(2026, 11, 23)  # a Monday
TITLES = ["Warp the loom", "Order indigo yarn", "Clean the shuttle", "Fix the broken heddle"]
CONTEXT = NLUContext(today=TODAY, vocabulary=frozenset(" ".join(TITLES).lower().split()))
EMPTY = NLUContext(today=TODAY)


def _parse(message: str, context: NLUContext = CONTEXT) -> Any:
    return rules.parse(message, context)


# ---- adds: informal "you" and interjections before the request ----


@pytest.mark.parametrize(
    ("message", "title", "due"),
    [
        ("can ya put down collect the photos on thursday", "collect the photos", date(2026, 11, 26)),
        ("could ya remind me to book the vet", "book the vet", None),
        ("would u add buy bread", "buy bread", None),
        ("will ya add ring the garage tomorrow", "ring the garage", date(2026, 11, 24)),
        ("oi can u add get the tree delivered saturday", "get the tree delivered", date(2026, 11, 28)),
        ("erm remind me to feed the cat", "feed the cat", None),
    ],
)
def test_informal_lead_ins_are_not_part_of_the_title(message: str, title: str, due: date | None) -> None:
    said = _parse(message, EMPTY)
    assert (said.intent, said.title, said.due_date) == (Intent.ADD, title, due)


def test_an_interjection_is_cut_only_before_a_request(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _parse("oi add buy bread", EMPTY).title == "buy bread"
    # seeded: without the interjections among the lead-ins, "oi" stays in the title
    monkeypatch.setattr(
        rules, "_POLITE_SPLIT", [(first, words) for first, words in rules._POLITE_SPLIT if first != "oi"]
    )
    assert _parse("oi add buy bread", EMPTY).title != "buy bread"


# ---- greetings drawn out ----


@pytest.mark.parametrize(
    "message", ["heyyy bot", "hiii", "hii there", "helloooo", "byeee", "thanksss", "morninggg all"]
)
def test_a_drawn_out_greeting_is_a_greeting(message: str) -> None:
    assert _parse(message, EMPTY).intent is Intent.GREETING


def test_a_drawn_out_greeting_needs_the_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    assert rules.parse_rules("heyyy bot", EMPTY).intent is Intent.GREETING
    assert rules.parse_rules("hope all is well", EMPTY).intent is Intent.GREETING  # as typed, first
    # seeded: with nothing read as drawn out, "heyyy bot" is not a greeting
    monkeypatch.setattr(rules, "_STRETCHED", re.compile(r"(?!)(x)(x)"))
    assert rules.parse_rules("heyyy bot", EMPTY).intent is not Intent.GREETING


def test_only_the_greeting_is_unstretched() -> None:
    assert rules._unstretch("heyyy") == "hey"
    assert rules._unstretch("helloooo") == "hello"
    assert rules._unstretch("hii") == "hi"
    # an add with a doubled letter is still an add
    said = _parse("add buy eggs", EMPTY)
    assert (said.intent, said.title) == (Intent.ADD, "buy eggs")


# ---- list and count questions ----


@pytest.mark.parametrize(
    "message",
    [
        "show everything, done and not done",
        "what's done and what isn't",
        "show me the finished and unfinished ones",
        "list my open and closed tasks",
    ],
)
def test_done_and_not_done_lists_everything(message: str) -> None:
    said = _parse(message)
    assert said.intent is Intent.LIST and said.filter.status == "all"


def test_done_alone_still_lists_the_done_ones() -> None:
    assert _parse("show the done ones").filter.status == "completed"
    assert _parse("what's not done").filter.status == "pending"


@pytest.mark.parametrize(
    ("message", "intent"),
    [
        ("what's slipped past its date", Intent.LIST),
        ("which have gone past their deadlines", Intent.LIST),
        ("anything lapsed?", Intent.LIST),
        ("how many slipped past their date", Intent.COUNT),
    ],
)
def test_overdue_wordings(message: str, intent: Intent) -> None:
    said = _parse(message)
    assert said.intent is intent and said.filter.due == "overdue"


@pytest.mark.parametrize(
    ("message", "day"),
    [
        ("what's happening on thursday", date(2026, 11, 26)),
        ("what's coming up on friday the 4th", date(2026, 12, 4)),
        ("what is scheduled for saturday", date(2026, 11, 28)),
    ],
)
def test_what_is_happening_on_a_day_lists_that_day(message: str, day: date) -> None:
    said = _parse(message)
    assert said.intent is Intent.LIST and said.filter.on == day


def test_a_question_about_the_world_on_a_day_is_not_a_list() -> None:
    assert _parse("what's happening in the news on thursday").intent is not Intent.LIST


# ---- help ----


@pytest.mark.parametrize(
    "message", ["what sort of things can i type here", "what kinds of commands should i use"]
)
def test_what_sort_of_things_can_i_type_is_help(message: str) -> None:
    assert _parse(message, EMPTY).intent is Intent.HELP


# ---- the title tagger and a thank-you ----


def test_the_tagger_keeps_a_thank_you_that_is_not_all_thanks(monkeypatch: pytest.MonkeyPatch) -> None:
    tagger = title_tagger.load()
    # a path that cuts the last three words, as the model did for "send Gran a thank you card"
    monkeypatch.setattr(tagger, "best", lambda tokens: (["T"] * (len(tokens) - 3) + ["R"] * 3, 99.0))
    assert tagger.trim("send Gran a thank you card") == ("send Gran a thank you card", "")
    assert tagger.trim("call the bank thanks a lot") == ("call the bank", "thanks a lot")
    # seeded: with the rule off, the card is cut
    monkeypatch.setattr(title_tagger, "THANKS_START", frozenset())
    assert tagger.trim("send Gran a thank you card")[0] == "send Gran a"


def test_a_thank_you_card_stays_in_the_title() -> None:
    said = _parse("pls remind me to send Gran a thank you card", EMPTY)
    assert said.title == "send Gran a thank you card"
    assert _parse("add call the bank, thanks a lot", EMPTY).title == "call the bank"


# ---- batch r9c: drawn-out lead-ins, "hey how r u", undo with a reason, yes/no questions ----


def test_a_drawn_out_lead_in_is_cut(monkeypatch: pytest.MonkeyPatch) -> None:
    said = _parse("heyy can you add pick up the turkey on the 22nd of december", EMPTY)
    assert (said.title, said.due_date) == ("pick up the turkey", date(2026, 12, 22))
    assert _parse("okayyy add buy milk", EMPTY).title == "buy milk"
    # seeded: with no lead-in read as drawn out, "heyy" stays in the title
    monkeypatch.setattr(rules, "_STRETCHABLE_LEADS", frozenset())
    assert rules.parse_rules("okayyy add buy milk", EMPTY).title != "buy milk"


@pytest.mark.parametrize("message", ["heyy how r u", "hi how's it going", "hello how are you doing today"])
def test_a_greeting_and_a_how_are_you_without_a_comma(message: str) -> None:
    assert _parse(message, EMPTY).intent is Intent.GREETING


def test_hey_how_do_i_is_still_help() -> None:
    assert _parse("hey how do i add a task", EMPTY).intent is Intent.HELP


@pytest.mark.parametrize(
    "message", ["hmm undo that please, i changed my mind", "undo, my mistake", "undo that, the wrong one"]
)
def test_undo_with_a_reason_after_it(message: str) -> None:
    assert rules.parse_rules(message, CONTEXT).intent is Intent.UNDO


@pytest.mark.parametrize(
    ("message", "status"),
    [
        ("which ones are still sat there undone", "pending"),
        ("how many did i tick off", "completed"),
        ("what's finished and what's still open", "all"),
    ],
)
def test_open_and_done_wordings(message: str, status: str) -> None:
    said = _parse(message)
    assert said.intent in (Intent.LIST, Intent.COUNT) and said.filter.status == status


def test_a_yes_no_question_about_the_world_is_never_an_add_from_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from todo_chatbot.nlu import arbiter

    message = "is the shop open on sundays"
    ruled = rules.parse_rules(message, EMPTY)
    assert ruled.intent is Intent.UNKNOWN

    class SureAdd:
        def predict(self, message: str, vocabulary: frozenset[str]) -> Any:
            return type("Said", (), {"intent": "add", "probability": 0.99})()

    assert arbiter.arbitrate(message, EMPTY, ruled, SureAdd()).intent is Intent.UNKNOWN  # type: ignore[arg-type]
    # seeded: without the question rule, a sure classifier makes it a task
    monkeypatch.setattr(arbiter, "_QUESTION", re.compile(r"(?!)"))
    assert arbiter.arbitrate(message, EMPTY, ruled, SureAdd()).intent is Intent.ADD  # type: ignore[arg-type]


# ---- a typo that turns a title word into a passed-over word is not an exact reference ----


def test_a_title_word_typed_as_a_stop_word_is_not_exact(monkeypatch: pytest.MonkeyPatch) -> None:
    """Found by test_no_destruction_on_a_guess.py's Hypothesis property (on main's code too): "please delete
    walk the do" deleted "Walk the dog" at once, "do" being passed over as a generic verb."""
    from todo_chatbot import resolve

    tasks: Any = [{"number": 1, "title": "Walk the dog"}, {"number": 2, "title": "Call Tom"}]
    assert resolve.match_title("walk the do", tasks) == ([tasks[0]], False)
    assert resolve.match_title("call to", tasks) == ([tasks[1]], False)
    assert resolve.match_title("walk the dog", tasks) == ([tasks[0]], True)
    assert resolve.match_title("the dog", tasks) == ([tasks[0]], True)
    # seeded: without the check, the slip is taken as exact
    monkeypatch.setattr(resolve, "_typo_of_an_unnamed_word", lambda *args: False)
    assert resolve.match_title("walk the do", tasks) == ([tasks[0]], True)
