"""The conversation store: context of each conversation (last task, last list, a pending question, the last
change for undo) and its bounded history, in the chatbot's own tables."""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import DateTime, Text, TextualSelect, bindparam, delete, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, async_sessionmaker

from todo_chatbot.core.db import fetch_one
from todo_chatbot.core.limits import Counter
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


@dataclass
class OpenedTurn:
    found: tuple[str, ConversationState] | None  # the conversation and its owner's user id (see owned_by)
    hits: int | None = None  # the counted key's hits in its window, this message included
    peeked: int | None = None  # the peeked key's hits in its window so far (nothing counted)
    # when the turn began, by the database's clock on PostgreSQL (one clock for every replica): the turn's
    # updated_at, so that a write landing late never replaces a later-begun turn's context (close_turn)
    begun: datetime | None = None


# Each turn costs the store two statements, each one round trip on one pooled connection in autocommit (a
# single statement is atomic by itself): at the start the address counter is counted, the account counter
# looked at and the conversation read; at the end the conversation and its two messages are written and the
# account counter counted. On PostgreSQL each is ONE statement (data-modifying CTEs); SQLite, in-process
# and without them, runs the same parts one after another in a transaction.
_HIT = (
    "INSERT INTO chatbot_rate_limits AS r (key, window_start, hits) VALUES (:hit_key, :hit_window, 1)"
    " ON CONFLICT (key) DO UPDATE SET hits = CASE WHEN r.window_start = :hit_window THEN r.hits + 1 ELSE 1"
    " END, window_start = :hit_window RETURNING hits"
)
_PEEK = "SELECT hits FROM chatbot_rate_limits WHERE key = :peek_key AND window_start = :peek_window"
_READ = (
    "SELECT user_id, last_task_number, listed_numbers, pending, last_change, updated_at"
    " FROM chatbot_conversations WHERE id = :conversation_id"
)
_UPSERT = (
    "INSERT INTO chatbot_conversations AS c (id, user_id, last_task_number, listed_numbers, pending,"
    " last_change, turns, created_at, updated_at)"
    " VALUES (:id, :user_id, :last_task_number, :listed_numbers, :pending, :last_change, 1, :now, :now)"
    " ON CONFLICT (id) DO UPDATE SET last_task_number = excluded.last_task_number,"
    " listed_numbers = excluded.listed_numbers, pending = excluded.pending,"
    " last_change = excluded.last_change, turns = c.turns + 1, updated_at = excluded.updated_at"
    # never another user's conversation; never over a later-begun turn's context (a write made after its
    # reply can land after the next turn's, when that turn ran on another replica)
    " WHERE c.updated_at <= excluded.updated_at AND c.user_id = excluded.user_id RETURNING turns"
)
_MESSAGES = (
    "INSERT INTO chatbot_messages (conversation_id, role, text, intent, created_at)"
    " VALUES (:id, 'user', :message, :intent, :now), (:id, 'bot', :reply, NULL, :now)"
)
_OPEN_PG = (
    f"WITH hit AS ({_HIT}) SELECT (SELECT hits FROM hit) AS hits, ({_PEEK}) AS peeked,"  # noqa: S608 - constants; values are bound
    " statement_timestamp() AS begun,"
    " c.user_id, c.last_task_number, c.listed_numbers, c.pending, c.last_change, c.updated_at"
    " FROM (SELECT 1) AS one LEFT JOIN chatbot_conversations AS c ON c.id = :conversation_id"
)
_CLOSE_PG = (
    f"WITH conv AS ({_UPSERT}),"  # noqa: S608 - constants; every value is a bound parameter
    " messages AS (INSERT INTO chatbot_messages (conversation_id, role, text, intent, created_at)"
    "  SELECT :id, m.role, m.text, m.intent, :now FROM conv,"
    "  (VALUES ('user', :message, :intent), ('bot', :reply, NULL)) AS m (role, text, intent)),"
    f" hit AS ({_HIT})"
    " SELECT (SELECT turns FROM conv) AS turns, (SELECT hits FROM hit) AS hits"
)


def _conversation_params(
    user_id: str, state: ConversationState, message: str, reply: str, intent: str, now: datetime
) -> dict[str, Any]:
    return {
        "id": state.id,
        "user_id": user_id,
        "last_task_number": state.last_task_number,
        "listed_numbers": state.listed_numbers,
        "pending": state.pending,
        "last_change": state.last_change,
        "message": message,
        "reply": reply[:MAX_STORED_REPLY],
        "intent": intent,
        "now": now,
    }


_TYPES = {c.name: c.type for c in Conversation.__table__.columns if c.name != "id"}
_TYPES.update(now=DateTime(timezone=True), message=Text(), reply=Text())


def _sql(statement: str) -> TextualSelect:
    """A statement whose JSON and timestamp parameters and columns are converted as the models declare."""
    binds = [bindparam(name, type_=t) for name, t in _TYPES.items() if f":{name}" in statement]
    return text(statement).bindparams(*binds).columns(**{n: t for n, t in _TYPES.items() if n != "now"})


