"""The chatbot on a real PostgreSQL (harness.pgserver): concurrent starts migrate once; readiness; a chat
turn is two statements of its database (the rate counters, the conversation and its messages)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import AsyncExitStack, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from unittest import mock

import httpx
import pytest
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine
from todo_chatbot import crud
from todo_chatbot.api.routes import chat as chat_route
from todo_chatbot.core.db import make_engine, migrate
from todo_chatbot.core.limits import Counter
from todo_chatbot.crud import ConversationState, ConversationStore
from todo_chatbot.main import create_app

from harness.pgserver import PostgresServer

from .conftest import chatbot_settings, running_stack

pytestmark = [pytest.mark.anyio, pytest.mark.postgres]


@pytest.fixture(scope="module")
def pg() -> Iterator[PostgresServer]:
    with PostgresServer() as server:
        yield server


async def test_three_replicas_starting_together_migrate_once(pg: PostgresServer, tmp_path: Path) -> None:
    url = pg.create_database("chatbot_concurrent")
    apps = [create_app(chatbot_settings(tmp_path / "unused.db", database_url=url)) for _ in range(3)]
    async with AsyncExitStack() as stack:
        await asyncio.gather(*(stack.enter_async_context(app.router.lifespan_context(app)) for app in apps))
        for app in apps:
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://c"
            ) as client:
                ready = await client.get("/api/ready")
                assert ready.status_code == 200, ready.text
    engine = make_engine(url)
    async with engine.connect() as conn:
        versions = (
            (await conn.execute(text("SELECT version_num FROM alembic_version_chatbot"))).scalars().all()
        )
        tables = (
            (
                await conn.execute(
                    text(
                        "SELECT tablename FROM pg_tables WHERE tablename LIKE 'chatbot_%' ORDER BY tablename"
                    )
                )
            )
            .scalars()
            .all()
        )
    await engine.dispose()
    assert versions == ["0003"]
    assert tables == ["chatbot_conversations", "chatbot_messages", "chatbot_rate_limits"]


async def test_still_ready_while_postgres_is_down_and_says_so(tmp_path: Path) -> None:
    """An outage is the same for every pod: the pod stays in the Service (chat answers 503 + Retry-After)."""
    server = PostgresServer().start()
    try:
        app = create_app(
            chatbot_settings(tmp_path / "unused.db", database_url=server.create_database("chatbot_ready"))
        )
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://c") as client,
        ):
            assert (await client.get("/api/ready")).status_code == 200
            server.stop()
            r = await client.get("/api/ready")
            assert r.status_code == 200
            assert r.json()["checks"]["database"] == "unavailable"
    finally:
        server.stop()


@contextmanager
def statements_of(engine: AsyncEngine) -> Iterator[list[str]]:
    """The SQL statements the engine sends while the block runs (pool pre-pings are not statements): through
    SQLAlchemy, and on its pooled connections' driver (db.fetch_one, the turn's two statements)."""
    sent: list[str] = []

    def record(conn: object, cursor: object, statement: str, *args: object) -> None:
        sent.append(" ".join(statement.split())[:120])

    on_driver = crud.fetch_one

    async def recorded(on: AsyncEngine, statement: Any, params: Any) -> Any:
        if on is engine:
            record(None, None, str(statement))
        return await on_driver(on, statement, params)

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        with mock.patch.object(crud, "fetch_one", recorded):
            yield sent
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)


async def test_a_chat_turn_costs_two_statements_and_keeps_context_messages_and_limits(
    pg: PostgresServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, one_rate_window: float
) -> None:
    monkeypatch.setattr(chat_route, "CLEANUP_ONE_IN", 10**12)  # no sampled clean-up in this turn
    url = pg.create_database("chatbot_turns")
    async with running_stack(tmp_path, database_url=url, chat_limit_per_account="3/60") as stack:
        assert stack.chatbot_app is not None
        engine: AsyncEngine = stack.chatbot_app.state.engine
        token = await stack.signup()
        first = await stack.chat(token, "add buy milk")  # a new conversation (the oldest ones trimmed)
        conversation = first["conversation_id"]
        await stack.chatbot_app.state.service.drain()  # the first turn's write, made after its reply
        with statements_of(engine) as sent:
            second = await stack.chat(token, "delete it", conversation)
        assert second["actions"][0]["type"] == "deleted", second  # "it" read back from the conversation
        assert len(sent) == 2, sent  # rate counters + conversation read; conversation + messages + counter
        third = await stack.chat(token, "undo", conversation)
        assert third["actions"][0]["type"] == "restored", third
        assert await stack.chatbot_app.state.store.counts(conversation) == 6  # 2 messages a turn
        refused = await stack.chat_raw(token, {"message": "show my tasks", "conversation_id": conversation})
        assert refused.status_code == 429, refused.text  # the account's 3 a minute were used
        assert int(refused.headers["Retry-After"]) >= 1
        assert await stack.chatbot_app.state.store.counts(conversation) == 6  # the refused one left nothing


async def test_the_statement_count_sees_a_turn_that_takes_more(
    pg: PostgresServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The check above can fail: the same turn through the statement-by-statement path (the one SQLite
    takes) is counted as more than two."""
    monkeypatch.setattr(chat_route, "CLEANUP_ONE_IN", 10**12)
    url = pg.create_database("chatbot_turns_split")
    async with running_stack(tmp_path, database_url=url) as stack:
        assert stack.chatbot_app is not None
        store = stack.chatbot_app.state.store
        token = await stack.signup()
        first = await stack.chat(token, "add buy milk")
        await stack.chatbot_app.state.service.drain()
        monkeypatch.setattr(store, "_postgres", False)
        with statements_of(stack.chatbot_app.state.engine) as sent:
            second = await stack.chat(token, "delete it", first["conversation_id"])
        assert second["actions"][0]["type"] == "deleted", second
        assert len(sent) > 2, sent


