"""Request and response bodies of the chat API."""

from __future__ import annotations

import re
from typing import Any

from pydantic import AwareDatetime, BaseModel, Field, field_validator

from todo_chatbot.nlu.rules import clean

_SURROGATE = re.compile("[\ud800-\udfff]")


class ChatRequest(BaseModel):
    message: str = Field(
        min_length=1, max_length=2000, description="What the user typed (at most 2000 characters)"
    )
    conversation_id: str | None = Field(default=None, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    client_time: AwareDatetime | None = Field(
        default=None,
        description="The user's local time, ISO 8601 with offset; relative dates resolve against it",
    )

    @field_validator("message")
    @classmethod
    def not_blank(cls, value: str) -> str:
        if _SURROGATE.search(value):  # JSON "\ud800": not text any database or UTF-8 can hold
            raise ValueError("message must be valid Unicode text (it contains a lone surrogate)")
        if not clean(value):
            raise ValueError("message is empty once whitespace and control characters are removed")
        return value


class ChatAction(BaseModel):
    model_config = {"extra": "allow"}  # listed/counted/cleared carry task_numbers or count
    type: str
    task_number: int | None = None
    task: dict[str, Any] | None = None


class ChatResponse(BaseModel):
    reply: str
    conversation_id: str
    intent: str
    actions: list[ChatAction]
