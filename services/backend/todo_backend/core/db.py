"""SQLAlchemy 2 async engine and sessions: a SQLite file by default (aiosqlite), Postgres via asyncpg; and
`fetch_rows`, the hot read path's one query on the pooled asyncpg connection itself."""

from __future__ import annotations

import asyncio
import collections
import functools
import sys
import weakref
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Executable, event
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry, Pool
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler

from todo_backend.core.config import Settings


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def create_engine(settings: Settings) -> AsyncEngine:
    url = settings.database_url
    if is_sqlite(url):
        # Writers queue behind SQLite's file lock instead of failing at once with "database is locked".
        engine = create_async_engine(url, connect_args={"timeout": 15})
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    engine = create_async_engine(
        url,
        # Bounded waits: while the database is away a request fails fast with a 503 + Retry-After instead of
        # hanging until the client gives up (asyncpg's own connect timeout is 60 s, the pool's 30 s).
        connect_args={"timeout": settings.db_connect_timeout_seconds},
        pool_timeout=settings.db_pool_timeout_seconds,
        pool_size=settings.db_pool_size,
        # No overflow: under load, overflow connections were closed on return and reopened by the next
        # request, each a Postgres backend fork plus SCRAM auth. Beyond the pool, requests wait their turn.
        max_overflow=0,
        # No pool_pre_ping: on asyncpg it is BEGIN, a query and ROLLBACK, three round trips per checkout (a
        # fifth of a listing's CPU). _drop_closed_connections catches what it was there for for free.
        pool_recycle=1800,
    )
    event.listen(engine.sync_engine.pool, "checkout", _drop_closed_connections)
    return engine


def _drop_closed_connections(_dbapi: object, record: ConnectionPoolEntry, _proxy: object) -> None:
    """A pooled connection that the server closed (Postgres restarted, or ended the session) is replaced
    before a request gets it. asyncpg marks a connection closed as soon as the event loop reads its EOF,
    which an idle pooled connection's socket delivers at once. Without this (or pool_pre_ping) every such
    connection failed one request (and one readiness probe) after a restart: up to pool_size 503s per pod,
    long enough for both backend pods to leave the Service together. DisconnectionError makes the pool open
    a new connection; otherwise this costs no round trip.
    """
    driver = record.driver_connection
    if driver is not None and driver.is_closed():
        raise DisconnectionError("pooled connection closed by the server")


