"""The hot reads' FIFO gate (issue 13, tail latency): reads wait for a connection in arrival order, nobody
overtakes a waiter, a wait is bounded like a pool checkout, a cancelled waiter loses no place; on a real
PostgreSQL more concurrent reads than connections never wait in SQLAlchemy's own pool."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from backend_api import SECRET, sign_up
from sqlalchemy.exc import TimeoutError as PoolTimeout
from todo_backend.core import db
from todo_backend.core.config import Settings
from todo_backend.main import create_app

pytestmark = pytest.mark.anyio


class QueueGate:
    """What the reads did before: SQLAlchemy's pool wait, an asyncio.Queue of free places. A woken waiter
    takes its place a loop turn later, so a new arrival in between overtakes it. Kept to show the order test
    below fails on a gate that lets arrivals overtake."""

    def __init__(self, size: int) -> None:
        self._queue: asyncio.Queue[None] = asyncio.Queue()
        for _ in range(size):
            self._queue.put_nowait(None)

    async def acquire(self) -> None:
        await self._queue.get()

    def release(self) -> None:
        self._queue.put_nowait(None)


async def _order_of_service(gate: Any) -> list[str]:
    """Five readers queue behind a holder; then a late reader arrives (ready to run in the next loop turn, as
    a request whose bytes have just been read) and in that same turn the holder releases. Returns the order
    in which they got through."""
    served: list[str] = []

    async def reader(name: str) -> None:
        await gate.acquire()
        served.append(name)
        await asyncio.sleep(0)
        gate.release()

    await gate.acquire()  # the holder
    early = [asyncio.create_task(reader(f"waiter {i}")) for i in range(5)]
    await asyncio.sleep(0.01)  # all five are waiting now
    late = asyncio.create_task(reader("late arrival"))
    gate.release()
    await asyncio.gather(*early, late)
    return served


async def test_readers_are_served_in_arrival_order() -> None:
    assert await _order_of_service(db.FifoGate(1, timeout=5)) == [
        *(f"waiter {i}" for i in range(5)),
        "late arrival",
    ]


async def test_the_order_test_catches_a_gate_that_lets_arrivals_overtake() -> None:
    served = await _order_of_service(QueueGate(1))
    assert served[0] == "late arrival", served  # what SQLAlchemy's pool wait does: the newcomer goes first


async def test_a_wait_is_bounded_like_a_pool_checkout_and_leaks_no_place() -> None:
    gate = db.FifoGate(1, timeout=0.05)
    await gate.acquire()
    with pytest.raises(PoolTimeout, match=r"no database connection within 0\.05 s"):
        await gate.acquire()
    gate.release()
    await asyncio.wait_for(gate.acquire(), 1)  # the place the timed-out waiter did not take is free
    gate.release()


async def test_a_cancelled_waiter_passes_its_place_on() -> None:
    gate = db.FifoGate(1, timeout=5)
    await gate.acquire()
    cancelled = asyncio.create_task(gate.acquire())
    after = asyncio.create_task(gate.acquire())
    await asyncio.sleep(0.01)
    gate.release()  # handed to `cancelled`...
    cancelled.cancel()  # ...which is cancelled before it runs: `after` must get the place
    with pytest.raises(asyncio.CancelledError):
        await cancelled
    await asyncio.wait_for(after, 1)  # `after` holds the place now
    waiting = asyncio.create_task(gate.acquire())
    await asyncio.sleep(0.01)
    waiting.cancel()  # cancelled while still waiting: it leaves the queue
    with pytest.raises(asyncio.CancelledError):
        await waiting
    gate.release()
    await asyncio.wait_for(gate.acquire(), 1)


@pytest.fixture
async def small_pool_client(fresh_postgres_url: str) -> AsyncIterator[tuple[httpx.AsyncClient, Any]]:
    settings = Settings(
        database_url=fresh_postgres_url, better_auth_secret=SECRET, environment="production", db_pool_size=2
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://backend") as http:
            yield http, app


def _count_pool_waits(app: Any) -> list[int]:
    """Counts checkouts that wait in SQLAlchemy's pool: a blocking get on an empty queue (a non-blocking one
    is the pool opening one of its connections for the first time)."""
    queue = app.state.engine.pool._pool  # QueuePool's AsyncAdaptedQueue
    waits = [0]
    get = queue.get

    def counting_get(block: bool = True, timeout: float | None = None) -> Any:
        if block and queue.empty():
            waits[0] += 1
        return get(block, timeout)

    queue.get = counting_get
    return waits


@pytest.mark.postgres
@pytest.mark.parametrize("gated", [True, False], ids=["gated", "seeded-defect-no-gate"])
async def test_more_reads_than_connections_never_wait_in_the_pool(
    small_pool_client: tuple[httpx.AsyncClient, Any], gated: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """16 concurrent GET /api/tasks on a pool of 2: all answer, in the gate's order, none waits in
    SQLAlchemy's pool. Without the gate (the seeded defect) the same load does wait there."""
    client, app = small_pool_client
    auth = await sign_up(client, "gate@example.com")
    assert (await client.post("/api/tasks", json={"title": "one"}, headers=auth)).status_code == 201
    if not gated:
        monkeypatch.setattr(db, "read_gate", lambda engine: db.FifoGate(1000, timeout=5))
    waits = _count_pool_waits(app)
    answers = await asyncio.gather(*(client.get("/api/tasks", headers=auth) for _ in range(16)))
    assert [answer.status_code for answer in answers] == [200] * 16
    assert all(answer.json()[0]["title"] == "one" for answer in answers)
    if gated:
        assert waits[0] == 0, f"{waits[0]} reads waited in SQLAlchemy's pool"
    else:
        assert waits[0] > 0, "the load did not exhaust the pool: this test would not see a missing gate"
