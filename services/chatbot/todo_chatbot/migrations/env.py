"""Alembic environment: the chatbot's tables only, tracked in their own version table."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from todo_chatbot.core.config import Settings
from todo_chatbot.core.db import VERSION_TABLE, make_engine
from todo_chatbot.models import Base


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=Base.metadata, version_table=VERSION_TABLE)
    with context.begin_transaction():
        context.run_migrations()


async def _run_standalone() -> None:
    engine = make_engine(Settings().database_url)
    async with engine.begin() as conn:
        await conn.run_sync(_run)
    await engine.dispose()


connection = context.config.attributes.get("connection")
if connection is not None:
    _run(connection)  # called from todo_chatbot.core.db.migrate on the app's own connection
else:
    asyncio.run(_run_standalone())
