"""The chatbot's own tables (conversation context) in DATABASE_URL, and their migrations at start."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String, Text, delete, event, select, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

PACKAGE_DIR = Path(__file__).resolve().parent
VERSION_TABLE = "alembic_version_chatbot"
# any fixed 64-bit number unique to this service: serialises migrations of concurrently starting replicas
MIGRATION_LOCK_KEY = 0x7C4A7B07
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


# SQLSTATEs that refuse this pod's own login while the database itself is up (as the backend's
# core/availability.py): only these make the chatbot unready; an outage keeps it serving 503s
POD_SPECIFIC_SQLSTATES = {
    "28000": "invalid authorization",
    "28P01": "password refused",
    "3D000": "database does not exist",
    "42501": "insufficient privilege",
    "53300": "too many connections for this role",
}


def make_engine(
    url: str, pool_size: int = 5, connect_timeout: float = 3.0, pool_timeout: float = 5.0
) -> AsyncEngine:
    if make_url(url).get_backend_name() == "sqlite":
        engine = create_async_engine(url, pool_pre_ping=True)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    return create_async_engine(
        url,
        pool_pre_ping=True,
        pool_size=pool_size,
        max_overflow=0,  # the chart budgets max_connections for exactly pool_size per pod
        pool_timeout=pool_timeout,
        connect_args={"timeout": connect_timeout},
    )


def pod_specific_problem(exc: BaseException) -> str | None:
    """Why the database refuses this pod in particular (login, privileges, connection limit), else None."""
    current: BaseException | None = exc
    for _ in range(5):
        if current is None:
            break
        state = getattr(current, "sqlstate", None) or getattr(current, "pgcode", None)
        if isinstance(state, str) and state in POD_SPECIFIC_SQLSTATES:
            return POD_SPECIFIC_SQLSTATES[state]
        current = getattr(current, "orig", None) or current.__cause__
    return None


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers run beside the writer; synchronous=NORMAL skips the fsync per commit (a power cut may
    # lose the last turns of context, never corrupt the file): a chat turn is one small write
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config(str(PACKAGE_DIR / "alembic.ini"))
    config.set_main_option("script_location", str(PACKAGE_DIR / "migrations"))
    config.attributes["connection"] = connection
    return config


async def migrate(engine: AsyncEngine) -> None:
    """Apply the chatbot's migrations (to head), one starter at a time on Postgres."""
    async with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            # released at commit; a replica starting meanwhile waits here, then finds the schema at head
            await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
        await conn.run_sync(lambda sync_conn: command.upgrade(alembic_config(sync_conn), "head"))


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
