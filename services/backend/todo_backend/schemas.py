"""Request and response bodies. Unknown fields in a request are rejected (422 naming the field), so a
misspelt field ("priorty") is reported instead of silently ignored."""

from __future__ import annotations

import re
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Literal

from email_validator import EmailNotValidError, validate_email
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StringConstraints,
)
from typing_extensions import TypedDict  # pydantic needs this one before Python 3.12

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class Priority(StrEnum):
    low = "low"
    medium = "medium"
    high = "high"


class TaskStatus(StrEnum):
    pending = "pending"
    completed = "completed"
    all = "all"


def _normalise_email(value: str) -> str:
    try:
        # test_environment: addresses like someone@example.test are what test suites use.
        result = validate_email(value, check_deliverability=False, test_environment=True)
    except EmailNotValidError as exc:
        raise ValueError(f"not a valid email address: {exc}") from exc
    return result.normalized.lower()


def _iso_date(value: object) -> object:
    # Only the calendar form YYYY-MM-DD: no timestamps, datetimes or numbers that pydantic would coerce.
    if isinstance(value, str) and not _DATE.fullmatch(value):
        raise ValueError("due_date must be a date in the form YYYY-MM-DD")
    if not isinstance(value, str | date):
        raise ValueError("due_date must be a string YYYY-MM-DD or null")
    return value


_SURROGATE = re.compile("[\ud800-\udfff]")


def _no_nul(value: str) -> str:
    # PostgreSQL text cannot hold NUL; say so instead of failing in the database.
    if "\x00" in value:
        raise ValueError("must not contain NUL (\\x00) characters")
    return _no_surrogate(value)


def _no_surrogate(value: str) -> str:
    # JSON's "\ud800" escape decodes to a lone surrogate, which is not Unicode text: no database encoding,
    # UTF-8 or password hash can take it.
    if _SURROGATE.search(value):
        raise ValueError("must be valid Unicode text (it contains a lone surrogate, e.g. \\ud800)")
    return value


Email = Annotated[
    str, StringConstraints(max_length=320), AfterValidator(_no_surrogate), AfterValidator(_normalise_email)
]
Password = Annotated[str, StringConstraints(min_length=8, max_length=128), AfterValidator(_no_surrogate)]
Title = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500), AfterValidator(_no_nul)
]
Description = Annotated[str, StringConstraints(max_length=5000), AfterValidator(_no_nul)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200), AfterValidator(_no_nul)]
DueDate = Annotated[date, BeforeValidator(_iso_date)]


class Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SignupRequest(Request):
    email: Email
    password: Password
    name: Name | None = None


class LoginRequest(Request):
    email: Email
    password: Annotated[str, StringConstraints(min_length=1, max_length=128), AfterValidator(_no_surrogate)]


class PasswordChangeRequest(Request):
    current_password: Annotated[
        str, StringConstraints(min_length=1, max_length=128), AfterValidator(_no_surrogate)
    ]
    new_password: Password


class TaskCreate(Request):
    title: Title
    description: Description | None = None
    due_date: DueDate | None = None
    priority: Priority = Priority.medium


class TaskRestore(Request):
    """A deleted task put back under its own number (the chatbot's "undo"): its fields as they were."""

    title: Title
    description: Description | None = None
    due_date: DueDate | None = None
    priority: Priority = Priority.medium
    completed: StrictBool = False


class TaskUpdate(Request):
    """Partial update: only the fields present change; due_date or description null clears it.

    title, priority and completed cannot be null (their schema says so: default None only means absent).
    """

    # "= None" means absent, never a valid value: the schema stays non-nullable, so null gets a 422.
    title: Title = Field(default=None)  # type: ignore[assignment]
    description: Description | None = None
    due_date: DueDate | None = None
    priority: Priority = Field(default=None)  # type: ignore[assignment]
    completed: StrictBool = Field(default=None)  # type: ignore[assignment]


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    email: str
    name: str | None
    created_at: datetime


class TokenOut(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - the OAuth2 token type, not a secret
    user: UserOut


class TaskOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    number: int
    title: str
    description: str | None
    due_date: date | None
    priority: Priority
    completed: bool
    created_at: datetime
    updated_at: datetime


class TaskRow(TypedDict):
    """TaskOut's fields as a plain dict, in TaskOut's order, for the read endpoints: database rows are
    serialized by orjson straight to the same JSON as TaskOut, without building a model each."""

    number: int
    title: str
    description: str | None
    due_date: date | None
    priority: str
    completed: bool
    created_at: datetime
    updated_at: datetime


class ClearedOut(BaseModel):
    deleted: list[int]


class HealthOut(BaseModel):
    status: Literal["ok"] = "ok"
    service: Literal["backend"] = "backend"
    version: str
    environment: str
    log_level: str


class ReadyOut(BaseModel):
    status: Literal["ready"] = "ready"
    service: Literal["backend"] = "backend"
    # "unavailable": the database is away for every pod; this pod still serves (503 + Retry-After meanwhile)
    database: Literal["ok", "unavailable"] = "ok"
