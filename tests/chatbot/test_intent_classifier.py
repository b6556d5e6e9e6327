"""The trained intent classifier (nlu/classifier.py) and how it is combined with the rules (nlu/arbiter.py):
its weights are present and trained on the current development data (never on a held-out case), the
pure-Python dot product gives scikit-learn's probabilities, and what it reads is still behind the
destructive-action guard.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from todo_chatbot.chat import ChatService, undo_destroys
from todo_chatbot.nlu import arbiter, classifier
from todo_chatbot.nlu.classifier import IntentClassifier, Prediction
from todo_chatbot.nlu.intent import Intent, NLUContext
from todo_chatbot.nlu.rules import RulesProvider, parse_rules

from . import realistic
from .test_no_destruction_on_a_guess import FakeBackend, FakeStore, make_tasks

TRAINING = Path(__file__).resolve().parents[2] / "services" / "chatbot" / "training"
sys.path.insert(0, str(TRAINING))
import train_intent  # noqa: E402

# ---- the weights: present, current, trained on development data only ----


def test_the_shipped_weights_match_the_training_data() -> None:
    assert train_intent.stale() is None


def test_stale_weights_are_detected(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Shown able to fail: a development case added after training, and weights from other data."""
    copy = tmp_path / "intent_model.json"
    copy.write_text(classifier.MODEL_FILE.read_text())
    assert train_intent.stale(copy) is None
    dev = realistic.load_cases(split="dev")
    extra = {**dev[0], "id": "later", "message": "a phrasing written after training", "intent": "add"}
    monkeypatch.setattr(train_intent.realistic, "load_cases", lambda split=None: [*dev, extra])
    assert "stale" in (train_intent.stale(copy) or "")
    monkeypatch.undo()
    model = json.loads(copy.read_text())
    copy.write_text(json.dumps({**model, "training_hash": 0}))
    assert "stale" in (train_intent.stale(copy) or "")
    copy.unlink()
    assert "missing" in (train_intent.stale(copy) or "")


def test_a_missing_weights_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"train_intent\.py"):
        classifier.load(tmp_path / "intent_model.json")


def test_no_held_out_case_is_training_data() -> None:
    """The examples are exactly the development cases and the NLU table; no message of the sealed second,
    third, fourth, fifth or sixth held-out set is among them. (Five round-1 held-out messages also occur,
    word for word, as development or table cases written earlier: "what do I still need to do?" and four
    more; they are trained on as those cases.)"""
    examples = train_intent.examples()
    dev = realistic.load_cases(split="dev")
    table = train_intent.nlu_table.load_cases()
    assert [m for m, _, _ in examples] == [c["message"] for c in dev] + [c["message"] for c in table]
    trained = {message for message, _, _ in examples}
    held = realistic.load_cases(split="heldout2")
    assert len(held) == 178
    assert not [c["id"] for c in held if c["message"] in trained]
    held3 = realistic.load_cases(split="heldout3")  # round 4's sealed set
    assert len(held3) >= 150
    assert not [c["id"] for c in held3 if c["message"].casefold() in {m.casefold() for m in trained}]
    held4 = realistic.load_cases(split="heldout4")  # round 5's sealed set
    assert len(held4) == 172
    assert not [c["id"] for c in held4 if c["message"].casefold() in {m.casefold() for m in trained}]
    held5 = realistic.load_cases(split="heldout5")  # round 6's sealed set
    assert len(held5) == 172
    assert not [c["id"] for c in held5 if c["message"].casefold() in {m.casefold() for m in trained}]
    held6 = realistic.load_cases(split="heldout6")  # round 7's sealed set
    assert len(held6) == 172
    assert not [c["id"] for c in held6 if c["message"].casefold() in {m.casefold() for m in trained}]
    held7 = realistic.load_cases(split="heldout7")  # round 8's sealed set
    assert len(held7) == 172
    assert not [c["id"] for c in held7 if c["message"].casefold() in {m.casefold() for m in trained}]
    held8 = realistic.load_cases(split="heldout8")  # round 9's sealed set
    assert len(held8) == 172
    assert not [c["id"] for c in held8 if c["message"].casefold() in {m.casefold() for m in trained}]
    held9 = realistic.load_cases(split="heldout9")  # round 10's sealed set
    assert len(held9) == 172
    assert not [c["id"] for c in held9 if c["message"].casefold() in {m.casefold() for m in trained}]
    held10 = realistic.load_cases(split="heldout10")  # round 11's sealed set
    assert len(held10) == 172
    assert not [c["id"] for c in held10 if c["message"].casefold() in {m.casefold() for m in trained}]
    held11 = realistic.load_cases(split="heldout11")  # round 12's, written blind
    assert len(held11) == 199
    assert not [c["id"] for c in held11 if c["message"].casefold() in {m.casefold() for m in trained}]
    held12 = realistic.load_cases(split="heldout12")  # round 13's, written blind
    assert len(held12) == 200
    assert not [c["id"] for c in held12 if c["message"].casefold() in {m.casefold() for m in trained}]
    held13 = realistic.load_cases(split="heldout13")  # round 14's, written blind
    assert len(held13) == 200
    assert not [c["id"] for c in held13 if c["message"].casefold() in {m.casefold() for m in trained}]
    held14 = realistic.load_cases(split="heldout14")  # round 15's, written blind
    assert len(held14) == 200
    assert not [c["id"] for c in held14 if c["message"].casefold() in {m.casefold() for m in trained}]
    held15 = realistic.load_cases(split="heldout15")  # round 16's, written blind
    assert len(held15) == 200
    assert not [c["id"] for c in held15 if c["message"].casefold() in {m.casefold() for m in trained}]
    held16 = realistic.load_cases(split="heldout16")  # round 16's second, written blind
    assert len(held16) == 200
    assert not [c["id"] for c in held16 if c["message"].casefold() in {m.casefold() for m in trained}]
    held17 = realistic.load_cases(split="heldout17")  # round 17's first, written blind
    assert len(held17) == 200
    assert not [c["id"] for c in held17 if c["message"].casefold() in {m.casefold() for m in trained}]
    held18 = realistic.load_cases(split="heldout18")  # round 17's second, written blind
    assert len(held18) == 200
    assert not [c["id"] for c in held18 if c["message"].casefold() in {m.casefold() for m in trained}]
    assert not {c["id"] for c in dev} & {c["id"] for c in realistic.load_cases(split="heldout")}


