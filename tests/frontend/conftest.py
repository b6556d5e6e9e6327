"""Fixtures for the frontend tests: the real backend and chatbot as local processes, and the frontend
app in-process behind httpx's ASGI transport."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from frontend_support import frontend_client, unique_email
from todo_frontend.config import Settings

from harness.devserver import DevStack, free_port, start_dev_stack


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevStack]:
    """Backend and chatbot on free loopback ports, SQLite in a temp dir (the frontend runs in-process)."""
    ports = {"backend": free_port(), "chatbot": free_port()}
    with start_dev_stack(
        tmp_path_factory.mktemp("services"), ports=ports, only=("backend", "chatbot")
    ) as stack:
        yield stack


@pytest.fixture
async def client(services: DevStack) -> AsyncIterator[httpx.AsyncClient]:
    """The frontend (ENVIRONMENT defaults to production) in front of the real services."""
    async with frontend_client(
        Settings(backend_url=services.backend_url, chatbot_url=services.chatbot_url)
    ) as http:
        yield http


@pytest.fixture
async def signed_in(client: httpx.AsyncClient) -> httpx.AsyncClient:
    """The client after signing up through the form: its cookie jar holds the session."""
    response = await client.post("/signup", data={"email": unique_email(), "password": "correct horse 1"})
    assert response.status_code == 303, response.text
    return client
