"""Abuse limits of the chat (docs/security.md): a request body cap, rate limits per account and per client
address counted in the database (so they hold across replicas), and the number of conversations a user keeps.

The rate counter is the backend's fixed-window design (todo_backend.core.limits) on the chatbot's own table,
so the chatbot needs no access to the backend's tables; its statements are part of the two the conversation
store makes per turn (todo_chatbot.crud)."""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import math
from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from todo_chatbot.core.config import Rate
from todo_chatbot.models import ChatMessage, Conversation, RateLimitCounter

MAX_WINDOW_SECONDS = 24 * 3600
CLEANUP_ONE_IN = 200


class RateLimited(Exception):
    def __init__(self, retry_after: float, what: str) -> None:
        self.retry_after = max(1, math.ceil(retry_after))
        super().__init__(f"too many {what}: try again in {self.retry_after} s")


class Counter(NamedTuple):
    """A fixed-window rate counter: its key and the start of the current window (seconds since the epoch)."""

    key: str
    window: int


def counter(key: str, rate: Rate, now: float) -> Counter:
    return Counter(key, int(now // rate.seconds) * rate.seconds)


@dataclass
class TurnLimits:
    """A chat message's limits: the address is counted as the turn opens; the account is only looked at
    then, and counted as the turn closes, once the backend has accepted the token (so a forged token cannot
    spend another account's budget). The store does both within its two statements of the turn (the
    second may run after the reply: the replica adds its unwritten counts to what the database says)."""

    address: Counter
    address_rate: Rate
    account: Counter | None
    account_rate: Rate
    now: float
    what: str = "messages"

    def admit(self, opened: Any, unwritten: int = 0) -> None:
        """RateLimited when the address went past its limit with this message, or the account had used
        up its own before it (`opened`: the store's OpenedTurn, with `hits` and `peeked`; `unwritten`: the
        account's messages this replica has answered whose count has not reached the database yet)."""
        if opened.hits is not None and opened.hits > self.address_rate.limit:
            raise RateLimited(self.address.window + self.address_rate.seconds - self.now, self.what)
        if self.account and (opened.peeked or 0) + unwritten >= self.account_rate.limit:
            raise RateLimited(self.account.window + self.account_rate.seconds - self.now, self.what)


class RateLimiter:
    def __init__(self, engine: AsyncEngine) -> None:
        # autocommit: a count is kept whatever the request's outcome
        self._engine = engine.execution_options(isolation_level="AUTOCOMMIT")

    async def forget_old_windows(self, now: float) -> None:
        """Counters of windows long past (they are reset on their key's next hit anyway): the table stays
        the size of the recently active keys. Called for about one message in CLEANUP_ONE_IN."""
        async with self._engine.connect() as conn:
            await conn.execute(
                delete(RateLimitCounter).where(RateLimitCounter.window_start < now - MAX_WINDOW_SECONDS)
            )

    async def trim_conversations(self, conversation_id: str, keep: int) -> int:
        """Deletes the oldest conversations of this conversation's owner beyond `keep` (their context only:
        the chat shows no history of old conversations); returns how many went."""
        async with self._engine.connect() as conn:
            owner = select(Conversation.user_id).where(Conversation.id == conversation_id).scalar_subquery()
            ranked = (
                select(Conversation.id)
                .where(Conversation.user_id == owner)
                .order_by(Conversation.updated_at.desc(), Conversation.id)
                .offset(keep)
            )
            old = list((await conn.execute(ranked)).scalars())
            if old:  # messages first: SQLite here does not enforce the foreign key's ON DELETE CASCADE
                await conn.execute(delete(ChatMessage).where(ChatMessage.conversation_id.in_(old)))
                await conn.execute(delete(Conversation).where(Conversation.id.in_(old)))
        return len(old)

    async def count_conversations(self, conversation_id: str) -> int:
        async with self._engine.connect() as conn:
            owner = select(Conversation.user_id).where(Conversation.id == conversation_id).scalar_subquery()
            query = select(func.count()).select_from(Conversation).where(Conversation.user_id == owner)
            return int((await conn.execute(query)).scalar_one())


def client_address(request: Request, proxy_token: str) -> str:
    """X-Forwarded-For when the request also carries the proxy token (from the frontend), else the peer
    (which uvicorn has already resolved for a loopback proxy)."""
    forwarded = request.headers.get("x-forwarded-for")
    sent = request.headers.get("x-proxy-token")
    if forwarded and sent and proxy_token and hmac.compare_digest(sent, proxy_token):
        return forwarded.split(",")[-1].strip()[:64] or "unknown"
    return request.client.host if request.client else "unknown"


def token_subject(token: str) -> str | None:
    """The `sub` claim of a JWT, NOT verified (the chatbot has no key): used only to look up a per-account
    count before the backend has checked the token; counts are only ever added after it has."""
    try:
        payload = token.split(".")[1]
        claims: Any = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError, binascii.Error, UnicodeDecodeError):
        return None
    sub = claims.get("sub") if isinstance(claims, dict) else None
    return sub if isinstance(sub, str) and sub.isdigit() and len(sub) <= 10 else None


class BodyLimitMiddleware:
    """413 as soon as a body is declared (Content-Length) or seen (streamed) to exceed max_bytes."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._too_large(scope, receive, send)
            return
        # Chat bodies are small: read them (bounded) before the app sees them.
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                await self.app(scope, _replay([message], receive), send)
                return
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if size > self.max_bytes:
                await self._too_large(scope, receive, send)
                return
            if not message.get("more_body", False):
                break
        body: Message = {"type": "http.request", "body": b"".join(chunks), "more_body": False}
        await self.app(scope, _replay([body], receive), send)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        detail = f"request body too large: the limit is {self.max_bytes} bytes"
        await JSONResponse({"detail": detail}, status_code=413, headers={"Connection": "close"})(
            scope, receive, send
        )


def _replay(messages: list[Message], receive: Receive) -> Receive:
    async def replayed() -> Message:
        return messages.pop(0) if messages else await receive()

    return replayed