def _sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions for writes (one transaction, committed by the route) or, on an AUTOCOMMIT engine, for GETs."""
    # expire_on_commit=False: objects stay readable after commit without another round trip.
    return async_sessionmaker(engine, expire_on_commit=False)


# A read whose connection turns out lost (closed by the server) is tried again on another. After a restart
# every idle pooled connection may be one the server has ended whose EOF the event loop has not read yet:
# asyncpg then refuses the query before sending it ("cannot switch to state 12; another operation (2) is in
# progress") and closes the connection. So: once per pooled connection, plus a fresh one. No statement runs
# twice: a try on such a connection sends nothing.
RETRY_LOST_READS = True


def _read_attempts(engine: AsyncEngine) -> int:
    if not RETRY_LOST_READS:
        return 1
    size = getattr(engine.pool, "size", None)
    return (size() if callable(size) else 1) + 1


class FifoGate:
    """At most `size` holders at once; the others wait in arrival order and a released place goes straight to
    the longest waiter.

    The hot reads pass this before they check a connection out, with `size` the pool's size, so they never
    wait in SQLAlchemy's pool, whose wait is an asyncio.Queue.get under asyncio.wait_for: a new Task per
    waiter, and no order, because a woken waiter takes its connection only a loop turn later and a request
    arriving meanwhile takes it first; the waiter queues again at the back. Under wrk -c32 against a pool of
    10 the median read spent 9 ms in the app and the slowest 1 % 138-529 ms (the p99's largest part; backend
    README, "Tail latency"). Here nobody overtakes: the wait is the same for everyone, about the queue's
    length in requests' service times. A place is free at once when nobody waits: no future, no timer.

    A wait longer than `timeout` raises SQLAlchemy's pool TimeoutError, as a pool checkout would (a 503 with
    Retry-After while the database is away)."""

    def __init__(self, size: int, timeout: float) -> None:
        self.size = size
        self.timeout = timeout
        self._free = size
        self._waiters: collections.deque[asyncio.Future[None]] = collections.deque()

    async def acquire(self) -> None:
        if self._free > 0 and not self._waiters:
            self._free -= 1
            return
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[None] = loop.create_future()
        self._waiters.append(waiter)
        expiry = loop.call_later(self.timeout, self._expire, waiter)
        try:
            await waiter
        except BaseException:
            if waiter.done() and not waiter.cancelled() and waiter.exception() is None:
                self.release()  # the place was handed over as this task was cancelled: pass it on
            elif waiter in self._waiters:
                self._waiters.remove(waiter)
            raise
        finally:
            expiry.cancel()

    def _expire(self, waiter: asyncio.Future[None]) -> None:
        if not waiter.done():
            waiter.set_exception(
                PoolTimeout(
                    f"no database connection within {self.timeout:g} s: {self.size} reads in progress"
                )
            )

    def release(self) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():  # handed over: the place stays taken
                waiter.set_result(None)
                return
        self._free += 1


_gates: weakref.WeakKeyDictionary[Pool, FifoGate] = weakref.WeakKeyDictionary()
DEFAULT_GATE_TIMEOUT = 30.0  # a pool without a timeout (not ours): SQLAlchemy's own default


def read_gate(engine: AsyncEngine) -> FifoGate:
    """The hot reads' gate of this engine's pool (shared by the engine and its execution_options copies). A
    pool with no size (not one this app makes) gets a gate that never makes anyone wait."""
    pool = engine.pool
    gate = _gates.get(pool)
    if gate is None:
        size = getattr(pool, "size", None)
        timeout = getattr(pool, "timeout", None)
        gate = FifoGate(
            size() if callable(size) else sys.maxsize,
            timeout() if callable(timeout) else DEFAULT_GATE_TIMEOUT,
        )
        _gates[pool] = gate
    return gate


@functools.cache
def _driver_sql(statement: ClauseElement, dialect: Dialect) -> tuple[str, tuple[str, ...], dict[str, Any]]:
    """The statement as the driver's SQL ($1, $2 …), its parameter names in placeholder order and their
    defaults (values bound in the statement itself)."""
    compiled = statement.compile(dialect=dialect)
    assert isinstance(compiled, SQLCompiler)
    return str(compiled), tuple(compiled.positiontup or ()), dict(compiled.params)


async def fetch_rows(engine: AsyncEngine, statement: Executable, params: Mapping[str, Any]) -> Sequence[Any]:
    """The rows of a read-only statement, as tuples (by position).

    On Postgres this is the hot read path: the statement is compiled once, then run on the pooled asyncpg
    connection itself (asyncpg prepares it once per connection and decodes the rows in C), without
    SQLAlchemy's cursor adapter and result objects, which cost more CPU than the query; outside a transaction,
    so no BEGIN/ROLLBACK. Reads wait for a connection in `read_gate`'s arrival order, not in the pool's
    queue (FifoGate says why). A connection lost under the query (a restart the checkout did not see yet) is
    dropped and the read retried on another (`_read_attempts`). Driver errors reach the app as SQLAlchemy's
    DBAPIError, like every other query's (503 for an outage, 500 otherwise). Other databases (SQLite) go
    through SQLAlchemy; there `engine` should be the AUTOCOMMIT one."""
    if engine.dialect.name != "postgresql":
        async with engine.connect() as conn:
            return (await conn.execute(statement, params)).all()
    assert isinstance(statement, ClauseElement)
    sql, names, defaults = _driver_sql(statement, engine.dialect)
    args = [params[name] if name in params else defaults[name] for name in names]
    gate = read_gate(engine)
    await gate.acquire()
    try:
        return await _fetch_on_driver(engine, sql, args)
    finally:
        gate.release()


async def write_rows(engine: AsyncEngine, statement: Executable, params: Mapping[str, Any]) -> Sequence[Any]:
    """The rows of one write statement that returns them (UPDATE … RETURNING), committed on its own.

    On Postgres as `fetch_rows` runs a read: on the pooled asyncpg connection outside a transaction (the
    statement is its own transaction: one round trip instead of BEGIN, the statements and COMMIT through an
    ORM session), in the read gate's order, retried on another connection when the one it met was lost. Only
    for a statement that may run twice: one that sets values (not one that adds to them), as a PATCH does.
    Elsewhere (SQLite) in a transaction of its own through SQLAlchemy; `engine` must not be the AUTOCOMMIT
    one there."""
    if engine.dialect.name != "postgresql":
        async with engine.begin() as conn:
            return (await conn.execute(statement, params)).all()
    return await fetch_rows(engine, statement, params)


async def _fetch_on_driver(engine: AsyncEngine, sql: str, args: list[Any]) -> Sequence[Any]:
    dbapi_error = engine.dialect.loaded_dbapi.Error
    attempts = _read_attempts(engine)
    for attempt in range(1, attempts + 1):
        try:
            pooled = await engine.raw_connection()
        except dbapi_error as exc:  # could not connect: as SQLAlchemy's own checkout reports it
            raise DBAPIError.instance(sql, args, exc, dbapi_error) from exc
        driver: Any = pooled.driver_connection
        try:
            rows: Sequence[Any] = await driver.fetch(sql, *args)
        except Exception as exc:
            lost = bool(driver.is_closed())
            if lost:
                pooled.invalidate(exc)
            if lost and attempt < attempts:
                continue
            raise DBAPIError(sql, args, exc, connection_invalidated=lost) from exc
        finally:
            pooled.close()
        return rows
    raise AssertionError("unreachable: the last attempt returns or raises")
