"""Bring the database schema to the newest Alembic revision, safely when several replicas start at once.

Postgres: the whole upgrade runs in one transaction holding pg_advisory_xact_lock, so the other replicas
wait, then find the schema at head and do nothing. SQLite: an flock on a file beside the database.
The app runs this in its lifespan before serving; `python -m todo_backend.migrate` runs it alone
(e.g. from an init container or by hand).
"""

from __future__ import annotations

import asyncio
import fcntl
import logging
import os
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import anyio
from sqlalchemy import text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from todo_backend.core.config import DatabaseSettings

if TYPE_CHECKING:
    from alembic.config import Config

log = logging.getLogger("todo_backend.migrate")

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# Arbitrary but fixed 64-bit key ("todo-be\x01"): every replica must use the same one.
ADVISORY_LOCK_KEY = 0x746F646F2D626501
# The newest revision under migrations/versions. A start that finds the schema there (every start but the
# first of a new release) reads one row and never imports Alembic (its import alone is ~0.2 s of CPU, twice
# that at a pod's CPU limit, on every pod start). tests/backend/test_backend_migrations.py fails, naming the
# value, when a new migration is added without moving this.
HEAD = "0002"


def alembic_config() -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(connection: Connection) -> str | None:
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(connection).get_current_revision()


async def _recorded_revision(engine: AsyncEngine) -> str | None:
    """The revision alembic_version records, or None (no table yet, or several rows: alembic's to judge)."""
    try:
        async with engine.connect() as conn:
            rows = (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalars().all()
    except SQLAlchemyError:
        return None
    return rows[0] if len(rows) == 1 else None


@asynccontextmanager
async def _sqlite_file_lock(database: str | None) -> AsyncIterator[None]:
    if not database or database == ":memory:" or database.startswith("file:"):
        yield  # private to this process: nobody to race with
        return
    fd = os.open(f"{database}.migrate-lock", os.O_CREAT | os.O_RDWR, 0o600)
    try:
        await anyio.to_thread.run_sync(fcntl.flock, fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the flock


async def wait_for_database(engine: AsyncEngine, timeout: float, poll: float = 0.25) -> None:
    """Retry until the database answers. The chart starts the pods beside PostgreSQL (no init container): they
    import and start meanwhile, and connect within `poll` seconds of it accepting connections. A line per
    change of what it sees, not per attempt; past `timeout` it fails, naming the last error."""
    started, last = time.monotonic(), ""
    while True:
        try:
            async with engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except (OSError, SQLAlchemyError) as exc:
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


async def upgrade_to_head(engine: AsyncEngine) -> None:
    """Migrate to head under the cross-replica lock, unless the schema is recorded at head already (a
    replica that is migrating commits its DDL and the new version together, so until then others see the old
    revision, take the lock and wait)."""
    recorded = await _recorded_revision(engine)
    if recorded == HEAD:
        log.info("database schema already at %s", recorded)
        return

    def upgrade(connection: Connection) -> None:
        from alembic import command

        before = current_revision(connection)
        cfg = alembic_config()
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "head")
        after = current_revision(connection)
        if before != after:
            log.info("database schema migrated from %s to %s", before or "empty", after)
        else:
            log.info("database schema already at %s", after)

    async def locked_upgrade(conn: AsyncConnection) -> None:
        await conn.run_sync(upgrade)

    url = engine.url
    if url.get_backend_name() == "postgresql":
        async with engine.begin() as conn:
            await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK_KEY})
            await locked_upgrade(conn)
    else:
        async with _sqlite_file_lock(make_url(url).database):
            async with engine.begin() as conn:
                await locked_upgrade(conn)


async def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    settings = DatabaseSettings()
    engine = create_async_engine(settings.database_url)
    try:
        await wait_for_database(engine, settings.db_startup_timeout_seconds)
        await upgrade_to_head(engine)
    finally:
        await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main())
