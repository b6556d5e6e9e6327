"""POST /api/chat: one message in, the reply and the task operations it made out."""

from __future__ import annotations

import time

from fastapi import APIRouter, Request, Response

from todo_chatbot.api.deps import LimiterDep, ServiceDep, SettingsDep, Token
from todo_chatbot.core.limits import RateLimited, client_address, token_subject
from todo_chatbot.core.metrics import LATENCY, MESSAGES
from todo_chatbot.schemas import ChatAction, ChatRequest, ChatResponse

router = APIRouter()


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
