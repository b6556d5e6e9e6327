"""Alembic environment. The app passes its own connection (config.attributes["connection"]) from inside
todo_backend.migrate, which holds the cross-replica lock; the alembic CLI connects to DATABASE_URL itself."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from todo_backend.core.config import DatabaseSettings
from todo_backend.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations(connection: Connection) -> None:
    # render_as_batch: SQLite can only alter tables by copying them, which batch mode does.
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


async def run_migrations_from_cli() -> None:
    engine = create_async_engine(DatabaseSettings().database_url)
    async with engine.begin() as connection:
        await connection.run_sync(run_migrations)
    await engine.dispose()


if context.is_offline_mode():
    context.configure(
        url=DatabaseSettings().database_url, target_metadata=target_metadata, literal_binds=True
    )
    with context.begin_transaction():
        context.run_migrations()
elif (shared := config.attributes.get("connection")) is not None:
    run_migrations(shared)
else:
    asyncio.run(run_migrations_from_cli())
