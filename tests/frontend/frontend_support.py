"""Helpers shared by the frontend tests."""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx
from starlette.requests import Request
from todo_frontend.config import Settings
from todo_frontend.main import create_app
from todo_frontend.session import csrf_token

_CSRF_META = re.compile(r'<meta name="csrf-token" content="([0-9a-f]+)">')


class BrowserLikeClient(httpx.AsyncClient):
    """An httpx client that posts forms as a browser does: with the CSRF token of the page it came from.

    post() to a page (not /api/*) first loads one (the login page, or the task page once signed in) and adds
    its csrf_token field; `raw_post` sends exactly what it is given (for tests of the CSRF refusal)."""

    async def form_token(self) -> str:
        page = await self.get("/login")
        if page.status_code == 303:
            page = await self.get("/")
        found = _CSRF_META.search(page.text)
        assert found, f"no csrf-token meta tag on {page.url}: {page.status_code} {page.text[:300]}"
        return found.group(1)

    async def post(self, url: Any, *, data: Any = None, **kwargs: Any) -> httpx.Response:
        if not str(url).startswith("/api/") and "csrf_token" not in (data or {}):
            data = {**(data or {}), "csrf_token": await self.form_token()}
        return await super().post(url, data=data, **kwargs)

    async def raw_post(self, url: Any, **kwargs: Any) -> httpx.Response:
        return await super().post(url, **kwargs)


def api_csrf_header(client: httpx.AsyncClient) -> dict[str, str]:
    """X-CSRF-Token for the client's current cookies (what a page's <meta name="csrf-token"> holds), for
    tests whose upstream is a double that cannot render a page."""
    cookie = "; ".join(f"{name}={value}" for name, value in client.cookies.items())
    request = Request({"type": "http", "headers": [(b"cookie", cookie.encode())]})
    return {"X-CSRF-Token": csrf_token(request)}


class _AppTransport(httpx.ASGITransport):
    """The app in-process. Closing the client also closes the app's pooled upstream session, as the app's
    lifespan would (ASGITransport runs no lifespan)."""

    async def aclose(self) -> None:
        await self.app.state.upstreams.aclose()  # type: ignore[attr-defined]


def frontend_client(
    settings: Settings, transport: httpx.AsyncBaseTransport | None = None
) -> BrowserLikeClient:
    """A client of a fresh frontend app in-process (ASGI); `transport` stands in for the upstreams."""
    app = create_app(settings, transport)
    return BrowserLikeClient(transport=_AppTransport(app=app), base_url="http://testserver")


def unique_email() -> str:
    return f"user-{uuid.uuid4().hex[:10]}@example.com"