async def test_the_turns_two_statements_go_to_the_driver_and_store_json_as_before(
    pg: PostgresServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On PostgreSQL the turn's two statements run on the pooled connection's driver (db.fetch_one), not
    through SQLAlchemy's connection and cursor (more CPU than the statements themselves: README, "Latency,
    round 6"); the conversation's JSON columns are stored as SQLAlchemy's JSON type stores them (an empty
    question as JSON null) and read back as Python values, timestamps by the database's clock."""
    monkeypatch.setattr(chat_route, "CLEANUP_ONE_IN", 10**12)
    url = pg.create_database("chatbot_turns_driver")
    async with running_stack(tmp_path, database_url=url) as stack:
        assert stack.chatbot_app is not None
        engine: AsyncEngine = stack.chatbot_app.state.engine
        token = await stack.signup()
        first = await stack.chat(token, "add buy milk")
        conversation = first["conversation_id"]
        await stack.chatbot_app.state.service.drain()
        through_sqlalchemy: list[str] = []
        listener = lambda *args: through_sqlalchemy.append(str(args[2]))  # noqa: E731
        event.listen(engine.sync_engine, "before_cursor_execute", listener)
        try:
            second = await stack.chat(token, "show my tasks", conversation)
            third = await stack.chat(token, "mark the first one done", conversation)
            await stack.chatbot_app.state.service.drain()
        finally:
            event.remove(engine.sync_engine, "before_cursor_execute", listener)
        assert [(a["type"], a["task_numbers"]) for a in second["actions"]] == [("listed", [1])], second
        assert [(a["type"], a["task_number"]) for a in third["actions"]] == [("completed", 1)], third
        assert through_sqlalchemy == [], through_sqlalchemy
        query = "SELECT json_typeof(pending), listed_numbers::text, json_typeof(last_change), turns"
        query += f" FROM chatbot_conversations WHERE id = '{conversation}'"
        stored = pg.sql(query, database="chatbot_turns_driver")
        assert stored.split("|") == ["null", "[1]", "object", "3"], stored


