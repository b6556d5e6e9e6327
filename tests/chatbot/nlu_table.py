"""Loading and checking the NLU table (nlu_cases.yaml): shared by the pytest table and the LLM evaluation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

CASES_FILE = Path(__file__).with_name("nlu_cases.yaml")
FIELDS = ("title", "due_date", "priority", "completed")
DEFAULTS = {"due_date": None, "priority": "medium", "completed": False}


def load_cases(path: Path = CASES_FILE) -> list[dict[str, Any]]:
    """Every case with its setup tasks spelled out and the file's defaults applied."""
    data = yaml.load(path.read_text(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506 - safe
    cases = []
    for case in data["cases"]:
        case = {**data["defaults"], **case}
        case["setup_tasks"] = data["setups"][case.get("setup", "none")]
        cases.append(case)
    return cases


def _view(task: dict[str, Any]) -> dict[str, Any]:
    return {k: task[k] for k in FIELDS}


def expected_tasks(case: dict[str, Any], before: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    """The user's tasks the case expects after its message, given the tasks just before it."""
    expected = {t["number"]: _view(t) for t in before}
    for number in case.get("deleted", []):
        assert number in expected, f"case {case['id']}: deletes #{number}, which the setup does not have"
        del expected[number]
    for number, changes in (case.get("changed") or {}).items():
        expected[int(number)] = {**expected[int(number)], **changes}
    for task in case.get("created", []):
        expected[task["number"]] = {**DEFAULTS, **{k: v for k, v in task.items() if k != "number"}}
    return expected


def problems(
    case: dict[str, Any], reply: dict[str, Any], before: list[dict[str, Any]], after: list[dict[str, Any]]
) -> list[str]:
    """What differs from the case's expectations (empty when the case passes)."""
    found = []
    if reply["intent"] != case["intent"]:
        found.append(f"intent {reply['intent']!r}, expected {case['intent']!r}")
    want = expected_tasks(case, before)
    got = {t["number"]: _view(t) for t in after}
    if got != want:
        found.append(f"tasks afterwards {got}, expected {want}")
    actions = {a["type"]: a for a in reply["actions"]}
    if "listed" in case and actions.get("listed", {}).get("task_numbers") != case["listed"]:
        found.append(f"listed {actions.get('listed')}, expected task numbers {case['listed']}")
    if "count" in case and actions.get("counted", {}).get("count") != case["count"]:
        found.append(f"counted {actions.get('counted')}, expected {case['count']}")
    for text in case.get("reply_has", []):
        if text.lower() not in reply["reply"].lower():
            found.append(f"reply {reply['reply']!r} does not mention {text!r}")
    return found
