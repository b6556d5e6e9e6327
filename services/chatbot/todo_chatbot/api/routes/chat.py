"""POST /api/chat: one message in, the reply and the task operations it made out."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import APIRouter, Request, Response

from todo_chatbot.api.deps import LimiterDep, ServiceDep, SettingsDep, Token
from todo_chatbot.core.config import Settings
from todo_chatbot.core.limits import (
    CLEANUP_ONE_IN,
    RateLimiter,
    TurnLimits,
    client_address,
    counter,
    token_subject,
)
from todo_chatbot.core.metrics import LATENCY, MESSAGES
from todo_chatbot.schemas import ChatAction, ChatRequest, ChatResponse

router = APIRouter()


def housekeeping(
    limiter: RateLimiter, settings: Settings, now: float
) -> Callable[[str, bool], Coroutine[Any, Any, None] | None]:
    """What runs after a turn's write has landed (after the reply): a new conversation trims the user's
    oldest beyond the limit; about one message in CLEANUP_ONE_IN forgets old rate windows."""
    sampled = random.randrange(CLEANUP_ONE_IN) == 0  # noqa: S311 - sampling, not security

    def after_write(conversation_id: str, is_new: bool) -> Coroutine[Any, Any, None] | None:
        if not is_new and not sampled:
            return None

        async def run() -> None:
            if is_new:
                await limiter.trim_conversations(conversation_id, settings.max_conversations_per_user)
            if sampled:
                await limiter.forget_old_windows(now)

        return run()

    return after_write


@router.post(
    "/api/chat",
    response_model=ChatResponse,
    responses={429: {"description": "Too many messages; Retry-After says when to send again"}},
)
async def chat(
    body: ChatRequest,
    request: Request,
    token: Token,
    response: Response,
    settings: SettingsDep,
    service: ServiceDep,
    limiter: LimiterDep,
) -> ChatResponse:
    started = time.perf_counter()
    now = time.time()
    address = client_address(request, settings.proxy_token.get_secret_value())
    account = token_subject(token)
    limits = TurnLimits(
        address=counter(f"chat:address:{address}", settings.chat_limit_per_address, now),
        address_rate=settings.chat_limit_per_address,
        account=counter(f"chat:account:{account}", settings.chat_limit_per_account, now) if account else None,
        account_rate=settings.chat_limit_per_account,
        now=now,
    )
    after_write = housekeeping(limiter, settings, now)
    result = await service.handle(
        token, body.message, body.conversation_id, body.client_time, limits, after_write=after_write
    )
    finished = time.perf_counter()
    LATENCY.observe(finished - started)
    timings = result.timings
    timings["total"] = (finished - started) * 1000
    timings["chatbot"] = timings["total"] - timings["db"] - timings["backend"]
    response.headers["Server-Timing"] = result.server_timing()
    MESSAGES.labels(intent=result.intent).inc()
    return ChatResponse(
        reply=result.reply,
        conversation_id=result.conversation_id,
        intent=result.intent,
        actions=[ChatAction(**a) for a in result.actions],
    )
