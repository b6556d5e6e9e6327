"""The chatbot while its database is away (ready; chat answers 503 + Retry-After) or refuses its login."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from todo_chatbot.main import create_app

from harness.pgserver import PostgresServer

from .conftest import chatbot_settings

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
def pg() -> Iterator[PostgresServer]:
    with PostgresServer() as server:
        yield server


async def test_a_database_that_is_away_keeps_the_chatbot_ready_and_chat_gets_503(tmp_path: Path) -> None:
    # nothing listens on port 9 of loopback: every connection is refused, as while Postgres restarts
    settings = chatbot_settings(
        tmp_path / "unused.db",
        database_url="postgresql+asyncpg://nobody:x@127.0.0.1:9/none",  # pragma: allowlist secret
        backend_url="http://127.0.0.1:9",
    )
    app = create_app(settings)  # no lifespan: migrating would fail, and the pod must still answer
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://chatbot") as client:
        ready = await client.get("/api/ready")
        assert ready.status_code == 200, ready.text
        assert ready.json()["checks"]["database"] == "unavailable"
        assert "127.0.0.1" not in ready.json()["checks"]["database"]
        started = time.monotonic()
        chat = await client.post(
            "/api/chat",
            json={"message": "show my tasks", "conversation_id": "c1"},
            headers={"Authorization": "Bearer x"},
        )
        assert chat.status_code == 503, chat.text
        assert chat.headers["Retry-After"] == "2"
        assert time.monotonic() - started < 5


@pytest.mark.postgres
async def test_a_database_that_refuses_the_chatbots_login_makes_it_unready(
    pg: PostgresServer, tmp_path: Path
) -> None:
    wrong = pg.url.replace(f":{pg.password}@", ":not-the-password@")
    assert wrong != pg.url
    app = create_app(chatbot_settings(tmp_path / "unused.db", database_url=wrong))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://chatbot") as client:
        ready = await client.get("/api/ready")
        assert ready.status_code == 503
        assert ready.json()["checks"]["database"] == "refuses this pod: password refused"