class ConversationStore:
    def __init__(self, engine: AsyncEngine, max_turns: int = MAX_TURNS, ttl: timedelta = TTL) -> None:
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)
        self._engine = engine
        self._postgres = engine.dialect.name == "postgresql"
        self._open_pg, self._close_pg = _sql(_OPEN_PG), _sql(_CLOSE_PG)
        self._read, self._upsert, self._messages = _sql(_READ), _sql(_UPSERT), _sql(_MESSAGES)
        self._hit, self._peek = text(_HIT), text(_PEEK)
        self.max_turns = max_turns
        self.ttl = ttl
        self._last_expiry = 0.0

    async def load(self, user_id: str, conversation_id: str | None) -> ConversationState:
        """The user's conversation; an unknown id, or another user's, starts a new one."""
        return self.owned_by(user_id, await self.find(conversation_id))

    async def find(self, conversation_id: str | None) -> tuple[str, ConversationState] | None:
        """A conversation and its owner's user id, whoever owns it (check with `owned_by`)."""
        return (await self.open_turn(conversation_id)).found

    async def open_turn(
        self, conversation_id: str | None, hit: Counter | None = None, peek: Counter | None = None
    ) -> OpenedTurn:
        """The start of a turn: count `hit`, read `peek` and the conversation (one statement on Postgres)."""
        params: dict[str, Any] = {"conversation_id": conversation_id or ""}
        if hit:
            params.update(hit_key=hit.key, hit_window=hit.window)
        params.update(peek_key=peek.key if peek else "", peek_window=peek.window if peek else -1)
        row: Mapping[Any, Any] | None  # a driver row (Postgres) or a RowMapping (SQLite)
        if self._postgres and hit:
            row = await fetch_one(self._engine, self._open_pg, params)
            hits, peeked, begun = row["hits"], row["peeked"], row["begun"]
        else:
            begun = _now()
            async with self._engine.begin() as conn:
                hits = (await conn.execute(self._hit, params)).scalar_one() if hit else None
                peeked = (await conn.execute(self._peek, params)).scalar_one_or_none() if peek else None
                found = (await conn.execute(self._read, params)).one_or_none()
                row = found._mapping if found is not None else None
        opened = OpenedTurn(None, hits, peeked if peek else None, begun)
        if row is None or row["user_id"] is None or not conversation_id:
            return opened
        if _aware(row["updated_at"]) < _now() - self.ttl:
            return opened  # an expired conversation starts afresh (expire() deletes it)
        state = ConversationState(
            conversation_id,
            False,
            row["last_task_number"],
            list(row["listed_numbers"] or []),
            row["pending"],
            row["last_change"],
        )
        opened.found = (row["user_id"], state)
        return opened

    @staticmethod
    def owned_by(user_id: str, found: tuple[str, ConversationState] | None) -> ConversationState:
        if found is not None and found[0] == user_id:
            return found[1]
        return ConversationState(str(uuid.uuid4()), True)

    async def save(
        self, user_id: str, state: ConversationState, message: str, reply: str, intent: str
    ) -> None:
        await self.close_turn(user_id, state, message, reply, intent)

    async def close_turn(
        self,
        user_id: str,
        state: ConversationState,
        message: str,
        reply: str,
        intent: str,
        hit: Counter | None = None,
        begun: datetime | None = None,
    ) -> int | None:
        """The end of a turn: the conversation and its two messages written, `hit` counted (one statement on
        Postgres). `begun`: when the turn began (its updated_at; default now): a conversation already written
        by a turn that began later is left as it is, and this turn's messages with it. Returns the hits of
        `hit` in its window, this one included (None without one)."""
        params = _conversation_params(user_id, state, message, reply, intent, begun or _now())
        hits = None
        if self._postgres and hit:
            params.update(hit_key=hit.key, hit_window=hit.window)
            row = await fetch_one(self._engine, self._close_pg, params)
            turns, hits = row["turns"], row["hits"]
        else:
            async with self._engine.begin() as conn:
                turns = (await conn.execute(self._upsert, params)).scalar_one_or_none()
                if turns is not None:
                    await conn.execute(self._messages, params)
                if hit:
                    params.update(hit_key=hit.key, hit_window=hit.window)
                    hits = (await conn.execute(self._hit, params)).scalar_one()
        if turns is not None and turns % PRUNE_EVERY_TURNS == 0 and turns > self.max_turns:
            async with self._engine.begin() as conn:
                await self._prune(conn, state.id)
        if time.monotonic() - self._last_expiry > EXPIRE_EVERY_SECONDS:
            await self.expire()
        return hits

    async def _prune(self, conn: AsyncConnection, conversation_id: str) -> None:
        """Keep the newest max_turns turns (2 messages each) of one conversation."""
        keep = (
            select(ChatMessage.id)
            .where(ChatMessage.conversation_id == conversation_id)
            .order_by(ChatMessage.id.desc())
            .limit(2 * self.max_turns)
        )
        kept = [r for r in (await conn.execute(keep)).scalars()]
        if kept:
            await conn.execute(
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
