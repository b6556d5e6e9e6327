"""k-fold cross-validation of the intent decision over the development half only (never a held-out case):
for each fold, the classifier is trained on the other folds plus the NLU table and the fold's cases are read
by (a) the rules alone, (b) the classifier alone, (c) both (nlu/arbiter.py). Intent only, in-process (no
backend): the end-to-end figure is benchmarks/chat_accuracy.py's.

    .venv/bin/python services/chatbot/training/cross_validate.py [--folds 5] [--c 8] [--accept 0.5]
                                                                   [--override 0.85] [--show]

The rules were tuned on the round-1/2 development cases, so on those (a) is in-sample; the round-3 cases
(`r3d-*`, then `r3e-*`) were written before the round-3 changes made for them, so run on the parser as it was
then they are out-of-sample for the rules as well (README, "Accuracy, round 3"); so are round 4's `r4d-*`
(then `r4e-*`, `r4f-*`, `r4g-*`, `r4k-*`) on the parser before round 4. The table shows each subset.
`--show` prints the cases where (c) is wrong (development cases only).
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import train_intent
from todo_chatbot.nlu import arbiter
from todo_chatbot.nlu.classifier import IntentClassifier
from todo_chatbot.nlu.intent import NLUContext
from todo_chatbot.nlu.rules import parse_rules

from tests.chatbot import realistic

# development batches of rounds 3 to 6
ROUND_BATCHES = (
    *("r3d-", "r3e-"),
    *("r4d-", "r4e-", "r4f-", "r4g-", "r4k-"),
    *("r5a-", "r5b-", "r5c-", "r5d-", "r5e-", "r5f-"),
    *("r6a-", "r6b-", "r6c-"),
)


def fold_of(case_id: str, folds: int) -> int:
    return hashlib.sha256(("fold:" + case_id).encode()).digest()[0] % folds


def context(case: dict[str, Any]) -> NLUContext:
    today = datetime.fromisoformat(case["client_time"]).date()
    return NLUContext(today=today, vocabulary=frozenset(train_intent._vocabulary(case["setup_tasks"])))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--c", type=float, default=train_intent.C)
    parser.add_argument("--accept", type=float, default=arbiter.ACCEPT_WHEN_UNKNOWN)
    parser.add_argument("--override", type=float, default=arbiter.OVERRIDE)
    parser.add_argument("--weak", type=float, default=arbiter.OVERRIDE_WEAK_REFERENCE)
    parser.add_argument("--show", action="store_true")
    args = parser.parse_args()
    arbiter.ACCEPT_WHEN_UNKNOWN, arbiter.OVERRIDE = args.accept, args.override
    arbiter.OVERRIDE_WEAK_REFERENCE = args.weak
    dev = realistic.load_cases(split="dev")
    right: Counter[str] = Counter()
    total: Counter[str] = Counter()
    shown = []
    for k in range(args.folds):
        train = [c for c in dev if fold_of(c["id"], args.folds) != k]
        test = [c for c in dev if fold_of(c["id"], args.folds) == k]
        model = IntentClassifier(train_intent.fit(train_intent.examples(train), args.c))
        for case in test:
            ctx = context(case)
            subset = case["id"][:3] if case["id"].startswith(ROUND_BATCHES) else "r1-2"
            ruled = parse_rules(case["message"], ctx)
            said = model.predict(case["message"], ctx.vocabulary)
            both = arbiter.arbitrate(case["message"], ctx, ruled.model_copy(deep=True), model)
            for group in (subset, "all"):
                total[group] += 1
                right[(group, "rules")] += ruled.intent.value == case["intent"]
                right[(group, "classifier")] += said.intent == case["intent"]
                right[(group, "both")] += both.intent.value == case["intent"]
            if both.intent.value != case["intent"] or (
                ruled.intent.value == case["intent"] and both.intent != ruled.intent
            ):
                shown.append(
                    f"- {case['id']}: {case['message']!r} expected {case['intent']};"
                    f" rules {ruled.intent.value}, classifier {said.intent} ({said.probability:.2f}),"
                    f" both {both.intent.value}"
                )
    print(f"{args.folds}-fold, C={args.c}, accept {args.accept}, override {args.override}, weak {args.weak}")
    print("| cases | n | rules | classifier | rules + classifier |\n|---|---|---|---|---|")
    for group in ("r1-2", *(b[:3] for b in ROUND_BATCHES), "all"):
        n = total[group]
        cells = [
            f"{right[(group, w)]}/{n} ({100 * right[(group, w)] / n:.0f} %)"
            for w in ("rules", "classifier", "both")
        ]
        print(f"| {group} | {n} | " + " | ".join(cells) + " |")
    if args.show:
        print("\n".join(shown))


if __name__ == "__main__":
    main()
