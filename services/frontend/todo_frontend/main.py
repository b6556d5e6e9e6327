"""The frontend app: pages, static files, and the same-origin /api proxy.

Start: `python -m uvicorn todo_frontend.main:app --host 0.0.0.0 --port 3000`.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from todo_frontend import pages, proxy
from todo_frontend.config import Settings, app_version, get_settings
from todo_frontend.limits import BodyLimitMiddleware
from todo_frontend.session import CsrfCookieMiddleware
from todo_frontend.upstream import Upstreams

# Scripts and styles come only from /static (no inline code), so an injected <script> cannot run.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'self'; object-src 'none'"
)


class SecurityHeadersMiddleware:
    """The security headers of every answer (and of pages: CSP, no framing, no caching), as a plain ASGI
    middleware: `@app.middleware("http")` (BaseHTTPMiddleware) runs each request in a task group with a
    streamed copy of the response, a measurable part of the proxy's CPU per chat turn."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if headers.get("content-type", "").startswith("text/html"):
                    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
                    headers.setdefault("X-Frame-Options", "DENY")
                    headers.setdefault("Cache-Control", "no-store")
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("Referrer-Policy", "same-origin")
            await send(message)

        await self.app(scope, receive, send_with_headers)


def freeze_startup_objects() -> None:
    """Puts what start-up made out of the garbage collector's reach (gc.freeze), as the backend and the
    chatbot do: ~76,000 objects (modules, FastAPI's routes and models, Jinja's environment) that live as long
    as the process and that every full collection would otherwise walk while every request in flight
    (every chat turn passes here) waits. Collected first; frozen objects are still freed by reference
    counting."""
    gc.collect()
    gc.freeze()


def create_app(
    settings: Settings | None = None, transport: httpx.AsyncBaseTransport | None = None
) -> FastAPI:
    """`transport` replaces the network to the backend and chatbot (unit tests of the proxy)."""
    settings = settings or get_settings()
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s %(message)s")  # no-op when configured
    logging.getLogger("todo_frontend").setLevel(settings.log_level.upper())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        freeze_startup_objects()
        yield
        await app.state.upstreams.aclose()

    app = FastAPI(
        title="todo-chatbot frontend",
        version=app_version(),
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.settings = settings
    app.state.upstreams = Upstreams(settings, transport)

    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(CsrfCookieMiddleware, settings=settings)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)  # outermost: before any read
    app.include_router(proxy.router)
    app.include_router(pages.pages_router)
    app.include_router(pages.router)
    pages.install_handlers(app)
    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")
    return app


app = create_app()