# ---- the run-time dot product ----


def test_the_pure_python_dot_product_gives_scikit_learns_probabilities() -> None:
    from scipy.sparse import csr_matrix
    from sklearn.linear_model import LogisticRegression

    data = train_intent.examples()[:200]
    exported = IntentClassifier(train_intent.fit(data))
    # the same fit, kept in scikit-learn
    names: dict[str, int] = {}
    rows, cols, values = [], [], []
    for r, (message, _, vocab) in enumerate(data):
        feats = classifier.features(message, frozenset(vocab))
        for f in feats:
            rows.append(r)
            cols.append(names.setdefault(f, len(names)))
            values.append(len(feats) ** -0.5)
    model = LogisticRegression(C=train_intent.C, max_iter=5000, tol=1e-6).fit(
        csr_matrix((values, (rows, cols)), shape=(len(data), len(names))), [i for _, i, _ in data]
    )
    for message, _, vocab in data[:40]:
        known = [f for f in classifier.features(message, frozenset(vocab)) if f in names]
        total = len(classifier.features(message, frozenset(vocab)))
        x = csr_matrix(
            ([total**-0.5] * len(known), ([0] * len(known), [names[f] for f in known])), shape=(1, len(names))
        )
        probs = dict(zip(model.classes_, model.predict_proba(x)[0], strict=True))
        said = exported.predict(message, frozenset(vocab))
        assert said.intent == max(probs, key=probs.__getitem__)
        assert abs(said.probability - probs[said.intent]) < 0.02


def test_a_prediction_is_well_under_a_millisecond() -> None:
    model = classifier.load()
    message = "could you please push the quarterly report back to next friday, it can wait " * 30
    model.predict(message, frozenset({"send", "quarterly", "report"}))
    started = time.thread_time()
    for _ in range(200):
        model.predict(message, frozenset({"send", "quarterly", "report"}))
    assert (time.thread_time() - started) / 200 < 0.002


# ---- combined with the rules, behind the guard ----


class Says:
    """A stand-in classifier that is sure of one intent (for one message, or for all)."""

    def __init__(self, intent: str, probability: float = 0.99, only: str | None = None) -> None:
        self.said = Prediction(intent, probability, "unknown", probability)
        self.only = only

    def predict(self, message: str, vocabulary: frozenset[str] = frozenset()) -> Prediction:
        if self.only is not None and message != self.only:
            return Prediction("unknown", 0.99, "add", 0.98)
        return self.said


def context(vocabulary: set[str] = frozenset()) -> NLUContext:  # type: ignore[assignment]
    return NLUContext(today=date(2026, 11, 23), vocabulary=frozenset(vocabulary))


