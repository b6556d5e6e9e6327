"""Which of the user's tasks a reference names. Pure functions over the task list the backend returned."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from todo_chatbot.backend import Task
from todo_chatbot.nlu.fuzzy import similar
from todo_chatbot.nlu.intent import NLUContext, TaskRef

_STOPWORDS = {
    "the",
    "a",
    "an",
    "my",
    "one",
    "task",
    "todo",
    "item",
    "to",
    "for",
    "of",
    "on",
    "and",
    "that",
    "this",
    "with",
    "about",
    "called",
    "named",
    "titled",
    "thing",
    "is",
    "as",
}


@dataclass
class Resolution:
    task: Task | None = None
    candidates: list[Task] = field(default_factory=list)  # several tasks matched: ask which
    missing: bool = False  # no reference given (or "it" with nothing before): ask which
    problem: str | None = None  # a reference that names no task


def _tokens(text: str) -> list[str]:
    return [t for t in re.findall(r"[\w']+", text.lower()) if t not in _STOPWORDS]


def match_title(words: str, tasks: list[Task]) -> list[Task]:
    """Tasks whose title contains every significant word of `words`, each allowing a small typo."""
    query = _tokens(words)
    if not query:
        return []
    found = []
    for task in tasks:
        title = re.findall(r"[\w']+", task["title"].lower())
        if all(any(similar(q, t) for t in title) for q in query):
            found.append(task)
    exact = [t for t in found if " ".join(_tokens(t["title"])) == " ".join(query)]
    return exact if len(exact) == 1 else found


def resolve(
    ref: TaskRef | None,
    tasks: list[Task],
    context: NLUContext,
    prefer: Literal["pending", "completed"] | None = None,
) -> Resolution:
    by_number = {t["number"]: t for t in tasks}
    if ref is None:
        return Resolution(missing=True)
    if ref.number is not None:
        task = by_number.get(ref.number)
        return Resolution(task=task) if task else Resolution(problem=f"You don't have a task #{ref.number}.")
    if ref.pronoun:
        if context.last_task_number is None:
            return Resolution(missing=True)
        task = by_number.get(context.last_task_number)
        if task is None:
            return Resolution(problem=f"Task #{context.last_task_number} doesn't exist any more.")
        return Resolution(task=task)
    if ref.ordinal is not None:
        # a position means one in the list the user was shown (as shown: a task deleted since does not shift
        # the others up); with no list shown it would be a guess
        order = context.listed_numbers
        if not order:
            return Resolution(missing=True)
        index = ref.ordinal - 1 if ref.ordinal > 0 else len(order) + ref.ordinal
        if not 0 <= index < len(order):
            return Resolution(problem=f"The last list had no task number {ref.ordinal}.")
        task = by_number.get(order[index])
        return (
            Resolution(task=task)
            if task
            else Resolution(problem=f"Task #{order[index]} doesn't exist any more.")
        )
    matches = match_title(ref.words or "", tasks)
    if prefer is not None and len(matches) > 1:
        # "mark milk done" with one pending and one done milk task names the pending one
        wanted = [t for t in matches if t["completed"] == (prefer == "completed")]
        if len(wanted) == 1:
            matches = wanted
    if not matches:
        return Resolution(problem=f"I couldn't find a task matching '{ref.words}'.")
    if len(matches) > 1:
        return Resolution(candidates=matches)
    return Resolution(task=matches[0])
