"""Backend fixtures: each API test runs against a SQLite file AND a real PostgreSQL (harness.pgserver).

If PostgreSQL cannot start the postgres-marked tests fail (not skip): CI has it installed.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from backend_api import SECRET
from todo_backend.core.config import Settings
from todo_backend.main import create_app

from harness.pgserver import PostgresServer

_database_numbers = itertools.count(1)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer]:
    with PostgresServer() as server:
        yield server


@pytest.fixture
def fresh_postgres_url(pg_server: PostgresServer) -> Iterator[str]:
    name = f"backend_test_{next(_database_numbers)}"
    yield pg_server.create_database(name)
    pg_server.drop_database(name)


@pytest.fixture(scope="session")
def shared_postgres_url(pg_server: PostgresServer) -> str:
    return pg_server.create_database("backend_shared")


# Emptying the migrated tables is ~20x faster than creating and migrating a database for every test.
_EMPTY_TABLES = """DO $$ BEGIN
  IF to_regclass('tasks') IS NOT NULL THEN TRUNCATE tasks, users RESTART IDENTITY CASCADE; END IF;
  IF to_regclass('rate_limits') IS NOT NULL THEN TRUNCATE rate_limits, login_failures; END IF;
END $$"""


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database per test: a new SQLite file, or the shared Postgres database, emptied."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'todo.db'}"
    url: str = request.getfixturevalue("shared_postgres_url")
    pg_server: PostgresServer = request.getfixturevalue("pg_server")
    pg_server.sql(_EMPTY_TABLES, database="backend_shared")
    return url


@pytest.fixture
def settings(db_url: str) -> Settings:
    return Settings(database_url=db_url, better_auth_secret=SECRET, environment="production")


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client wired to the app (lifespan run, so the schema is migrated)."""
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://backend") as http:
            yield http
