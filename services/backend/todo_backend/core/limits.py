"""Rate limits and the failed-login lockout, counted in the database so every replica sees the same counts.

No maintained rate-limit library stores its counters in SQL (`limits`/`slowapi` support memory, Redis,
Memcached and MongoDB; the chart runs only Postgres), so this is a fixed-window counter: one upsert per
check, on an autocommit connection so a count survives the 4xx that follows it. See docs/security.md.
"""

from __future__ import annotations

import hmac
import math
import random
from typing import Any

from fastapi import HTTPException, Request, status
from sqlalchemy import case, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from todo_backend.core.config import MAX_WINDOW_SECONDS, Rate, Settings
from todo_backend.models import LoginFailure, RateLimitCounter

# One check in this many also deletes counters of windows that ended long ago (bounded table size).
_CLEANUP_ONE_IN = 200


def client_address(request: Request) -> str:
    """The client's address: X-Forwarded-For when the request also carries our proxy token (the frontend
    and chatbot send it, naming the address they saw), else the peer (uvicorn has already replaced a
    loopback peer with its X-Forwarded-For; FORWARDED_ALLOW_IPS, by default 127.0.0.1 only)."""
    forwarded = request.headers.get("x-forwarded-for")
    sent = request.headers.get("x-proxy-token")
    if forwarded and sent and hmac.compare_digest(sent, request.app.state.settings.proxy_token):
        return forwarded.split(",")[-1].strip()[:64] or "unknown"
    return request.client.host if request.client else "unknown"


def too_many(retry_after: float, what: str) -> HTTPException:
    seconds = max(1, math.ceil(retry_after))
    return HTTPException(
        status.HTTP_429_TOO_MANY_REQUESTS,
        detail=f"too many {what}: try again in {seconds} s",
        headers={"Retry-After": str(seconds)},
    )


def _insert(conn: AsyncConnection) -> Any:
    return postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert


async def hit(conn: AsyncConnection, key: str, rate: Rate, now: float) -> float | None:
    """Count one event for `key`; the seconds to wait when that makes more than rate.limit in the current
    window, else None."""
    window = int(now // rate.seconds) * rate.seconds
    counter = RateLimitCounter
    upsert = (
        _insert(conn)(counter)
        .values(key=key, window_start=window, hits=1)
        .on_conflict_do_update(
            index_elements=[counter.key],
            set_={
                "hits": case((counter.window_start == window, counter.hits + 1), else_=1),
                "window_start": window,
            },
        )
        .returning(counter.hits)
    )
    hits = (await conn.execute(upsert)).scalar_one()
    if random.randrange(_CLEANUP_ONE_IN) == 0:  # noqa: S311 - sampling, not security
        await conn.execute(delete(counter).where(counter.window_start < now - MAX_WINDOW_SECONDS))
    return window + rate.seconds - now if hits > rate.limit else None


async def enforce(conn: AsyncConnection, key: str, rate: Rate, now: float, what: str) -> None:
    """hit(), raising 429 with Retry-After when over the rate."""
    wait = await hit(conn, key, rate, now)
    if wait is not None:
        raise too_many(wait, what)


# --- failed-login lockout --------------------------------------------------------------------------------


def lockout_seconds(failures: int, settings: Settings) -> float:
    """1 s after the first failure beyond the free ones, doubling each time, capped."""
    beyond = failures - settings.login_free_failures
    if beyond <= 0:
        return 0.0
    return float(min(2 ** min(beyond - 1, 30), settings.login_lockout_max_seconds))


async def login_wait(
    conn: AsyncConnection, account: str, address: str, now: float, settings: Settings
) -> float | None:
    """Seconds this address must wait before trying this account again, or None.

    The lock is per (account, address), so someone failing from their own address never locks the owner out
    elsewhere. Per account, once login_account_failure_budget failures piled up from all addresses within
    the memory window, addresses that have failed themselves must wait for the window to pass; an address
    without a failure of its own (the owner's) can still log in."""
    since = now - settings.login_failure_memory_seconds
    table = LoginFailure
    pair = (
        await conn.execute(
            select(table.failures, table.locked_until, table.last_failure).where(
                table.account == account, table.address == address, table.last_failure > since
            )
        )
    ).first()
    if pair is None:
        return None
    if pair.locked_until > now:
        return pair.locked_until - now
    total, oldest = (
        await conn.execute(
            select(func.coalesce(func.sum(table.failures), 0), func.min(table.last_failure)).where(
                table.account == account, table.last_failure > since
            )
        )
    ).one()
    if total >= settings.login_account_failure_budget:
        return float(oldest + settings.login_failure_memory_seconds - now)
    return None


async def record_login_failure(
    conn: AsyncConnection, account: str, address: str, now: float, settings: Settings
) -> None:
    table = LoginFailure
    forgotten = table.last_failure <= now - settings.login_failure_memory_seconds
    upsert = (
        _insert(conn)(table)
        .values(account=account, address=address, failures=1, last_failure=now, locked_until=0.0)
        .on_conflict_do_update(
            index_elements=[table.account, table.address],
            set_={"failures": case((forgotten, 1), else_=table.failures + 1), "last_failure": now},
        )
        .returning(table.failures)
    )
    failures = (await conn.execute(upsert)).scalar_one()
    lock = lockout_seconds(failures, settings)
    if lock:
        await conn.execute(
            update(table)
            .where(table.account == account, table.address == address)
            .values(locked_until=now + lock)
        )
    if random.randrange(_CLEANUP_ONE_IN) == 0:  # noqa: S311 - sampling, not security
        await conn.execute(delete(table).where(table.last_failure < now - MAX_WINDOW_SECONDS))


async def clear_login_failures(conn: AsyncConnection, account: str, address: str) -> None:
    table = LoginFailure
    await conn.execute(delete(table).where(table.account == account, table.address == address))
