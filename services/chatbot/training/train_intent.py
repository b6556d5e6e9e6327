"""Train the intent classifier (todo_chatbot/nlu/classifier.py) and write todo_chatbot/nlu/intent_model.json.

    .venv/bin/pip install -e 'services/chatbot[train]'     # scikit-learn: training only, not in the image
    .venv/bin/python services/chatbot/training/train_intent.py           # train, write the JSON
    .venv/bin/python services/chatbot/training/train_intent.py --check   # exit 1 if the JSON is stale
    .venv/bin/python services/chatbot/training/train_intent.py --cv 5    # k-fold over the development half

Training data: the development half of tests/chatbot/realistic_cases.yaml and the NLU table
(tests/chatbot/nlu_cases.yaml) — never a held-out case (`heldout`, `heldout2`, … `heldout8`).
Each example is the message, its expected intent and the words of the user's task titles at that moment
(the setup), because the features see title words as `<t>`. The JSON records a hash of the examples, so a
test fails when the cases change and the weights were not retrained.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "services" / "chatbot"))

from todo_chatbot.nlu.classifier import MODEL_FILE, features  # noqa: E402

from tests.chatbot import nlu_table, realistic  # noqa: E402

C = 16.0  # inverse regularisation (chosen by --cv on the development half)
MIN_WEIGHT = 0.01  # smaller weights are dropped from the JSON (no measurable change, a third of the size)
Example = tuple[str, str, tuple[str, ...]]  # message, intent, title words


def _vocabulary(setup_tasks: Sequence[dict[str, Any]]) -> tuple[str, ...]:
    return tuple(sorted({w for t in setup_tasks for w in re.findall(r"[\w']+", t["title"].lower())}))


def examples(dev_cases: Sequence[dict[str, Any]] | None = None) -> list[Example]:
    """(message, intent, title words) of every development case and every NLU-table case."""
    dev = realistic.load_cases(split="dev") if dev_cases is None else dev_cases
    out = [(c["message"], c["intent"], _vocabulary(c["setup_tasks"])) for c in dev]
    out += [(c["message"], c["intent"], _vocabulary(c["setup_tasks"])) for c in nlu_table.load_cases()]
    return out


def training_hash(data: Sequence[Example]) -> int:
    """A fingerprint of the training data (52 bits of its SHA-256, as a JSON number). A number, not a hex
    string: a quoted 64-character hex digest in the image's files looks like key material to the secret
    scans (detect-secrets' high-entropy rule and the image check), and 52 bits tell stale weights apart."""
    return int(hashlib.sha256(json.dumps(sorted(data)).encode()).hexdigest()[:13], 16)


def fit(data: Sequence[Example], c: float = C) -> dict[str, Any]:
    import numpy as np
    from scipy.sparse import csr_matrix
    from sklearn.linear_model import LogisticRegression

    names: dict[str, int] = {}
    rows, cols, values = [], [], []
    for r, (message, _, vocab) in enumerate(data):
        feats = sorted(features(message, frozenset(vocab)))
        for f in feats:
            rows.append(r)
            cols.append(names.setdefault(f, len(names)))
            values.append(1 / np.sqrt(len(feats)))
    x = csr_matrix((values, (rows, cols)), shape=(len(data), len(names)))
    y = [intent for _, intent, _ in data]
    model = LogisticRegression(C=c, max_iter=5000, tol=1e-6).fit(x, y)
    classes = [str(k) for k in model.classes_]
    weights: dict[str, list[list[float]]] = {}
    for f, j in sorted(names.items()):
        row = [[i, round(float(model.coef_[i, j]), 4)] for i in range(len(classes))]
        row = [[i, w] for i, w in row if abs(w) >= MIN_WEIGHT]
        if row:
            weights[f] = row
    return {
        "about": "intent classifier weights, written by services/chatbot/training/train_intent.py",
        "classes": classes,
        "intercept": [round(float(v), 4) for v in model.intercept_],
        "c": c,
        "training_examples": len(data),
        "training_hash": training_hash(data),
        "weights": weights,
    }


def stale(path: Path = MODEL_FILE) -> str | None:
    """Why the weights at `path` cannot be used with the current training data, or None."""
    if not path.exists():
        return f"{path.name} is missing: run {Path(__file__).name} to train it"
    have = json.loads(path.read_text()).get("training_hash")
    if have != training_hash(examples()):
        return (
            f"{path.name} is stale (the development cases or the NLU table changed since it was trained): "
            f"run {Path(__file__).name} to retrain"
        )
    return None


def write(model: dict[str, Any], path: Path = MODEL_FILE) -> None:
    path.write_text(json.dumps(model, separators=(",", ":"), sort_keys=True) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--check", action="store_true", help="exit 1 if intent_model.json is stale")
    parser.add_argument("--c", type=float, default=C, help="inverse regularisation")
    args = parser.parse_args()
    if args.check:
        if problem := stale():
            sys.exit(problem)
        print("intent_model.json matches the training data")
        return
    model = fit(examples(), args.c)
    write(model)
    size = MODEL_FILE.stat().st_size
    n, features_kept = model["training_examples"], len(model["weights"])
    print(f"{n} examples, {features_kept} features, {size / 1024:.0f} KiB -> {MODEL_FILE}")


if __name__ == "__main__":
    main()
