"""The database engine for DATABASE_URL, and the migrations of the chatbot's tables at start."""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
from sqlalchemy import JSON, event, text
from sqlalchemy.engine import Connection, Dialect, make_url
from sqlalchemy.exc import DBAPIError, DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler

if TYPE_CHECKING:
    from alembic.config import Config

log = logging.getLogger("todo_chatbot.db")
PACKAGE_DIR = Path(__file__).resolve().parent.parent  # todo_chatbot/
VERSION_TABLE = "alembic_version_chatbot"
# The newest revision under migrations/versions. A start that finds the schema there (every start but a new
# release's first) reads one row and never imports Alembic (~0.2 s of CPU, more at the pod's CPU limit, on
# the path to Ready). tests/chatbot/test_postgres.py fails, naming the value, when a migration is added
# without moving this.
HEAD = "0003"
# any fixed 64-bit number unique to this service: serialises migrations of concurrently starting replicas
MIGRATION_LOCK_KEY = 0x7C4A7B07


# SQLSTATEs that refuse this pod's own login while the database itself is up (as the backend's
# core/availability.py): only these make the chatbot unready; an outage keeps it serving 503s
POD_SPECIFIC_SQLSTATES = {
    "28000": "invalid authorization",
    "28P01": "password refused",
    "3D000": "database does not exist",
    "42501": "insufficient privilege",
    "53300": "too many connections for this role",
}


def make_engine(
    url: str, pool_size: int = 5, connect_timeout: float = 3.0, pool_timeout: float = 5.0
) -> AsyncEngine:
    if make_url(url).get_backend_name() == "sqlite":
        engine = create_async_engine(url, pool_pre_ping=True)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    engine = create_async_engine(
        url,
        # no pre-ping: on asyncpg it is three round trips (BEGIN, ";", ROLLBACK) before every checkout, ~0.35
        # ms of CPU and ~1 ms of a turn's time each, two or three times a turn; `_closed_by_the_server` below
        # finds what it found after a Postgres restart, without a round trip
        pool_pre_ping=False,
        pool_size=pool_size,
        max_overflow=0,  # the chart budgets max_connections for exactly pool_size per pod
        pool_timeout=pool_timeout,
        connect_args={"timeout": connect_timeout},
    )
    event.listen(engine.sync_engine, "checkout", _closed_by_the_server)
    return engine


def _closed_by_the_server(_dbapi_connection: Any, record: Any, _proxy: Any) -> None:
    """A pooled connection whose server ended it (a Postgres restart or failover ends every session, and the
    driver sees the socket close) is swapped for a new one before use, instead of failing the request it was
    checked out for: SQLAlchemy's pool retries the checkout on DisconnectionError."""
    driver = record.driver_connection
    if driver is not None and driver.is_closed():
        raise DisconnectionError("the server closed this pooled connection")


@functools.cache
def _driver_sql(statement: ClauseElement, dialect: Dialect) -> tuple[str, tuple[str, ...], frozenset[str]]:
    """The statement as asyncpg's SQL ($1, $2 …), its parameter names in placeholder order, and which of them
    are JSON (sent as their JSON text, as SQLAlchemy's JSON type sends them: None as JSON null)."""
    compiled = statement.compile(dialect=dialect)
    assert isinstance(compiled, SQLCompiler)
    names = tuple(compiled.positiontup or ())
    binds = compiled.binds
    json = frozenset(name for name in names if isinstance(binds[name].type, JSON))
    return str(compiled), names, json


async def fetch_one(
    engine: AsyncEngine, statement: ClauseElement, params: Mapping[str, Any]
) -> Mapping[str, Any]:
    """The one row of a statement, run on the pooled asyncpg connection itself, outside a transaction (one
    statement is atomic by itself). The turn's two statements go this way on PostgreSQL: SQLAlchemy's
    connection, cursor adapter and result objects around them cost more of the chatbot's CPU than the driver
    (README, "Latency, round 6"). JSON columns come back decoded (the codec SQLAlchemy's dialect puts on each
    connection); a driver error reaches the app as SQLAlchemy's DBAPIError, as through SQLAlchemy (503 for an
    outage, a lost connection dropped from the pool; 500 otherwise). Never retried: the statements count."""
    sql, names, json = _driver_sql(statement, engine.dialect)
    args = [orjson.dumps(params[name]).decode() if name in json else params[name] for name in names]
    dbapi_error = engine.dialect.loaded_dbapi.Error
    try:
        pooled = await engine.raw_connection()
    except dbapi_error as exc:  # could not connect: as SQLAlchemy's own checkout reports it
        raise DBAPIError.instance(sql, args, exc, dbapi_error, hide_parameters=True) from exc
    driver: Any = pooled.driver_connection
    try:
        row = await driver.fetchrow(sql, *args)
    except Exception as exc:
        lost = bool(driver.is_closed())
        if lost:
            pooled.invalidate(exc)
        raise DBAPIError(sql, None, exc, hide_parameters=True, connection_invalidated=lost) from exc
    finally:
        pooled.close()
    assert row is not None, "the statement returns one row"
    return dict(row.items())


