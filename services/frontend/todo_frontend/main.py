"""The frontend app: pages, static files, and the same-origin /api proxy.

Start: `python -m uvicorn todo_frontend.main:app --host 0.0.0.0 --port 3000`.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
from fastapi import FastAPI, Request, Response
from fastapi.staticfiles import StaticFiles

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


def create_app(
    settings: Settings | None = None, transport: httpx.AsyncBaseTransport | None = None
) -> FastAPI:
    """`transport` replaces the network to the backend and chatbot (unit tests of the proxy)."""
    settings = settings or get_settings()
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s %(message)s")  # no-op when configured
    logging.getLogger("todo_frontend").setLevel(settings.log_level.upper())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
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

    @app.middleware("http")
    async def security_headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        if response.headers.get("content-type", "").startswith("text/html"):
            response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
            response.headers.setdefault("X-Frame-Options", "DENY")
            response.headers.setdefault("Cache-Control", "no-store")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response

    app.add_middleware(CsrfCookieMiddleware, settings=settings)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)  # outermost: before any read
    app.include_router(proxy.router)
    app.include_router(pages.pages_router)
    app.include_router(pages.router)
    pages.install_handlers(app)
    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")
    return app


app = create_app()
