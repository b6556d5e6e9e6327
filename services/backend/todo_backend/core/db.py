"""SQLAlchemy 2 async engine and sessions: a SQLite file by default (aiosqlite), Postgres via asyncpg."""

from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

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
    return create_async_engine(
        url,
        # Bounded waits: while the database is away a request fails fast with a 503 + Retry-After instead of
        # hanging until the client gives up (asyncpg's own connect timeout is 60 s, the pool's 30 s).
        connect_args={"timeout": settings.db_connect_timeout_seconds},
        pool_timeout=settings.db_pool_timeout_seconds,
        pool_size=settings.db_pool_size,
        # No overflow: under load, overflow connections were closed on return and reopened by the next
        # request, each a Postgres backend fork plus SCRAM auth. Beyond the pool, requests wait their turn.
        max_overflow=0,
        # pool_pre_ping costs a round trip per checkout, but without it every pooled connection that died
        # with a restarted Postgres failed one request (and one readiness probe) afterwards: up to pool_size
        # 503s per pod, long enough for both backend pods to leave the Service together.
        pool_pre_ping=True,
        pool_recycle=1800,
    )


def _sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions for writes (one transaction, committed by the route) or, on an AUTOCOMMIT engine, for GETs."""
    # expire_on_commit=False: objects stay readable after commit without another round trip.
    return async_sessionmaker(engine, expire_on_commit=False)
