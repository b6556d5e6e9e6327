"""The app factory. `uvicorn todo_backend.main:app` builds the app from the environment; create_app(settings)
builds one for tests. The lifespan migrates the schema (under a cross-replica lock) before serving."""

from __future__ import annotations

import functools
import gc
import json
import logging
import os
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from todo_backend import __version__
from todo_backend.api.routes import auth, health, tasks
from todo_backend.core.availability import RETRY_AFTER_SECONDS, is_outage
from todo_backend.core.config import Settings
from todo_backend.core.db import create_engine, create_sessionmaker
from todo_backend.migrate import upgrade_to_head, wait_for_database

log = logging.getLogger("todo_backend")

MAX_BODY_BYTES = 1024 * 1024
IN_PROGRESS = Gauge("http_requests_in_progress", "HTTP requests being served right now")
REQUESTS = Counter("http_requests_total", "HTTP requests served", ["method", "route", "status"])
LATENCY = Histogram(
    "http_request_duration_seconds",
    "Time to serve an HTTP request",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)


class MetricsMiddleware:
    """Counts requests and times them, labelled by route template (/api/tasks/{number}), not raw path."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500
        IN_PROGRESS.inc()

        async def send_with_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_with_status)
        finally:
            IN_PROGRESS.dec()
            route = scope.get("route")
            counted, timed = _series(scope["method"], getattr(route, "path", "unmatched"), status)
            counted.inc()
            timed.observe(time.perf_counter() - started)


@functools.cache
def _series(method: str, template: str, status: int) -> tuple[Any, Any]:
    """The request counter and latency histogram of one label set. Looked up once: `labels()` costs more
    than the increment (a lock and a validation per call), on every request. As many label sets as before."""
    return REQUESTS.labels(method, template, str(status)), LATENCY.labels(method, template)


class BodyLimitMiddleware:
    """Rejects request bodies over MAX_BODY_BYTES with a JSON 413 (FastAPI's max_body_size answers in plain
    text), whether or not Content-Length is sent."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        declared = headers.get(b"content-length")
        if declared is None and b"transfer-encoding" not in headers:
            await self.app(scope, receive, send)  # no body (HTTP/1.1): nothing to count, as for every GET
            return
        if declared is not None and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
            await _too_large(scope, receive, send)
            return
        # Read the (bounded) body up front so a chunked upload cannot exceed the limit either.
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                await self.app(scope, _replay([message], receive), send)
                return
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if size > MAX_BODY_BYTES:
                await _too_large(scope, receive, send)
                return
            if not message.get("more_body", False):
                break
        body = {"type": "http.request", "body": b"".join(chunks), "more_body": False}
        await self.app(scope, _replay([body], receive), send)


def _replay(messages: list[Message], receive: Receive) -> Receive:
    async def replayed() -> Message:
        return messages.pop(0) if messages else await receive()

    return replayed


async def _too_large(scope: Scope, receive: Receive, send: Send) -> None:
    response = JSONResponse(
        {"detail": f"request body too large: the limit is {MAX_BODY_BYTES} bytes"}, status_code=413
    )
    await response(scope, receive, send)


def _metrics_registry() -> CollectorRegistry:
    if "PROMETHEUS_MULTIPROC_DIR" not in os.environ:
        return REGISTRY
    # Several uvicorn workers: each writes its samples to that directory and any worker reports the sum.
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    return registry


class AsciiJSONResponse(JSONResponse):
    """JSON with non-ASCII escaped: a lone surrogate echoed from the request (JSON "\\ud800") stays a valid
    escape instead of failing the UTF-8 encoding of the body (which was a 500)."""

    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=True, allow_nan=False, separators=(",", ":")).encode("ascii")


