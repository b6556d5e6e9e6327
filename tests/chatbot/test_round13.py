"""Round 13 (README, "Accuracy, round 13"): heldout11's one destructive action on a wrong guess ("the hotel
booking fell through so it's not done anymore" read as a delete, and the "yes" deleted the task) and its
class — a statement that takes a completion back (no longer done, fell through, didn't happen, needs
redoing) is never a delete, a completion or a clear, whoever proposed it — then heldout11's other failure
classes: a numbered task "taken off", a reason after a delete, "give X a friday deadline", "another week for
X", "medium is fine", "…, move it" after "till the 12th", and list, count, greeting and help wordings. Each
rule is removed (seeded off) in a test that then fails. The messages are development phrasings (round 13's
own, on its own task titles), not held-out ones."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from todo_chatbot.nlu import arbiter, phrasing, rules
from todo_chatbot.nlu.intent import ChatIntent, Intent, NLUContext

TODAY = date(2026, 11, 23)  # a Monday
TITLES = [
    "Book the caterer",
    "Reserve the village hall",
    "Order the birthday cake",
    "Renew the car tax",
    "Fix the gate latch",
    "Send the invitations",
]
CONTEXT = NLUContext(today=TODAY, vocabulary=frozenset(" ".join(TITLES).lower().split()))


class _Sure:
    """A classifier stand-in that is sure of one intent: the worst a guess can propose."""

    def __init__(self, intent: str) -> None:
        self.intent = intent

    def predict(self, message: str, vocabulary: frozenset[str] = frozenset()) -> Any:
        return type("Said", (), {"intent": self.intent, "probability": 0.99, "margin": 0.98})()


def _ref(said: ChatIntent) -> Any:
    if said.ref is None:
        return None
    return said.ref.number if said.ref.number is not None else said.ref.words


# ---- the destructive guess: a completion taken back ----

TAKEN_BACK = [
    ("the caterer booking fell through so it's not done anymore", "caterer booking"),
    ("the cake order was done but it fell through", "cake order"),
    ("the cake order got cancelled so it's not done anymore", "cake order"),
    ("the village hall reservation is no longer done", "village hall reservation"),
    ("the caterer pulled out so that one's not done anymore", "caterer"),
    ("the car tax payment bounced so it's undone", "car tax"),
    ("gate latch came loose, need to redo it", "gate latch"),
    ("the car tax didn't go through", "car tax"),
    ("I thought the cake was ordered but it fell through", "cake ordered"),
    ("the gate latch isn't fixed any more", "gate latch fixed"),
]


@pytest.mark.parametrize(("message", "ref"), TAKEN_BACK)
@pytest.mark.parametrize("guess", [None, "delete", "complete", "clear_completed"])
def test_a_completion_taken_back_is_a_reopen_whatever_the_guess(
    message: str, ref: str, guess: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    if guess is not None:
        monkeypatch.setattr(arbiter, "load", lambda: _Sure(guess))
    said = rules.parse(message, CONTEXT)
    assert (said.intent, _ref(said)) == (Intent.REOPEN, ref)


def test_without_the_guard_a_sure_guess_destroys(monkeypatch: pytest.MonkeyPatch) -> None:
    """Seeded: without `taken_back` a sure classifier (or the rules' reading of the first clause) proposes
    a delete, a completion or a clear for every message above."""
    monkeypatch.setattr(rules, "taken_back", lambda message, context, intent: intent)
    for guess in ("delete", "complete"):
        monkeypatch.setattr(arbiter, "load", lambda guess=guess: _Sure(guess))
        read = [rules.parse(m, CONTEXT).intent for m, _ in TAKEN_BACK]
        assert sum(i in rules.DESTRUCTIVE for i in read) >= len(TAKEN_BACK) // 2, read


def test_the_rules_own_first_clause_reading_was_a_completion(monkeypatch: pytest.MonkeyPatch) -> None:
    """Seeded: the rules alone read "the cake order was done but it fell through" as completing it."""
    monkeypatch.setattr(rules, "taken_back", lambda message, context, intent: intent)
    assert rules.parse_rules("the cake order was done but it fell through", CONTEXT).intent is Intent.COMPLETE
    assert rules.parse_rules("the caterer pulled out so that one's not done anymore", CONTEXT).intent is (
        Intent.COMPLETE
    )


def test_a_clear_guessed_for_a_take_back_is_not_taken(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(arbiter, "load", lambda: _Sure("clear_completed"))
    said = "it all fell through, none of it's done now"
    assert rules.parse(said, CONTEXT).intent is not Intent.CLEAR_COMPLETED
    monkeypatch.setattr(rules, "taken_back", lambda message, context, intent: intent)
    assert rules.parse(said, CONTEXT).intent is Intent.CLEAR_COMPLETED


@pytest.mark.parametrize(
    ("message", "intent", "ref"),
    [
        # said in so many words: the command stands
        ("the caterer fell through, delete it", Intent.DELETE, "caterer"),
        ("the party isn't happening anymore so remove the cake", Intent.DELETE, "cake"),
        # not a completion taken back: a need that is gone is a delete, as before
        ("I don't need the cake anymore", Intent.DELETE, "cake"),
        ("no need for the caterer any more", Intent.DELETE, "caterer"),
        ("the cake order is done", Intent.COMPLETE, "cake order"),
    ],
)
def test_explicit_commands_and_needs_that_are_gone_are_unchanged(
    message: str, intent: Intent, ref: str
) -> None:
    said = rules.parse(message, CONTEXT)
    assert (said.intent, _ref(said)) == (intent, ref)


@pytest.mark.parametrize(
    "text",
    [
        "the cake isn't needed anymore",
        "the party isn't happening anymore",
        "the cake isn't urgent any more",
        "i don't need the caterer anymore",
        "delete the cake",
    ],
)
def test_a_need_that_is_gone_is_not_a_completion_taken_back(text: str) -> None:
    assert not phrasing.takes_back(text)


def test_it_in_a_take_back_is_the_task_the_message_names(monkeypatch: pytest.MonkeyPatch) -> None:
    said = rules.parse_rules("the caterer booking never happened, so it isn't done", CONTEXT)
    assert (said.intent, _ref(said)) == (Intent.REOPEN, "caterer booking")
    monkeypatch.setattr(rules, "taken_back", lambda message, context, intent: intent)
    said = rules.parse_rules("the caterer booking never happened, so it isn't done", CONTEXT)
    assert said.ref is not None and said.ref.pronoun


def test_reopen_it_after_the_task_is_not_part_of_it(monkeypatch: pytest.MonkeyPatch) -> None:
    message = "hmm i didn't actually fix the gate latch properly, can you reopen it"
    said = rules.parse_rules(message, CONTEXT)
    assert (said.intent, _ref(said)) == (Intent.REOPEN, "fix the gate latch properly")
    monkeypatch.setattr(phrasing, "_REOPEN_IT", phrasing.re.compile(r"zzz"))
    assert "reopen" in (_ref(rules.parse_rules(message, CONTEXT)) or "")


# ---- deletes ----

NUMBERED_OFF = [("take number 5 off", 5), ("wipe task 2 off my list", 2), ("take task 4 off please", 4)]


@pytest.mark.parametrize(("message", "number"), NUMBERED_OFF)
def test_a_numbered_task_taken_off_is_deleted_at_once(message: str, number: int) -> None:
    said = rules.parse(message, CONTEXT)
    assert (said.intent, _ref(said), said.guessed, said.inferred) == (Intent.DELETE, number, None, False)


def test_taking_a_numbered_task_off_needs_its_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(phrasing, "_DELETE", [p for p in phrasing._DELETE if "(?:off|out|from)" not in p])
    for message, _ in NUMBERED_OFF:
        said = rules.parse(message, CONTEXT)
        assert said.intent is not Intent.DELETE or said.guessed, message


def test_ticking_a_numbered_task_off_is_still_a_completion() -> None:
    assert rules.parse("tick number 5 off", CONTEXT).intent is Intent.COMPLETE


def test_a_reason_after_any_more_is_not_part_of_the_task(monkeypatch: pytest.MonkeyPatch) -> None:
    message = "no need for the birthday cake any more, my sister's baking one"
    assert _ref(rules.parse_rules(message, CONTEXT)) == "birthday cake"
    said = rules.parse_rules("dont need to renew the car tax anymore, I sold it", CONTEXT)
    assert (said.intent, _ref(said), said.inferred) == (Intent.DELETE, "renew the car tax", False)
    monkeypatch.setattr(
        phrasing, "_DELETE", [p.replace("(?: .+)?", "") for p in phrasing._DELETE]
    )  # the trailing reason no longer allowed
    assert _ref(rules.parse_rules(message, CONTEXT)) != "birthday cake"


def test_dont_need_to_without_i_is_a_delete(monkeypatch: pytest.MonkeyPatch) -> None:
    said = rules.parse_rules("dont need to send the invitations anymore", CONTEXT)
    assert (said.intent, _ref(said)) == (Intent.DELETE, "send the invitations")
    monkeypatch.setattr(
        phrasing,
        "_DELETE",
        [p.replace("^(?:(?:i|we) )?(?:don", "^(?:i|we) (?:don") for p in phrasing._DELETE],
    )
    assert rules.parse_rules("dont need to send the invitations anymore", CONTEXT).intent is not Intent.DELETE


def test_a_delete_reference_ends_at_a_comma_before_other_words(monkeypatch: pytest.MonkeyPatch) -> None:
    said = rules.parse_rules("scrap the gate latch, the landlady's sorting it", CONTEXT)
    assert (said.intent, _ref(said)) == (Intent.DELETE, "gate latch")
    # every word after the comma a title word: one title with a comma in it is kept whole
    said = rules.parse_rules("bin the cake, the caterer", CONTEXT)
    assert _ref(said) == "cake the caterer"
    monkeypatch.setattr(rules, "_names_a_title_word", lambda words, context: False)
    said = rules.parse_rules("scrap the gate latch, the landlady's sorting it", CONTEXT)
    assert _ref(said) != "gate latch"


# ---- edits ----

DEADLINES = [
    ("give the caterer a saturday deadline", "caterer", date(2026, 11, 28)),
    ("give the car tax a friday deadline", "car tax", date(2026, 11, 27)),
]


@pytest.mark.parametrize(("message", "ref", "due"), DEADLINES)
def test_give_x_a_day_deadline(message: str, ref: str, due: date) -> None:
    said = rules.parse_rules(message, CONTEXT)
    assert (said.intent, _ref(said), said.due_date) == (Intent.UPDATE, ref, due)


def test_give_it_a_day_deadline_is_not_a_list(monkeypatch: pytest.MonkeyPatch) -> None:
    said = rules.parse_rules("give it a thursday deadline", CONTEXT)
    assert (said.intent, said.due_date) == (Intent.UPDATE, date(2026, 11, 26))
    monkeypatch.setattr(
        phrasing, "_DATE_EDIT", [p for p in phrasing._DATE_EDIT if "{0,2}?\\w+) (?:dead" not in p]
    )
    assert rules.parse_rules("give it a thursday deadline", CONTEXT).intent is not Intent.UPDATE


MORE_TIME = [
    ("give me another week for the invitations", "invitations", 7),
    ("i need two more days for the car tax", "car tax", 2),
    ("we could do with an extra day on the cake", "cake", 1),
]


@pytest.mark.parametrize(("message", "ref", "days"), MORE_TIME)
def test_more_time_for_a_task_moves_it_later(message: str, ref: str, days: int) -> None:
    said = rules.parse_rules(message, CONTEXT)
    assert (said.intent, _ref(said), said.due_shift_days) == (Intent.UPDATE, ref, days)


def test_more_time_needs_its_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        phrasing, "_SHIFT", [p for p in phrasing._SHIFT if "another|an extra" not in p.pattern]
    )
    for message, _, _ in MORE_TIME:
        assert rules.parse_rules(message, CONTEXT).due_shift_days is None, message


MEDIUM = [
    ("the cake order isn't that pressing, medium is fine", "cake order", "medium"),
    ("car tax isn't urgent really, medium will do", "car tax", "medium"),
    ("the invitations, low is fine", "invitations", "low"),
]


@pytest.mark.parametrize(("message", "ref", "priority"), MEDIUM)
def test_the_priority_said_last_is_the_one(message: str, ref: str, priority: str) -> None:
    said = rules.parse(message, CONTEXT)
    assert (said.intent, _ref(said), said.priority) == (Intent.UPDATE, ref, priority)


def test_medium_is_fine_needs_its_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(phrasing, "_PRIORITY_EDIT", phrasing._PRIORITY_EDIT[1:])
    assert [rules.parse_rules(m, CONTEXT).priority for m, _, _ in MEDIUM] != [p for _, _, p in MEDIUM]


def test_move_it_after_till_the_nth(monkeypatch: pytest.MonkeyPatch) -> None:
    message = "i can't pick up the cake till the 9th, move it"
    said = rules.parse_rules(message, CONTEXT)
    assert (said.intent, _ref(said), said.due_date) == (Intent.UPDATE, "cake", date(2026, 12, 9))
    monkeypatch.setattr(rules, "_TILL_NTH", rules.re.compile(r"zzz"))
    assert rules.parse_rules(message, CONTEXT).due_date is None


# ---- lists, counts, greetings, help ----


def test_whats_on_tmrw(monkeypatch: pytest.MonkeyPatch) -> None:
    said = rules.parse_rules("whats on tmrw", CONTEXT)
    assert (said.intent, said.filter.due) == (Intent.LIST, "tomorrow")
    monkeypatch.setattr(rules, "WHAT_ON", "")
    assert rules.parse_rules("whats on tmrw", CONTEXT).intent is not Intent.LIST


@pytest.mark.parametrize("message", ["did any deadlines get away from me", "did any due dates go past"])
def test_deadlines_that_got_away_are_overdue(message: str, monkeypatch: pytest.MonkeyPatch) -> None:
    said = rules.parse_rules(message, CONTEXT)
    assert (said.intent, said.filter.due) == (Intent.LIST, "overdue")
    monkeypatch.setattr(rules, "ANY_SLIPPED", "")
    monkeypatch.setattr(rules, "SLIPPED_BY", "")
    assert rules.parse_rules(message, CONTEXT).filter.due != "overdue"


def test_counting_the_done_ones_counts_everything(monkeypatch: pytest.MonkeyPatch) -> None:
    message = "how many tasks do i have, counting the finished ones"
    said = rules.parse_rules(message, CONTEXT)
    assert (said.intent, said.filter.status) == (Intent.COUNT, "all")
    monkeypatch.setattr(rules, "COUNTING_DONE", "")
    assert rules.parse_rules(message, CONTEXT).filter.status == "completed"


def test_got_through_counts_the_done_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    said = rules.parse_rules("how many have i got through this week", CONTEXT)
    assert (said.intent, said.filter.status) == (Intent.COUNT, "completed")
    monkeypatch.setattr(rules, "GOT_THROUGH", "")
    assert rules.parse_rules("how many have i got through this week", CONTEXT).filter.status != "completed"


def test_my_task_count_is_a_count(monkeypatch: pytest.MonkeyPatch) -> None:
    said = rules.parse_rules("what's my task count, with the done ones", CONTEXT)
    assert (said.intent, said.filter.status) == (Intent.COUNT, "all")
    monkeypatch.setattr(rules, "TASK_COUNT_NOUN", "")
    assert rules.parse_rules("what's my task count, with the done ones", CONTEXT).intent is not Intent.COUNT


@pytest.mark.parametrize("message", ["g'evening", "g'day bot", "gmorning"])
def test_clipped_greetings(message: str, monkeypatch: pytest.MonkeyPatch) -> None:
    assert rules.parse_rules(message, CONTEXT).intent is Intent.GREETING
    monkeypatch.setattr(
        rules, "GREETING", rules.re.compile(rules.GREETING.pattern.replace("(good |g'|g)?", "(good )?"))
    )
    assert rules.parse_rules(message, CONTEXT).intent is not Intent.GREETING


@pytest.mark.parametrize(
    "message", ["what can i actually get you to do", "what kind of stuff can i get you to do"]
)
def test_what_can_i_ask_you_to_do_is_help(message: str, monkeypatch: pytest.MonkeyPatch) -> None:
    assert rules.parse(message, CONTEXT).intent is Intent.HELP
    pattern = rules.HELP_QUESTION.pattern.replace(
        "(?:actually |really |even )?(?:get|ask|have|tell)", "(?:get)"
    )
    pattern = pattern.replace(r"(?:can|could|do) i (?:actually |really )?(?:get|ask|have|tell)", "zzz")
    monkeypatch.setattr(rules, "HELP_QUESTION", rules.re.compile(pattern))
    assert rules.parse_rules(message, CONTEXT).intent is not Intent.HELP


def test_put_it_back_after_a_task_still_to_finish_reopens_it(monkeypatch: pytest.MonkeyPatch) -> None:
    said = rules.parse("there's still some paint left on the gate latch, put it back", CONTEXT)
    assert (said.intent, _ref(said)) == (Intent.REOPEN, "gate latch")
    message = "there's still a smear on the cake, put that one back"
    said = rules.parse(message, CONTEXT)
    assert (said.intent, _ref(said)) == (Intent.REOPEN, "cake")
    assert rules.parse("i deleted the cake by mistake, put it back", CONTEXT).intent is Intent.UNDO
    assert rules.parse("put that one back", CONTEXT).intent is Intent.UNDO
    monkeypatch.setattr(rules, "taken_back", lambda message, context, intent: intent)
    assert rules.parse(message, CONTEXT).intent is Intent.UNDO


# ---- add titles ----


@pytest.mark.parametrize(
    ("message", "title"),
    [
        ("i need to get the gate latch looked at, it's urgent", "get the gate latch looked at"),
        ("add get the car tax sorted out", "get the car tax sorted out"),
    ],
)
def test_a_last_particle_ends_the_title_verb(
    message: str, title: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from todo_chatbot.nlu import title_tagger

    assert rules.parse(message, CONTEXT).title == title
    # not after a word that is no participle: "on" in "put 'ring the caterer' on for friday" is cut
    assert rules.parse("put 'ring the caterer' on for friday", CONTEXT).title == "ring the caterer"
    monkeypatch.setattr(title_tagger, "PARTICLES", frozenset())
    assert rules.parse("i need to get the gate latch looked at, it's urgent", CONTEXT).title == (
        "get the gate latch looked"
    )


@pytest.mark.parametrize(
    "message", ["the cake order is undne", "the car tax is unfinsihed", "the gate latch is uncheked"]
)
def test_a_typo_of_undone_is_never_a_completion(message: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The classifier guessed a completion for each (asked first; the yes completed it)."""
    assert rules.parse(message, CONTEXT).intent is Intent.REOPEN
    assert rules.parse("the cake order is completed", CONTEXT).intent is Intent.COMPLETE  # no typo of undone
    hem = NLUContext(today=TODAY, vocabulary=frozenset({"unpick", "the", "hem"}))
    assert rules.parse("the hem is unpicked", hem).intent is Intent.COMPLETE  # a title word, not "unticked"
    monkeypatch.setattr(arbiter, "load", lambda: _Sure("complete"))
    assert rules.parse(message, CONTEXT).intent is Intent.REOPEN
    monkeypatch.setattr(rules, "_typed_undone", lambda said, context: False)
    assert rules.parse(message, CONTEXT).intent is Intent.COMPLETE
