"""Chatbot fixtures: the REAL backend (todo_backend) and the chatbot, both in-process ASGI apps on SQLite
files, the chatbot reaching the backend through httpx.ASGITransport. Task state is read from the backend."""

from __future__ import annotations

import itertools
import time
import types
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from todo_backend.core.config import Rate
from todo_backend.core.config import Settings as BackendSettings
from todo_backend.main import create_app as create_backend
from todo_chatbot.core.config import Settings as ChatbotSettings
from todo_chatbot.main import create_app as create_chatbot

SECRET = "chatbot-tests-0123456789abcdefghijklmnopqrstuvwxyz"
_users = itertools.count(1)


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def one_rate_window(monkeypatch: pytest.MonkeyPatch) -> float:
    """The chat route's wall clock held at one instant, the middle of a minute: every message of the test
    falls in the same fixed window of a per-minute limit. Without it a test counting to a limit fails when it
    straddles a minute's end (the counter restarts; about 1 run in 30 for a 2-second test)."""
    from todo_chatbot.api.routes import chat as chat_route

    now = time.time() // 60 * 60 + 30
    monkeypatch.setattr(
        chat_route, "time", types.SimpleNamespace(time=lambda: now, perf_counter=time.perf_counter)
    )
    return now


@dataclass
class Stack:
    """A backend and a chatbot wired together, with the calls a user's browser would make."""

    backend: httpx.AsyncClient
    chatbot: httpx.AsyncClient
    chatbot_app: FastAPI | None = None  # for tests that look inside (its engine, its store)
    backend_transport: httpx.AsyncBaseTransport | None = None  # for a second chatbot replica on this backend

    async def signup(self, email: str | None = None) -> str:
        email = email or f"user{next(_users)}@example.com"
        r = await self.backend.post("/api/auth/signup", json={"email": email, "password": "correct horse 1"})
        assert r.status_code == 201, r.text
        return str(r.json()["access_token"])

    async def add_task(self, token: str, completed: bool = False, **fields: Any) -> dict[str, Any]:
        r = await self.backend.post("/api/tasks", json=fields, headers=_auth(token))
        assert r.status_code == 201, r.text
        task: dict[str, Any] = r.json()
        if completed:
            r = await self.backend.patch(
                f"/api/tasks/{task['number']}", json={"completed": True}, headers=_auth(token)
            )
            assert r.status_code == 200, r.text
            task = r.json()
        return task

    async def tasks(self, token: str) -> list[dict[str, Any]]:
        r = await self.backend.get("/api/tasks", params={"status": "all"}, headers=_auth(token))
        assert r.status_code == 200, r.text
        return list(r.json())

    async def chat_raw(self, token: str | None, body: Any) -> httpx.Response:
        headers = _auth(token) if token else {}
        return await self.chatbot.post("/api/chat", json=body, headers=headers)

    async def chat(
        self, token: str, message: str, conversation_id: str | None = None, client_time: str | None = None
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"message": message}
        if conversation_id:
            body["conversation_id"] = conversation_id
        if client_time:
            body["client_time"] = client_time
        r = await self.chat_raw(token, body)
        assert r.status_code == 200, r.text
        reply: dict[str, Any] = r.json()
        return reply


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def chatbot_settings(db_file: Path, **overrides: Any) -> ChatbotSettings:
    values: dict[str, Any] = {
        "database_url": f"sqlite+aiosqlite:///{db_file}",
        "backend_url": "http://backend",
        "environment": "development",
        # the NLU table sends hundreds of messages; the limits themselves are probed by tests/security
        "chat_limit_per_account": "100000/60",
        "chat_limit_per_address": "100000/60",
        **overrides,
    }
    return ChatbotSettings(**values)


@asynccontextmanager
async def running_stack(directory: Path, **chatbot_overrides: Any) -> AsyncIterator[Stack]:
    """Both apps started (lifespans run: migrations applied) on SQLite files in `directory`."""
    backend_app = create_backend(
        BackendSettings(
            database_url=f"sqlite+aiosqlite:///{directory / 'todo.db'}",
            better_auth_secret=SECRET,
            environment="production",
            signup_limit_per_address=Rate(100000, 3600),  # every case signs up from the same test address
        )
    )
    async with AsyncExitStack() as stack:
        await stack.enter_async_context(backend_app.router.lifespan_context(backend_app))
        backend_transport = httpx.ASGITransport(app=backend_app)
        chatbot_app = create_chatbot(
            chatbot_settings(directory / "chatbot.db", **chatbot_overrides), backend_transport
        )
        await stack.enter_async_context(chatbot_app.router.lifespan_context(chatbot_app))
        backend = await stack.enter_async_context(
            httpx.AsyncClient(transport=backend_transport, base_url="http://backend")
        )
        chatbot = await stack.enter_async_context(
            httpx.AsyncClient(transport=httpx.ASGITransport(app=chatbot_app), base_url="http://chatbot")
        )
        yield Stack(backend, chatbot, chatbot_app, backend_transport)


@pytest.fixture
async def stack(tmp_path: Path) -> AsyncIterator[Stack]:
    async with running_stack(tmp_path) as s:
        yield s


@pytest.fixture(scope="module")
async def shared_stack(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Stack]:
    """One stack for a whole module (the NLU table): each case signs up its own user."""
    async with running_stack(tmp_path_factory.mktemp("stack")) as s:
        yield s