def _may_hold_secret(error: dict[str, Any], path: str) -> bool:
    # Any auth body (passwords under any spelling: "Password", "passwd"), any misspelt key (its value was
    # meant for some field, maybe a secret one), and anything whose location mentions a password.
    return (
        path.startswith("/api/auth/")
        or error.get("type") == "extra_forbidden"
        or any("pass" in str(part).lower() for part in error.get("loc", ()))
    )


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = []
    for error in exc.errors():
        if _may_hold_secret(error, request.url.path):
            error.pop("input", None)  # never echo a password back, not even a rejected or misspelt one
        errors.append(error)
    return AsciiJSONResponse({"detail": jsonable_encoder(errors)}, status_code=422)


async def _database_error(request: Request, exc: Exception) -> Response:
    """A database that is away (restarting, unreachable, refusing this pod) gets a quick 503 with Retry-After;
    any other database error is a bug (500)."""
    if not is_outage(exc):
        return await _unexpected_error(request, exc)
    problem = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
    log.warning("database unavailable during %s %s: %s", request.method, request.url.path, problem)
    return JSONResponse(
        {"detail": "database unavailable: try again shortly"},
        status_code=503,
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


async def _unexpected_error(request: Request, exc: Exception) -> Response:
    log.exception("unexpected error in %s %s", request.method, request.url.path, exc_info=exc)
    return JSONResponse({"detail": "internal server error"}, status_code=500)


def freeze_startup_objects() -> None:
    """Puts everything start-up made out of the garbage collector's reach (gc.freeze): the modules, FastAPI's
    routes and models, SQLAlchemy's tables, pydantic's validators, ~118,000 objects that live as long as the
    process. Without it every full collection walks them all, every few seconds under load: 38-70 ms on a
    quiet machine, 126-195 ms on a busy one, in which the event loop serves nothing and every request in
    flight waits (backend README, "Tail latency"). With it a full collection walks what requests made since,
    ~10,000 objects.
    Collected first, so no garbage of the start-up is kept for good. Frozen objects are still freed by
    reference counting; only a reference cycle among them would outlive its use, and start-up's live as long
    as the process anyway."""
    gc.collect()
    gc.freeze()


def _configure_logging(level: str) -> None:
    if not log.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        log.addHandler(handler)
        log.propagate = False
    log.setLevel(level)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    _configure_logging(settings.log_level)
    engine = create_engine(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await wait_for_database(engine, settings.db_startup_timeout_seconds)
        await upgrade_to_head(engine)
        freeze_startup_objects()
        log.info("backend %s ready (environment=%s)", __version__, settings.environment)
        yield
        # uvicorn has already let in-flight requests finish when this runs (SIGTERM drains first).
        await engine.dispose()

    app = FastAPI(
        title="todo-chatbot backend",
        version=__version__,
        lifespan=lifespan,
        description="Accounts and per-user numbered tasks; authenticate with the token from signup or login.",
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessionmaker = create_sessionmaker(engine)
    # Reads (GET) run in autocommit: no BEGIN/ROLLBACK round trips around them.
    app.state.read_engine = engine.execution_options(isolation_level="AUTOCOMMIT")
    app.state.read_sessionmaker = create_sessionmaker(app.state.read_engine)

    # The hot routes first: the router tries routes in order (no path here overlaps another).
    app.include_router(tasks.reads)
    app.include_router(tasks.router)
    app.include_router(auth.router)
    app.include_router(health.router)

    registry = _metrics_registry()

    @app.get("/metrics", include_in_schema=False)
    def metrics() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    app.add_exception_handler(RequestValidationError, _validation_error)
    for db_error in (DBAPIError, PoolTimeout, OSError, TimeoutError):
        app.add_exception_handler(db_error, _database_error)
    app.add_exception_handler(Exception, _unexpected_error)
    app.add_middleware(BodyLimitMiddleware)
    app.add_middleware(MetricsMiddleware)  # outermost: counts 413s too
    return app


def __getattr__(name: str) -> Any:
    # `app` is built on first access so importing this module (tests, tools) needs no secret in the env.
    if name == "app":
        application = create_app()
        globals()["app"] = application
        return application
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
