"""The floor for benchmarks/backend_bench.py: the backend's hot `GET /api/tasks` as bare as Python serves it.

Plain ASGI on uvicorn, one asyncpg pool, orjson; no framework, no ORM, no middleware. It answers the same
request with the same bytes as the backend: the same token check (HS256 signature with BETTER_AUTH_SECRET,
`exp` in the future, `sub` a user id, `ver` the token version) and the same query (the user's row outer-joined
to their tasks, so one round trip also says whether the account exists and the token is not revoked).
Anything else is a 404. A measuring tool, not a service:

    DATABASE_URL=postgresql://… BETTER_AUTH_SECRET=… DB_POOL_SIZE=10 \\
        python -m uvicorn backend_reference:app --app-dir benchmarks
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import time
from typing import Any

import asyncpg
import orjson

# What the backend's crud._list_statement renders for GET /api/tasks (status=all, no priority filter).
LIST_TASKS = (
    "SELECT tasks.number, tasks.title, tasks.description, tasks.due_date, tasks.priority, tasks.completed, "
    "tasks.created_at, tasks.updated_at FROM users LEFT OUTER JOIN tasks ON tasks.user_id = users.id WHERE "
    "users.id = $1 AND users.token_version = $2 ORDER BY tasks.number"
)
KEYS = ("number", "title", "description", "due_date", "priority", "completed", "created_at", "updated_at")
MAX_ID = 2**31 - 1

_JSON_HEADERS = [(b"content-type", b"application/json")]
_NOT_FOUND = orjson.dumps({"detail": "Not Found"})
_UNAUTHORIZED = orjson.dumps({"detail": "invalid token"})
_pool: asyncpg.Pool | None = None
KEY = os.environ.get("BETTER_AUTH_SECRET", "").encode()


def _b64(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def token_user(authorization: bytes, key: bytes) -> tuple[int, int] | None:
    """(user id, token version) of a valid `Bearer <JWT HS256>` header, else None."""
    scheme, _, token = authorization.decode("latin-1").partition(" ")
    if scheme.lower() != "bearer":
        return None
    signing_input, _, signature = token.rpartition(".")
    header, _, payload = signing_input.partition(".")
    try:
        expected = hmac.new(key, signing_input.encode("ascii"), hashlib.sha256).digest()
        if not hmac.compare_digest(expected, _b64(signature)):
            return None
        if orjson.loads(_b64(header)).get("alg") != "HS256":
            return None
        claims = orjson.loads(_b64(payload))
    except (ValueError, UnicodeEncodeError, binascii.Error, orjson.JSONDecodeError, AttributeError):
        return None
    if not isinstance(claims, dict):
        return None
    sub, version, expires = claims.get("sub"), claims.get("ver", 0), claims.get("exp")
    if not isinstance(sub, str) or not sub.isdigit() or int(sub) > MAX_ID:
        return None
    if type(version) is not int or not 0 <= version <= MAX_ID:
        return None
    if not isinstance(expires, int | float) or expires <= time.time():
        return None
    return int(sub), version


async def _respond(send: Any, status: int, body: bytes) -> None:
    await send({"type": "http.response.start", "status": status, "headers": _JSON_HEADERS})
    await send({"type": "http.response.body", "body": body})


async def _lifespan(receive: Any, send: Any) -> None:
    global _pool
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            url = os.environ["DATABASE_URL"].replace("postgresql+asyncpg://", "postgresql://", 1)
            size = int(os.environ.get("DB_POOL_SIZE", "10"))
            _pool = await asyncpg.create_pool(url, min_size=size, max_size=size)
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            if _pool is not None:
                await _pool.close()
            await send({"type": "lifespan.shutdown.complete"})
            return


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        await _lifespan(receive, send)
        return
    if scope["path"] != "/api/tasks" or scope["method"] != "GET":
        await _respond(send, 404, _NOT_FOUND)
        return
    authorization = next((value for name, value in scope["headers"] if name == b"authorization"), b"")
    user = token_user(authorization, KEY)
    if user is None:
        await _respond(send, 401, _UNAUTHORIZED)
        return
    assert _pool is not None
    rows = await _pool.fetch(LIST_TASKS, *user)
    if not rows:  # no such account, or the token was revoked
        await _respond(send, 401, _UNAUTHORIZED)
        return
    tasks = [dict(zip(KEYS, row, strict=True)) for row in rows if row[0] is not None]
    await _respond(send, 200, orjson.dumps(tasks, option=orjson.OPT_UTC_Z))
