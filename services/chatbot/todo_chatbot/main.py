"""The chatbot's FastAPI app. Start: `python -m uvicorn todo_chatbot.main:app --host 0.0.0.0 --port 8001`
(migrations of its own tables run at start, before the first request is served)."""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

import httpx
from fastapi import Depends, FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import AwareDatetime, BaseModel, Field, field_validator
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from todo_chatbot import __version__
from todo_chatbot.backend import BackendClient, BackendUnauthorized, BackendUnavailable
from todo_chatbot.chat import ChatService
from todo_chatbot.config import Settings, get_settings
from todo_chatbot.db import ConversationStore, make_engine, migrate, pod_specific_problem
from todo_chatbot.limits import BodyLimitMiddleware, RateLimited, RateLimiter, client_address, token_subject
from todo_chatbot.metrics import BACKEND_ERRORS, LATENCY, MESSAGES
from todo_chatbot.nlu import make_provider
from todo_chatbot.nlu.rules import clean, warm_up

log = logging.getLogger("todo_chatbot")
_SURROGATE = re.compile("[\ud800-\udfff]")


class AsciiJSONResponse(JSONResponse):
    """Non-ASCII escaped: a lone surrogate echoed in a 422 stays a valid JSON escape instead of a 500."""

    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=True, allow_nan=False, separators=(",", ":")).encode("ascii")


class ChatRequest(BaseModel):
    message: str = Field(
        min_length=1, max_length=2000, description="What the user typed (at most 2000 characters)"
    )
    conversation_id: str | None = Field(default=None, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    client_time: AwareDatetime | None = Field(
        default=None,
        description="The user's local time, ISO 8601 with offset; relative dates resolve against it",
    )

    @field_validator("message")
    @classmethod
    def not_blank(cls, value: str) -> str:
        if _SURROGATE.search(value):  # JSON "\ud800": not text any database or UTF-8 can hold
            raise ValueError("message must be valid Unicode text (it contains a lone surrogate)")
        if not clean(value):
            raise ValueError("message is empty once whitespace and control characters are removed")
        return value


class ChatAction(BaseModel):
    model_config = {"extra": "allow"}  # listed/counted/cleared carry task_numbers or count
    type: str
    task_number: int | None = None
    task: dict[str, Any] | None = None


class ChatResponse(BaseModel):
    reply: str
    conversation_id: str
    intent: str
    actions: list[ChatAction]


bearer = HTTPBearer(auto_error=False)


def bearer_token(credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> str:
    if credentials is None or not credentials.credentials:
        raise BackendUnauthorized(
            "missing bearer token: send 'Authorization: Bearer <token>' from /api/auth/login"
        )
    return credentials.credentials


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
        await migrate(engine)
        warm_up()  # patterns compiled and stem caches filled before the first message
        log.info("chatbot ready: NLU provider %s, backend %s", provider.name, settings.backend_url)
        yield
        await backend.aclose()
        await engine.dispose()

    app = FastAPI(title="todo-chatbot chatbot", version=__version__, lifespan=lifespan)

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
        # the conversation store is away (Postgres restarting): a quick 503 the client can retry
        log.warning("database unavailable: %s", str(exc).splitlines()[0][:200] if str(exc) else type(exc))
        return JSONResponse(
            {"detail": "The chat history is unavailable right now; try again shortly."},
            status_code=503,
            headers={"Retry-After": "2"},
        )

    for db_error in (OperationalError, InterfaceError, PoolTimeout, OSError, TimeoutError):
        app.add_exception_handler(db_error, database_unavailable)

    @app.exception_handler(RateLimited)
    async def rate_limited(request: Request, exc: RateLimited) -> JSONResponse:
        return JSONResponse(
            {"detail": str(exc)}, status_code=429, headers={"Retry-After": str(exc.retry_after)}
        )

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return AsciiJSONResponse({"detail": jsonable_encoder(exc.errors())}, status_code=422)

    @app.post(
        "/api/chat",
        response_model=ChatResponse,
        responses={429: {"description": "Too many messages; Retry-After says when to send again"}},
    )
    async def chat(
        body: ChatRequest,
        request: Request,
        token: Annotated[str, Depends(bearer_token)],
        response: Response,
    ) -> ChatResponse:
        started = time.perf_counter()
        now = time.time()
        address = client_address(request, settings.proxy_token.get_secret_value())
        await limiter.hit(f"chat:address:{address}", settings.chat_limit_per_address, now, "messages")
        account = token_subject(token)
        account_key = f"chat:account:{account}" if account else None
        if account_key:  # looked at before, counted after the backend has accepted the token
            await limiter.check(account_key, settings.chat_limit_per_account, now, "messages")
        result = await service.handle(token, body.message, body.conversation_id, body.client_time)
        if account_key:
            try:
                await limiter.hit(account_key, settings.chat_limit_per_account, now, "messages")
            except RateLimited:
                pass  # this message was answered; the next one gets the 429
        if result.conversation_id != body.conversation_id:  # a new conversation: keep the newest N
            await limiter.trim_conversations(result.conversation_id, settings.max_conversations_per_user)
        LATENCY.observe(time.perf_counter() - started)
        response.headers["Server-Timing"] = result.server_timing()
        MESSAGES.labels(intent=result.intent).inc()
        return ChatResponse(
            reply=result.reply,
            conversation_id=result.conversation_id,
            intent=result.intent,
            actions=[ChatAction(**a) for a in result.actions],
        )

    @app.get("/api/health")
    async def health() -> dict[str, str]:
        log.debug("liveness check answered (log level %s)", settings.log_level)
        return {
            "status": "ok",
            "service": "chatbot",
            "version": __version__,
            "environment": settings.environment,
            "log_level": settings.log_level,
        }

    @app.get("/api/ready")
    async def ready() -> JSONResponse:
        # ready = this pod can serve. The backend's and the database's state are reported, not required: an
        # outage is the same for every pod, and a pod out of the Service answers nothing, where a ready one
        # answers 503 + Retry-After. Only a database that refuses this pod's own login makes it unready.
        checks: dict[str, str] = {"backend": await backend.health()}
        ok = True
        try:
            await store.ping()
            checks["database"] = "ok"
        except Exception as exc:  # reported by kind only; the driver's text goes to the log
            problem = pod_specific_problem(exc)
            ok = problem is None
            checks["database"] = f"refuses this pod: {problem}" if problem else "unavailable"
            log.warning("database check failed: %s", str(exc).splitlines()[0][:200] if str(exc) else exc)
        return JSONResponse(
            {"status": "ready" if ok else "not ready", "service": "chatbot", "checks": checks},
            status_code=200 if ok else 503,
        )

    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)

    @app.get("/metrics")
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return app


def __getattr__(name: str) -> Any:
    # `app` is built on first access, so importing this module (tests, tools) reads no environment
    if name == "app":
        application = create_app()
        globals()["app"] = application
        return application
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
