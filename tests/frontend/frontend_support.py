"""Helpers shared by the frontend tests."""

from __future__ import annotations

import uuid

import httpx
from todo_frontend.config import Settings
from todo_frontend.main import create_app


def frontend_client(
    settings: Settings, transport: httpx.AsyncBaseTransport | None = None
) -> httpx.AsyncClient:
    """A client of a fresh frontend app in-process (ASGI); `transport` stands in for the upstreams."""
    app = create_app(settings, transport)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")


def unique_email() -> str:
    return f"user-{uuid.uuid4().hex[:10]}@example.com"
