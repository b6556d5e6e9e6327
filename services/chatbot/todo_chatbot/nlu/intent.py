"""What every NLU provider returns (`ChatIntent`) and what it gets to work with (`NLUContext`)."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Literal, Protocol

from pydantic import BaseModel, Field

Priority = Literal["low", "medium", "high"]


class Intent(StrEnum):
    ADD = "add"
    LIST = "list"
    COUNT = "count"
    COMPLETE = "complete"
    REOPEN = "reopen"
    UPDATE = "update"
    DELETE = "delete"
    CLEAR_COMPLETED = "clear_completed"
    UNDO = "undo"  # reverse the last change made in this conversation
    HELP = "help"
    GREETING = "greeting"
    CONFIRM = "confirm"  # "yes" to a question the bot asked
    CANCEL = "cancel"  # "no" / "never mind"
    UNKNOWN = "unknown"


class TaskRef(BaseModel):
    """How the user named a task; exactly one of the fields is set."""

    number: int | None = None  # as said: "task 0" is reported as not existing, not rejected
    words: str | None = None  # words of the title, matched with typo tolerance
    pronoun: bool = False  # "it", "that one": the task of the previous turn
    ordinal: int | None = (
        None  # "the second one" (1-based), -1 for "the last one": position in the last list shown
    )
    # the number was picked out of other words ("ark task 1 done", "tsk 2"): a guess for destructive actions
    loose: bool = False


class ListFilter(BaseModel):
    status: Literal["all", "pending", "completed"] = "all"
    due: Literal["today", "tomorrow", "week", "next_week", "overdue"] | None = None
    priority: Priority | None = None
    on: date | None = None  # "what's due on friday", "anything on the 3rd": due that day
    # "what's due between now and sunday", "anything due by friday": due from today to that day (round 17)
    until: date | None = None


class ChatIntent(BaseModel):
    intent: Intent
    title: str | None = Field(default=None, max_length=2000)  # add: the title; update: the new title
    due_date: date | None = None
    clear_due_date: bool = False  # update: "remove the due date"
    due_shift_days: int | None = None  # update: "push it back two days" (from its due date, else today)
    priority: Priority | None = None
    # update: "the massage isn't urgent any more" — one step down from the task's own priority (high ->
    # medium, medium -> low; `priority` says low, the floor), decided when the task is known (round 16)
    priority_down: bool = False
    ref: TaskRef | None = None
    filter: ListFilter = Field(default_factory=ListFilter)
    # why an out-of-scope message was refused: "other_user" ("tasks of user 2"), "bulk_delete" ("delete all")
    refusal: Literal["other_user", "bulk_delete"] | None = None
    # problems the reply should mention, e.g. an unreadable date
    problem: str | None = None
    source: Literal["rules", "llm"] = "rules"  # actions proposed by an LLM need the user's confirmation
    # what had to be guessed to reach this intent ("'remote' read as 'remove'"): a destructive action asks
    guessed: str | None = None
    # inferred from a statement ("I already paid the rent"), not a command: no matching task means the
    # message was not about a task at all (answered as unknown, not "no such task")
    inferred: bool = False


class NLUContext(BaseModel):
    """What a provider may use: the user's local date (for relative dates) and the conversation so far."""

    today: date
    last_task_number: int | None = None
    listed_numbers: list[int] = Field(default_factory=list)
    awaiting: str | None = (
        None  # the question the bot asked last turn, if any ("reference", "title", "confirm")
    )
    # words of the user's task titles (lower case): never "corrected" into command words ("the dome")
    vocabulary: frozenset[str] = frozenset()


class NLUProvider(Protocol):
    name: str

    async def parse(self, message: str, context: NLUContext) -> ChatIntent: ...
