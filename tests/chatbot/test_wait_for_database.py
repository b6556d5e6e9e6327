"""The chatbot and the backend start beside PostgreSQL (the chart has no init container) and wait for it in
their start: a PostgreSQL that comes up later ends the wait and the app migrates (the backend's process:
tests/backend/test_backend_process.py); something else listening on the port does not; a database that never
comes ends the start with the last error once the timeout has passed."""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
from pathlib import Path

import httpx
import pytest
from todo_backend.migrate import wait_for_database as backend_wait
from todo_chatbot.core.db import make_engine, wait_for_database
from todo_chatbot.main import create_app

from harness.devserver import free_port
from harness.pgserver import PostgresServer

from .conftest import chatbot_settings

pytestmark = pytest.mark.anyio
WAITS = {"chatbot": ("todo_chatbot.db", wait_for_database), "backend": ("todo_backend.migrate", backend_wait)}


@pytest.mark.parametrize("service", WAITS)
async def test_a_listener_that_is_not_postgresql_keeps_it_waiting(
    service: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Seeded: something that accepts the connection and answers like an HTTP server is not the database."""
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]

    def answer_like_http() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            conn.sendall(b"HTTP/1.1 404 Not Found\r\n\r\n")
            conn.close()

    threading.Thread(target=answer_like_http, daemon=True).start()
    engine = make_engine(f"postgresql+asyncpg://u:p@127.0.0.1:{port}/db", connect_timeout=1)
    logger, wait = WAITS[service]
    caplog.set_level(logging.WARNING, logger)
    try:
        with pytest.raises(RuntimeError, match=r"database not reachable after 1.5s"):
            await wait(engine, 1.5, 0.1)
    finally:
        server.close()
        await engine.dispose()
    waiting = [r.getMessage() for r in caplog.records if "waiting for the database" in r.getMessage()]
    # about 15 attempts, one line per change of what it saw
    assert 1 <= len(waiting) <= 3, waiting


@pytest.mark.parametrize("service", WAITS)
async def test_nothing_listening_ends_the_start_after_the_timeout(service: str) -> None:
    engine = make_engine(f"postgresql+asyncpg://u:p@127.0.0.1:{free_port()}/db", connect_timeout=1)
    try:
        with pytest.raises(RuntimeError, match=r"database not reachable after 0.5s"):
            await WAITS[service][1](engine, 0.5, 0.1)
    finally:
        await engine.dispose()


@pytest.mark.postgres
async def test_started_before_postgresql_it_waits_then_migrates(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    database = PostgresServer()  # its URL is known before it runs, as with a Postgres pod still starting
    app = create_app(chatbot_settings(tmp_path / "unused.db", database_url=database.url))
    caplog.set_level(logging.INFO, "todo_chatbot.db")
    lifespan = app.router.lifespan_context(app)
    start = asyncio.ensure_future(lifespan.__aenter__())
    try:
        for _ in range(100):  # the start must be waiting, not failed, before the database exists
            await asyncio.sleep(0.1)
            if any("waiting for the database" in r.getMessage() for r in caplog.records):
                break
        assert not start.done(), start
        assert any("waiting for the database" in r.getMessage() for r in caplog.records)
        await asyncio.to_thread(database.start)
        await asyncio.wait_for(start, timeout=60)
        assert any("the database answers after" in r.getMessage() for r in caplog.records)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://c") as client:
            ready = await client.get("/api/ready")
        assert ready.status_code == 200, ready.text
        assert ready.json()["checks"]["database"] == "ok"
    finally:
        if start.done() and not start.cancelled() and start.exception() is None:
            await lifespan.__aexit__(None, None, None)
        else:
            start.cancel()
        database.stop()
