"""The conversation store: context of each conversation (last task, last list, a pending question, the last
change for undo) and its bounded history, in the chatbot's own tables."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from todo_chatbot.models import ChatMessage, Conversation

# retention: the newest MAX_TURNS turns (user message + reply) of a conversation are kept, replies cut to
# MAX_STORED_REPLY characters (a listing can be long); a conversation idle for TTL is forgotten
MAX_TURNS = 50
MAX_STORED_REPLY = 500
TTL = timedelta(days=30)
PRUNE_EVERY_TURNS = 10
EXPIRE_EVERY_SECONDS = 600.0


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)  # SQLite returns naive values


@dataclass
class ConversationState:
    id: str
    is_new: bool
    last_task_number: int | None = None
    listed_numbers: list[int] = field(default_factory=list)
    pending: dict[str, Any] | None = None
    last_change: dict[str, Any] | None = None


class ConversationStore:
    def __init__(self, engine: AsyncEngine, max_turns: int = MAX_TURNS, ttl: timedelta = TTL) -> None:
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)
        self.max_turns = max_turns
        self.ttl = ttl
        self._last_expiry = 0.0

    async def load(self, user_id: str, conversation_id: str | None) -> ConversationState:
        """The user's conversation; an unknown id, or another user's, starts a new one."""
        return self.owned_by(user_id, await self.find(conversation_id))

    async def find(self, conversation_id: str | None) -> tuple[str, ConversationState] | None:
        """A conversation and its owner's user id, whoever owns it (check with `owned_by`)."""
        if not conversation_id:
            return None
        async with self._sessions() as session:
            row = await session.get(Conversation, conversation_id)
        if row is None or _aware(row.updated_at) < _now() - self.ttl:
            return None  # an expired conversation starts afresh (expire() deletes it)
        state = ConversationState(
            row.id, False, row.last_task_number, list(row.listed_numbers or []), row.pending, row.last_change
        )
        return row.user_id, state

    @staticmethod
    def owned_by(user_id: str, found: tuple[str, ConversationState] | None) -> ConversationState:
        if found is not None and found[0] == user_id:
            return found[1]
        return ConversationState(str(uuid.uuid4()), True)

    async def save(
        self, user_id: str, state: ConversationState, message: str, reply: str, intent: str
    ) -> None:
        async with self._sessions.begin() as session:
            row = None if state.is_new else await session.get(Conversation, state.id)
            if row is None:
                row = Conversation(id=state.id, user_id=user_id, turns=0)
                session.add(row)
            row.last_task_number = state.last_task_number
            row.listed_numbers = state.listed_numbers
            row.pending = state.pending
            row.last_change = state.last_change
            row.turns = (row.turns or 0) + 1
            row.updated_at = _now()
            await session.flush()
            session.add_all(
                [
                    ChatMessage(conversation_id=state.id, role="user", text=message, intent=intent),
                    ChatMessage(conversation_id=state.id, role="bot", text=reply[:MAX_STORED_REPLY]),
                ]
            )
            if row.turns % PRUNE_EVERY_TURNS == 0 and row.turns > self.max_turns:
                await session.flush()
                await self._prune(session, state.id)
        if time.monotonic() - self._last_expiry > EXPIRE_EVERY_SECONDS:
            await self.expire()

    async def _prune(self, session: Any, conversation_id: str) -> None:
        """Keep the newest max_turns turns (2 messages each) of one conversation."""
        keep = (
            select(ChatMessage.id)
            .where(ChatMessage.conversation_id == conversation_id)
            .order_by(ChatMessage.id.desc())
            .limit(2 * self.max_turns)
        )
        kept = [r for r in (await session.execute(keep)).scalars()]
        if kept:
            await session.execute(
                delete(ChatMessage).where(
                    ChatMessage.conversation_id == conversation_id, ChatMessage.id < min(kept)
                )
            )

    async def expire(self) -> int:
        """Delete conversations idle for longer than ttl (and their messages); how many went."""
        self._last_expiry = time.monotonic()
        cutoff = _now() - self.ttl
        async with self._sessions.begin() as session:
            old = select(Conversation.id).where(Conversation.updated_at < cutoff)
            await session.execute(delete(ChatMessage).where(ChatMessage.conversation_id.in_(old)))
            result = await session.execute(delete(Conversation).where(Conversation.updated_at < cutoff))
        return int(getattr(result, "rowcount", 0) or 0)

    async def counts(self, conversation_id: str) -> int:
        """Messages stored for a conversation (for tests and diagnostics)."""
        async with self._sessions() as session:
            rows = await session.execute(
                select(ChatMessage.id).where(ChatMessage.conversation_id == conversation_id)
            )
            return len(rows.all())

    async def ping(self) -> None:
        async with self._sessions() as session:
            await session.execute(text("SELECT 1"))
