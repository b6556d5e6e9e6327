"""The chatbot's FastAPI app. Start: `python -m uvicorn todo_chatbot.main:app --host 0.0.0.0 --port 8001`
(migrations of its own tables run at start, before the first request is served)."""

from __future__ import annotations

import gc
import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from todo_chatbot import __version__
from todo_chatbot.api.routes import chat, health
from todo_chatbot.backend import BackendClient, BackendUnauthorized, BackendUnavailable
from todo_chatbot.chat import ChatService
from todo_chatbot.core.config import Settings, get_settings
from todo_chatbot.core.db import is_outage, make_engine, migrate, wait_for_database
from todo_chatbot.core.limits import BodyLimitMiddleware, RateLimited, RateLimiter
from todo_chatbot.core.metrics import BACKEND_ERRORS
from todo_chatbot.crud import ConversationStore
from todo_chatbot.nlu import make_provider
from todo_chatbot.nlu.rules import warm_up

log = logging.getLogger("todo_chatbot")


class AsciiJSONResponse(JSONResponse):
    """Non-ASCII escaped: a lone surrogate echoed in a 422 stays a valid JSON escape instead of a 500."""

    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=True, allow_nan=False, separators=(",", ":")).encode("ascii")


def freeze_startup_objects() -> None:
    """Puts what start-up made out of the garbage collector's reach (gc.freeze), as the backend does: the
    modules, FastAPI's routes and models, SQLAlchemy's tables, the parser's patterns, word lists and the
    classifier's weights, ~124,000 objects that live as long as the process. Without it a full collection
    walks them all while every turn in flight waits: one of 344 ms in a 30-s benchmark run at load 7
    (README, "Latency, round 6"). Collected first, so no garbage of the start-up is kept for good; frozen
    objects are still freed by reference counting."""
    gc.collect()
    gc.freeze()


def create_app(
    settings: Settings | None = None, backend_transport: httpx.AsyncBaseTransport | None = None
) -> FastAPI:
    """The app; `backend_transport` lets tests reach an in-process backend instead of BACKEND_URL."""
    settings = settings or get_settings()
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s %(message)s")
    log.setLevel(settings.log_level)
    provider = make_provider(settings)  # an unknown NLU_PROVIDER stops the start here, with the valid names
    engine = make_engine(
        settings.database_url,
        settings.db_pool_size,
        settings.db_connect_timeout_seconds,
        settings.db_pool_timeout_seconds,
    )
    store = ConversationStore(engine)
    backend = BackendClient(settings.backend_url, settings.backend_timeout_seconds, backend_transport)
    service = ChatService(backend, store, provider)
    limiter = RateLimiter(engine)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        warm_up()  # patterns compiled, stem caches filled: before any message, while the database starts
        await wait_for_database(engine, settings.db_startup_timeout_seconds)
        await migrate(engine)
        freeze_startup_objects()
        log.info("chatbot ready: NLU provider %s, backend %s", provider.name, settings.backend_url)
        yield
        # uvicorn has answered the requests in flight; the conversation writes made after their replies land
        # before the connections close (a rollout's old pod loses none)
        await service.drain()
        await backend.aclose()
        await engine.dispose()

    app = FastAPI(title="todo-chatbot chatbot", version=__version__, lifespan=lifespan)
    app.state.settings = settings
    app.state.engine = engine
    app.state.store = store
    app.state.backend = backend
    app.state.service = service
    app.state.limiter = limiter

    @app.exception_handler(BackendUnauthorized)
    async def unauthorized(request: Request, exc: BackendUnauthorized) -> JSONResponse:
        return JSONResponse(
            {"detail": f"Not authenticated: {exc}"}, status_code=401, headers={"WWW-Authenticate": "Bearer"}
        )

    @app.exception_handler(BackendUnavailable)
    async def unavailable(request: Request, exc: BackendUnavailable) -> JSONResponse:
        BACKEND_ERRORS.inc()
        log.warning("backend unavailable: %s", exc)
        return JSONResponse(
            {"detail": "The task service is unavailable right now; try again shortly."},
            status_code=503,
            headers={"Retry-After": "2"},
        )

    async def database_unavailable(request: Request, exc: Exception) -> JSONResponse:
        # the conversation store is away (Postgres restarting): a quick 503 the client can retry; any other
        # database error is a bug (500)
        if not is_outage(exc):
            log.error("unexpected database error in %s %s", request.method, request.url.path, exc_info=exc)
            return JSONResponse({"detail": "internal server error"}, status_code=500)
        log.warning("database unavailable: %s", str(exc).splitlines()[0][:200] if str(exc) else type(exc))
        return JSONResponse(
            {"detail": "The chat history is unavailable right now; try again shortly."},
            status_code=503,
            headers={"Retry-After": "2"},
        )

    for db_error in (DBAPIError, PoolTimeout, OSError, TimeoutError):
        app.add_exception_handler(db_error, database_unavailable)

    @app.exception_handler(RateLimited)
    async def rate_limited(request: Request, exc: RateLimited) -> JSONResponse:
        return JSONResponse(
            {"detail": str(exc)}, status_code=429, headers={"Retry-After": str(exc.retry_after)}
        )

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return AsciiJSONResponse({"detail": jsonable_encoder(exc.errors())}, status_code=422)

    app.include_router(chat.router)
    app.include_router(health.router)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    return app


def __getattr__(name: str) -> Any:
    # `app` is built on first access, so importing this module (tests, tools) reads no environment
    if name == "app":
        application = create_app()
        globals()["app"] = application
        return application
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
