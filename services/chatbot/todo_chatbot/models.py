"""The chatbot's own tables (conversation context, rate-limit counters); the migrations create them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def _now() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    pass


class Conversation(Base):
    __tablename__ = "chatbot_conversations"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(64), index=True)
    last_task_number: Mapped[int | None] = mapped_column(Integer)
    listed_numbers: Mapped[list[int] | None] = mapped_column(JSON)
    pending: Mapped[dict[str, Any] | None] = mapped_column(
        JSON
    )  # a question the bot asked and the intent it completes
    # the last change made in this conversation, for "undo": {"kind": created|deleted|updated, "tasks": [...]}
    last_change: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    turns: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=_now, onupdate=_now, index=True
    )


class ChatMessage(Base):
    __tablename__ = "chatbot_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("chatbot_conversations.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    intent: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)


class RateLimitCounter(Base):
    __tablename__ = "chatbot_rate_limits"

    key: Mapped[str] = mapped_column(String(400), primary_key=True)
    window_start: Mapped[int] = mapped_column(Integer)
    hits: Mapped[int] = mapped_column(Integer)