# SQLSTATE classes of a database that is away or going (as the backend's core/availability.py): connection
# exceptions, operator intervention (admin shutdown, "shutting down", "starting up"), insufficient resources
OUTAGE_SQLSTATE_PREFIXES = ("08", "57P", "53")


def _sqlstate(exc: BaseException) -> str | None:
    """The SQLSTATE of a driver error, looking through SQLAlchemy's and the asyncpg adapter's wrappers."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        state = getattr(current, "sqlstate", None) or getattr(current, "pgcode", None)
        if isinstance(state, str) and state:
            return state
        current = getattr(current, "orig", None) or current.__cause__
    return None


def pod_specific_problem(exc: BaseException) -> str | None:
    """Why the database refuses this pod in particular (login, privileges, connection limit), else None."""
    state = _sqlstate(exc)
    return POD_SPECIFIC_SQLSTATES.get(state) if state else None


def is_outage(exc: BaseException) -> bool:
    """True when a database error says the database is unreachable, going or starting (a 503 the client can
    retry), not a bug or a bad query (a 500). Postgres ending a session (a restart: 57P01 while a statement
    runs, 57P03 at connect) reaches the app as SQLAlchemy's generic DBAPIError, not an OperationalError."""
    if isinstance(exc, (OperationalError, InterfaceError, PoolTimeout, OSError, TimeoutError)):
        return True
    if isinstance(exc, DBAPIError):
        if exc.connection_invalidated or pod_specific_problem(exc):
            return True
        state = _sqlstate(exc)
        return state is not None and state.startswith(OUTAGE_SQLSTATE_PREFIXES)
    return False


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers run beside the writer; synchronous=NORMAL skips the fsync per commit (a power cut may
    # lose the last turns of context, never corrupt the file): a chat turn is one small write
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def alembic_config(connection: Connection | None = None) -> Config:
    from alembic.config import Config

    config = Config(str(PACKAGE_DIR / "alembic.ini"))
    config.set_main_option("script_location", str(PACKAGE_DIR / "migrations"))
    config.attributes["connection"] = connection
    return config


async def _recorded_revision(engine: AsyncEngine) -> str | None:
    """The revision the version table records, or None (no table yet, or several rows: Alembic's to judge)."""
    try:
        async with engine.connect() as conn:
            rows = (await conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}"))).scalars().all()  # noqa: S608 (a constant)
    except DBAPIError:
        return None
    return rows[0] if len(rows) == 1 else None


async def wait_for_database(engine: AsyncEngine, timeout: float, poll: float = 0.25) -> None:
    """Retry until the database answers: the chart starts the pods beside PostgreSQL (no init container), so
    they import and warm up meanwhile and connect within `poll` seconds of it accepting connections. Logs
    each change of what it sees (not each attempt); past `timeout` it fails, naming the last error."""
    started, last = time.monotonic(), ""
    while True:
        try:
            async with engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except (OSError, DBAPIError, PoolTimeout) as exc:
            waited = time.monotonic() - started
            seen = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
            if waited >= timeout:
                raise RuntimeError(f"database not reachable after {timeout:g}s: {seen}") from exc
            if seen != last:
                log.warning("waiting for the database (%.1fs): %s", waited, seen)
                last = seen
            await asyncio.sleep(poll)
        else:
            if last:
                log.info("the database answers after %.1fs", time.monotonic() - started)
            return


async def migrate(engine: AsyncEngine) -> None:
    """Apply the chatbot's migrations (to head), one starter at a time on Postgres; nothing (and no Alembic)
    when the schema is recorded at head already (a starter that is migrating commits its DDL and the new
    version together: until then the others see the old revision, take the lock and wait)."""
    if await _recorded_revision(engine) == HEAD:
        return
    from alembic import command

    async with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            # released at commit; a replica starting meanwhile waits here, then finds the schema at head
            await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
        await conn.run_sync(lambda sync_conn: command.upgrade(alembic_config(sync_conn), "head"))
