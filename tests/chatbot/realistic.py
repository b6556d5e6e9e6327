"""The realistic-phrasing evaluation (realistic_cases.yaml): loading, the fixed dev/held-out split, running
one case through POST /api/chat on the real backend, judging it by the tasks read back, the per-intent
summary.

Shared by tests/chatbot/test_realistic.py and benchmarks/chat_accuracy.py.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

CASES_FILE = Path(__file__).with_name("realistic_cases.yaml")
FIELDS = ("title", "due_date", "priority", "completed")
DEFAULTS = {"due_date": None, "priority": "medium", "completed": False}
Split = Literal["dev", "heldout", "heldout2", "heldout3", "heldout4", "heldout5"]
# Halves a case may name explicitly. "heldout" never: that half is the id hash of the phrasings written before
# the parser was changed (round 1). "heldout2" is the sealed second held-out set written by round 3 before its
# parser changes, "heldout3" the third, written by round 4 before its parser changes, "heldout4" the fourth,
# written by round 5 before its parser changes, "heldout5" the fifth, written by round 6 before its parser
# changes (test_realistic_split.py fixes the content of all four).
EXPLICIT_SPLITS = ("dev", "heldout2", "heldout3", "heldout4", "heldout5")
HELD_OUT = ("heldout", "heldout2", "heldout3", "heldout4", "heldout5")


def split_of(case_id: str) -> Split:
    """Fixed by the id alone, so adding or reordering cases never moves one between halves."""
    return "dev" if hashlib.sha256(case_id.encode()).digest()[0] % 2 == 0 else "heldout"


def load_cases(path: Path = CASES_FILE, split: Split | None = None) -> list[dict[str, Any]]:
    data = yaml.safe_load(path.read_text())
    cases = []
    for raw in data["cases"]:
        case = {**data["defaults"], **raw}
        case["setup_tasks"] = data["setups"][case["setup"]]
        explicit = raw.get("split")
        if explicit is not None and explicit not in EXPLICIT_SPLITS:
            raise ValueError(
                f"case {case['id']}: an explicit split can only be 'dev', 'heldout2', 'heldout3', 'heldout4' "
                "or 'heldout5' (the first held-out half is the id hash of the round-1 cases)"
            )
        case["split"] = explicit or split_of(case["id"])
        if split is None or case["split"] == split:
            cases.append(case)
    return cases


def norm_title(title: str) -> str:
    """Case, the articles a/an/the, quotes and a final full stop do not count."""
    words = re.sub(r"[.!?'\"]+$", "", title.casefold().strip()).split()
    return " ".join(w for w in words if w not in ("a", "an", "the"))


def _view(task: dict[str, Any]) -> dict[str, Any]:
    view = {k: task[k] for k in FIELDS}
    view["title"] = norm_title(view["title"])
    return view


def expected_tasks(case: dict[str, Any], before: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    expected = {t["number"]: _view(t) for t in before}
    for number in case.get("deleted", []):
        assert number in expected, f"case {case['id']}: deletes #{number}, which it does not have"
        del expected[number]
    for number, changes in (case.get("changed") or {}).items():
        expected[int(number)] = {**expected[int(number)], **changes}
        if "title" in changes:
            expected[int(number)]["title"] = norm_title(changes["title"])
    for task in case.get("created", []):
        spec = {**DEFAULTS, **{k: v for k, v in task.items() if k != "number"}}
        expected[task["number"]] = {**spec, "title": norm_title(spec["title"])}
    return expected


@dataclass
class Outcome:
    case: dict[str, Any]
    problems: list[str] = field(default_factory=list)
    # tasks deleted or completed that the case does not expect to be: a destructive action on a wrong guess
    wrongly_destroyed: list[int] = field(default_factory=list)
    replies: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def destroyed(before: list[dict[str, Any]], after: list[dict[str, Any]]) -> set[int]:
    """Numbers of tasks deleted, or marked done, between two readings."""
    now = {t["number"]: t for t in after}
    return {
        t["number"]
        for t in before
        if t["number"] not in now or (now[t["number"]]["completed"] and not t["completed"])
    }


Chat = Callable[[str, str | None], Awaitable[dict[str, Any]]]
Tasks = Callable[[], Awaitable[list[dict[str, Any]]]]


async def run_case(case: dict[str, Any], chat: Chat, tasks: Tasks) -> Outcome:
    """`chat(message, conversation_id)` posts to /api/chat as the case's user; `tasks()` reads theirs back."""
    outcome = Outcome(case)
    conversation = None
    for message in case.get("before", []):
        conversation = (await chat(message, conversation))["conversation_id"]
    before = await tasks()
    reply = await chat(case["message"], conversation)
    outcome.replies.append(reply["reply"])
    if reply["intent"] != case["intent"]:
        outcome.problems.append(f"intent {reply['intent']!r}, expected {case['intent']!r}")
    first = await tasks()
    if case.get("asks"):
        if {t["number"]: _view(t) for t in first} != {t["number"]: _view(t) for t in before}:
            outcome.problems.append("acted at once; expected a question first")
        if not reply["reply"].rstrip().endswith(("?", "(yes/no)")):
            outcome.problems.append("did not ask")
    actions = {a["type"]: a for a in reply["actions"]}
    if "listed" in case and actions.get("listed", {}).get("task_numbers") != case["listed"]:
        outcome.problems.append(f"listed {actions.get('listed')}, expected {case['listed']}")
    if "count" in case and actions.get("counted", {}).get("count") != case["count"]:
        outcome.problems.append(f"counted {actions.get('counted')}, expected {case['count']}")
    for text in case.get("reply_has", []):
        if text.lower() not in reply["reply"].lower():
            outcome.problems.append(f"reply does not mention {text!r}")
    after = first
    for message in case.get("then", []):
        reply = await chat(message, reply["conversation_id"])
        outcome.replies.append(reply["reply"])
        after = await tasks()
    want = expected_tasks(case, before)
    got = {t["number"]: _view(t) for t in after}
    if got != want:
        diff = {
            n: (got.get(n), want.get(n)) for n in sorted(set(got) | set(want)) if got.get(n) != want.get(n)
        }
        outcome.problems.append(f"tasks (got, expected): {diff}")
    allowed = destroyed(before, [{"number": n, **v} for n, v in want.items()])
    outcome.wrongly_destroyed = sorted((destroyed(before, first) | destroyed(before, after)) - allowed)
    return outcome


