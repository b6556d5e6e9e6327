"""A small trained intent classifier (issue 11 item 3: "a small model trained on many example phrasings, kept
deterministic, fast and offline"), used beside the rules (`rules.parse`), never instead of them for the parts
rules do exactly (references, numbers, dates, the destructive-action guard).

Model: multinomial logistic regression over sparse binary features of the message — word unigrams and bigrams
(with the user's own title words also seen as `<t>`, dates as `<date>`, numbers as `<num>`, so "watered the
plants" and "fixed the bike" look alike) and character trigrams of each word (typos). Trained offline with
scikit-learn on the development phrasings and the NLU table (`services/chatbot/training/train_intent.py`);
the weights ship as `intent_model.json` and are applied here with a plain sparse dot product: no numpy,
nothing added to the image but the JSON, ~0.1 ms a message.

`features()` is the one definition of the features, used by the training script and at run time."""

from __future__ import annotations

import itertools
import json
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Protocol

from todo_chatbot.nlu.stems import stem

MODEL_FILE = Path(__file__).with_name("intent_model.json")
MAX_WORDS = 40  # a message's first 40 words decide its intent (bounds the work on a 2,000-character message)

_DATE_WORDS = frozenset(
    "today tonight tomorrow tmrw tmr tomorow yesterday monday tuesday wednesday thursday friday saturday"
    " sunday weekend week month january february march april may june july august september october november"
    " december jan feb mar apr jun jul aug sep sept oct nov dec".split()
)
_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?|[?!:#-]")


def tokens(message: str) -> list[str]:
    text = message.lower().replace("\u2019", "'").replace("\u2018", "'")
    return _TOKEN.findall(text)[:MAX_WORDS]


def features(message: str, vocabulary: frozenset[str]) -> set[str]:
    """The sparse binary features of a message; `vocabulary` is the user's title words (lower case)."""
    words = tokens(message)
    title_stems = {stem(w) for w in vocabulary}
    masked: list[str] = []
    for w in words:
        if w.isdigit() or re.fullmatch(r"\d+(st|nd|rd|th)", w):
            masked.append("<num>")
        elif w in _DATE_WORDS:
            masked.append("<date>")
        elif w.isalpha() and len(w) > 2 and stem(w) in title_stems:
            masked.append("<t>")
        else:
            masked.append(w)
    out: set[str] = set()
    seq = ["<s>", *masked, "</s>"]
    for a, b in itertools.pairwise(seq):
        out.add(f"b:{a} {b}")
    for w, m in zip(words, masked, strict=True):
        out.add(f"w:{w}")
        out.add(f"m:{m}")
        if w.isalpha() and len(w) > 2:
            padded = f"<{w}>"
            out.update(f"c:{padded[i : i + 3]}" for i in range(len(padded) - 2))
    out.add(f"n:{min(len(words), 12)}")
    return out


@dataclass(frozen=True)
class Prediction:
    intent: str
    probability: float
    runner_up: str
    margin: float  # probability of the best less that of the runner-up


class Classifier(Protocol):
    def predict(self, message: str, vocabulary: frozenset[str] = ...) -> Prediction: ...


class IntentClassifier:
    def __init__(self, model: dict[str, object]) -> None:
        self.classes: list[str] = list(model["classes"])  # type: ignore[call-overload]
        self.intercept: list[float] = list(model["intercept"])  # type: ignore[call-overload]
        # feature -> [(class index, weight)]
        self.weights: dict[str, list[tuple[int, float]]] = {
            f: [(int(i), float(w)) for i, w in row]
            for f, row in model["weights"].items()  # type: ignore[attr-defined]
        }
        self.training_hash = int(model.get("training_hash", 0))  # type: ignore[call-overload]

    def predict(self, message: str, vocabulary: frozenset[str] = frozenset()) -> Prediction:
        every = features(message, vocabulary)
        found = [f for f in every if f in self.weights]
        scale = 1 / math.sqrt(len(every)) if every else 0.0  # the vectors are L2-normalised, as in training
        scores = list(self.intercept)
        for f in found:
            for i, w in self.weights[f]:
                scores[i] += w * scale
        top = max(scores)
        exp = [math.exp(s - top) for s in scores]
        total = sum(exp)
        probs = sorted(((e / total, c) for e, c in zip(exp, self.classes, strict=True)), reverse=True)
        return Prediction(probs[0][1], probs[0][0], probs[1][1], probs[0][0] - probs[1][0])


def read_weights(path: Path, trainer: str) -> dict:
    """A trained model's JSON; a missing file names the training script that writes it."""
    try:
        return dict(json.loads(path.read_text()))
    except FileNotFoundError as exc:
        raise FileNotFoundError(
            f"{path} is missing: train it with `.venv/bin/python services/chatbot/training/{trainer}`"
        ) from exc


@lru_cache(maxsize=4)
def load(path: Path = MODEL_FILE) -> IntentClassifier:
    return IntentClassifier(read_weights(path, "train_intent.py"))