async def test_a_turn_never_writes_into_another_users_conversation(pg: PostgresServer) -> None:
    engine = make_engine(pg.create_database("chatbot_owner"))
    await migrate(engine)
    store = ConversationStore(engine)
    alice = store.owned_by("1", None)
    await store.close_turn("1", alice, "add buy milk", "Added #1 buy milk.", "add", Counter("k", 0))
    stolen = ConversationState(alice.id, False, last_task_number=99)  # user 2 naming alice's id
    assert await store.close_turn("2", stolen, "delete it", "…", "delete", Counter("k", 0)) == 2
    found = await store.find(alice.id)
    assert found is not None and found[0] == "1" and found[1].last_task_number is None
    assert await store.counts(alice.id) == 2  # user 2's turn added no message to alice's conversation
    await engine.dispose()


async def test_the_owner_check_is_what_keeps_another_user_out(pg: PostgresServer) -> None:
    """Seeded defect: the upsert without its `AND c.user_id = excluded.user_id` lets user 2 write into
    alice's conversation, and the owner test above would see it."""
    engine = make_engine(pg.create_database("chatbot_owner_defect"))
    await migrate(engine)
    store = ConversationStore(engine)
    guard = " AND c.user_id = excluded.user_id"
    assert guard in crud._CLOSE_PG
    store._close_pg = crud._sql(crud._CLOSE_PG.replace(guard, ""))
    alice = store.owned_by("1", None)
    await store.close_turn("1", alice, "add buy milk", "Added #1 buy milk.", "add", Counter("k", 0))
    stolen = ConversationState(alice.id, False, last_task_number=99)
    await store.close_turn("2", stolen, "delete it", "…", "delete", Counter("k", 0))
    found = await store.find(alice.id)
    assert found is not None and found[1].last_task_number == 99  # written into alice's conversation
    assert await store.counts(alice.id) == 4
    await engine.dispose()


@pytest.mark.parametrize("guarded", [True, False], ids=["later-turn-kept", "seeded-defect-last-write-wins"])
async def test_on_postgres_a_write_landing_late_never_replaces_a_later_turns_context(
    pg: PostgresServer, guarded: bool
) -> None:
    from .test_write_after_reply import LATER_TURN_WINS, late_write_lands_last

    engine = make_engine(pg.create_database(f"chatbot_late_{'guarded' if guarded else 'defect'}"))
    await migrate(engine)
    store = ConversationStore(engine)
    assert LATER_TURN_WINS in crud._CLOSE_PG
    if not guarded:
        store._close_pg = crud._sql(crud._CLOSE_PG.replace(LATER_TURN_WINS, ""))
    real = store.close_turn

    async def counted(*args: Any, **kwargs: Any) -> int | None:  # the one-statement path: with a hit
        return await real(*args, **{**kwargs, "hit": Counter("k", 0)})

    store.close_turn = counted  # type: ignore[method-assign]
    try:
        assert await late_write_lands_last(store) == ((1, 4) if guarded else (5, 6))
    finally:
        await engine.dispose()


@pytest.mark.parametrize("clock", ["database", "seeded-defect-replica-clock"])
async def test_on_postgres_a_replica_whose_clock_runs_ahead_does_not_hold_back_the_next_turns(
    pg: PostgresServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clock: str
) -> None:
    """A turn's time (its updated_at, which decides which of two late writes wins) is the database's clock:
    a replica whose own clock runs an hour ahead does not make the next hour's turns lose their writes."""
    monkeypatch.setattr(chat_route, "CLEANUP_ONE_IN", 10**12)
    async with running_stack(
        tmp_path, database_url=pg.create_database(f"chatbot_clock_{clock[:6]}")
    ) as stack:
        assert stack.chatbot_app is not None
        store, service = stack.chatbot_app.state.store, stack.chatbot_app.state.service
        token = await stack.signup()
        with monkeypatch.context() as skewed:
            skewed.setattr(crud, "_now", lambda: datetime.now(UTC) + timedelta(hours=1))
            if clock != "database":  # seeded defect: the turn's time taken from this replica's clock
                skewed.setattr(store, "_postgres", False)
            conversation = (await stack.chat(token, "add buy milk"))["conversation_id"]
            await service.drain()
        deleted = await stack.chat(token, "delete it", conversation)  # a replica with a true clock
        assert [a["type"] for a in deleted["actions"]] == ["deleted"], deleted
        await service.drain()
        found = await store.find(conversation)
        assert found is not None
        kept = found[1].last_change["kind"] if found[1].last_change else None
        assert kept == ("deleted" if clock == "database" else "created")


