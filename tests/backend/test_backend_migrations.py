"""Migrations: several replicas migrating the same database at once all succeed, the schema ends at head,
and the migrations describe exactly the models."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine
from todo_backend.migrate import head_revision
from todo_backend.models import Base

from harness.pgserver import PostgresServer

REPLICAS = 3


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}"
    pg: PostgresServer = request.getfixturevalue("pg_server")
    return pg.create_database("migration_race")


def _schema_state(connection: Connection) -> tuple[str | None, set[str], list[object]]:
    revision = MigrationContext.configure(connection).get_current_revision()
    tables = set(inspect(connection).get_table_names())
    drift = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    return revision, tables, drift


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_concurrent_migrations_all_succeed_and_reach_head(empty_database: str) -> None:
    env = {**os.environ, "DATABASE_URL": empty_database}
    # All processes start before any finishes: they race for the lock exactly as replicas of a new release do.
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "todo_backend.migrate"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for _ in range(REPLICAS)
    ]
    outputs = [process.communicate(timeout=120)[0] for process in processes]
    assert [p.returncode for p in processes] == [0] * REPLICAS, "\n---\n".join(outputs)
    # exactly one of them migrated; the others waited for the lock and found the schema at head
    assert sum("migrated from empty" in out for out in outputs) == 1, outputs
    assert sum("already at" in out for out in outputs) == REPLICAS - 1, outputs

    engine = create_async_engine(empty_database)
    async with engine.connect() as conn:
        revision, tables, drift = await conn.run_sync(_schema_state)
    await engine.dispose()
    assert revision == head_revision()
    assert {"users", "tasks", "alembic_version"} <= tables
    assert drift == [], f"models and migrations differ: {drift}"


def test_the_recorded_head_is_alembics_head() -> None:
    from todo_backend.migrate import HEAD

    assert head_revision() == HEAD, (
        f"todo_backend.migrate.HEAD is {HEAD!r}, the newest migration {head_revision()!r}: set HEAD to it"
    )


START_AT_HEAD = """
import asyncio, logging, sys
from sqlalchemy.ext.asyncio import create_async_engine
from todo_backend.migrate import upgrade_to_head
logging.basicConfig(level=logging.INFO, format="%(message)s")
engine = create_async_engine(sys.argv[1])
asyncio.run(upgrade_to_head(engine))
print("alembic imported:", any(m == "alembic" or m.startswith("alembic.") for m in sys.modules))
"""


def test_a_start_that_finds_the_schema_at_head_does_not_load_alembic(tmp_path: Path) -> None:
    """Every pod start but a new release's first: one row read, no Alembic import (its CPU is on the path to
    Ready). A fresh database still takes the full migration, which does load it."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'app.db'}"
    env = {**os.environ, "DATABASE_URL": url}

    def start() -> str:
        done = subprocess.run(
            [sys.executable, "-c", START_AT_HEAD, url], env=env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stderr
        return done.stdout + done.stderr

    first = start()
    assert "migrated from empty" in first and "alembic imported: True" in first, first
    again = start()
    assert "already at" in again and "alembic imported: False" in again, again