def test_the_rules_answer_stands_unless_they_found_nothing_or_the_classifier_is_very_sure() -> None:
    ctx = context({"buy", "milk"})
    ruled = parse_rules("delete task 1", ctx)
    assert arbiter.arbitrate("delete task 1", ctx, ruled, Says("list")).intent is Intent.DELETE
    nothing = parse_rules("the milk thing is history", ctx)
    assert nothing.intent is Intent.UNKNOWN
    read = arbiter.arbitrate("the milk thing is history", ctx, nothing, Says("delete"))
    assert read.intent is Intent.DELETE and read.ref is not None and read.ref.words == "milk"
    assert read.guessed and read.inferred
    unsure = arbiter.arbitrate("the milk thing is history", ctx, nothing, Says("delete", 0.2))
    assert unsure.intent is Intent.UNKNOWN
    # an answer to the bot's own question is never re-read
    asked = NLUContext(today=date(2026, 11, 23), awaiting="reference")
    answer = parse_rules("the milk one", asked)
    assert arbiter.arbitrate("the milk one", asked, answer, Says("add")) is answer


def run(backend: FakeBackend, model: Any, messages: list[str], monkeypatch: pytest.MonkeyPatch) -> list[str]:
    monkeypatch.setattr(arbiter, "load", lambda: model)
    service = ChatService(backend, FakeStore(), RulesProvider())  # type: ignore[arg-type]
    replies, conversation = [], None
    for message in messages:
        result = asyncio.run(service.handle("token", message, conversation, None))
        conversation = result.conversation_id
        replies.append(result.reply)
    return replies


def test_a_delete_the_classifier_read_asks_first(monkeypatch: pytest.MonkeyPatch) -> None:
    backend = FakeBackend(make_tasks(["Buy milk", "Paint the dome"], [False, False]))
    first = run(backend, Says("delete"), ["the milk thing is history"], monkeypatch)[0]
    assert backend.destroyed == [] and first.endswith("(yes/no)"), first
    backend = FakeBackend(make_tasks(["Buy milk", "Paint the dome"], [False, False]))
    run(backend, Says("delete"), ["the milk thing is history", "yes"], monkeypatch)
    assert backend.destroyed == [("delete", 1)]


def test_the_guard_is_what_stops_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """Seeded defect: the classifier's reading not marked as a guess; the delete then happens at once."""
    real_fill = arbiter.fill

    def unmarked(*args: Any) -> Any:
        out = real_fill(*args)
        if out is not None:
            out.guessed, out.inferred = None, False
        return out

    monkeypatch.setattr(arbiter, "fill", unmarked)
    backend = FakeBackend(make_tasks(["Buy milk", "Paint the dome"], [False, False]))
    run(backend, Says("delete"), ["the milk thing is history"], monkeypatch)
    assert backend.destroyed == [("delete", 1)]


def test_an_undo_the_classifier_read_asks_before_removing_an_added_task(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    vague = "meh, scrap what you just did"
    backend = FakeBackend(make_tasks(["Buy milk"], [False]))
    replies = run(backend, Says("undo", only=vague), ["add buy eggs", vague, "no"], monkeypatch)
    assert replies[1].endswith("(yes/no)") and sorted(backend.tasks) == [1, 2], replies
    backend = FakeBackend(make_tasks(["Buy milk"], [False]))
    run(backend, Says("undo", only=vague), ["add buy eggs", vague, "yes"], monkeypatch)
    assert sorted(backend.tasks) == [1]
    # the rules' own "undo" acts at once, as before
    backend = FakeBackend(make_tasks(["Buy milk"], [False]))
    run(backend, Says("undo", only=vague), ["add buy eggs", "undo"], monkeypatch)
    assert sorted(backend.tasks) == [1]


def test_an_explicit_command_is_not_overridden(monkeypatch: pytest.MonkeyPatch) -> None:
    ctx = context({"buy", "milk"})
    for message in ("add buy eggs", "show my tasks", "mark task 1 done", "rename task 1 to buy oat milk"):
        ruled = parse_rules(message, ctx)
        assert arbiter.arbitrate(message, ctx, ruled.model_copy(), Says("undo")).intent is ruled.intent


def test_undo_destroys_names_the_undos_that_remove_or_complete() -> None:
    tasks = [{"number": 1, "completed": False}]
    assert undo_destroys({"kind": "created", "tasks": [{"number": 2}]}, tasks)
    assert undo_destroys({"kind": "updated", "tasks": [{"number": 1, "completed": True}]}, tasks)
    assert not undo_destroys({"kind": "updated", "tasks": [{"number": 1, "completed": False}]}, tasks)
    assert not undo_destroys({"kind": "deleted", "tasks": [{"number": 3}]}, tasks)