def summary(outcomes: Sequence[Outcome]) -> dict[str, tuple[int, int]]:
    """intent -> (right, total), plus 'all'."""
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for o in outcomes:
        for key in (o.case["intent"], "all"):
            counts[key][0] += o.ok
            counts[key][1] += 1
    return {k: (v[0], v[1]) for k, v in counts.items()}


def format_table(columns: dict[str, Sequence[Outcome]]) -> str:
    """Markdown: one row per expected intent, one column per label (e.g. 'rules dev')."""
    tables = {label: summary(outcomes) for label, outcomes in columns.items()}
    intents = [*sorted({k for t in tables.values() for k in t if k != "all"}), "all"]
    rows = ["| intent | " + " | ".join(tables) + " |", "|---|" + "---|" * len(tables)]
    for intent in intents:
        cells = []
        for t in tables.values():
            right, total = t.get(intent, (0, 0))
            cells.append(f"{right}/{total} ({100 * right / total:.0f} %)" if total else "-")
        rows.append(f"| {intent} | " + " | ".join(cells) + " |")
    unsafe = [str(sum(bool(o.wrongly_destroyed) for o in outcomes)) for outcomes in columns.values()]
    rows.append("| destructive action on a wrong guess | " + " | ".join(unsafe) + " |")
    return "\n".join(rows)