def test_the_recorded_head_is_alembics_head() -> None:
    from alembic.script import ScriptDirectory
    from todo_chatbot.core.db import HEAD, alembic_config

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head == HEAD, f"todo_chatbot.core.db.HEAD is {HEAD!r}, the newest migration {head!r}: set it"


START = """
import asyncio, sys
from todo_chatbot.core.db import make_engine, migrate
asyncio.run(migrate(make_engine(sys.argv[1])))
print("alembic imported:", any(m == "alembic" or m.startswith("alembic.") for m in sys.modules))
"""


def test_a_start_that_finds_the_schema_at_head_does_not_load_alembic(pg: PostgresServer) -> None:
    """Every pod start but a new release's first reads one row and never imports Alembic (its CPU is on the
    path to Ready); a fresh database still takes the full migration."""
    import subprocess
    import sys

    url = pg.create_database("chatbot_at_head")

    def start() -> str:
        done = subprocess.run([sys.executable, "-c", START, url], capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        return done.stdout

    assert "alembic imported: True" in start()
    assert "alembic imported: False" in start()


async def test_on_postgres_a_conversation_keeps_its_newest_turns_and_expires(
    pg: PostgresServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Retention (issue 11 item 6) on the path production takes: the one-statement close of a turn (with
    the account's counter), pruned to the newest max_turns turns every PRUNE_EVERY_TURNS, replies stored cut
    to MAX_STORED_REPLY characters, and a conversation idle past the TTL forgotten, messages and all."""
    engine = make_engine(pg.create_database("chatbot_retention"))
    await migrate(engine)
    store = ConversationStore(engine, max_turns=5)
    state = await store.load("u1", None)
    for i in range(23):
        await store.close_turn(
            "u1", state, f"message {i}", "reply " * 400, "list", Counter("chat:account:1", 0)
        )
        state.is_new = False
    async with engine.connect() as conn:
        texts = (
            (
                await conn.execute(
                    text("SELECT text FROM chatbot_messages WHERE conversation_id = :id ORDER BY id"),
                    {"id": state.id},
                )
            )
            .scalars()
            .all()
        )
    assert 2 * 5 <= len(texts) <= 2 * (5 + crud.PRUNE_EVERY_TURNS), len(texts)
    assert texts[-2] == "message 22"  # the newest turns are the ones kept
    assert "message 0" not in texts
    assert max(len(t) for t in texts) == crud.MAX_STORED_REPLY
    assert (await store.find(state.id)) is not None
    store.ttl = timedelta(seconds=-1)  # every conversation is older than the TTL now
    assert (await store.find(state.id)) is None  # an expired conversation starts afresh
    assert await store.counts(state.id) > 0  # until the next expiry pass, due every EXPIRE_EVERY_SECONDS:
    monkeypatch.setattr(crud, "EXPIRE_EVERY_SECONDS", 0.0)  # now, at any turn's end
    other = await store.load("u2", None)
    await store.close_turn("u2", other, "hello", "hi", "greeting", Counter("chat:account:2", 0))
    assert await store.counts(state.id) == 0  # another conversation's turn deleted it, messages and all
    store.ttl = crud.TTL
    assert (await store.find(state.id)) is None  # the row itself is gone, not only too old to be read
    await engine.dispose()
