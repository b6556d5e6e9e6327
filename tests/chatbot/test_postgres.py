"""The chatbot on a real PostgreSQL (harness.pgserver): concurrent starts migrate once; readiness."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import AsyncExitStack
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from todo_chatbot.core.db import make_engine
from todo_chatbot.main import create_app

from harness.pgserver import PostgresServer

from .conftest import chatbot_settings

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
