"""Liveness (no dependencies) and readiness (the database answers SELECT 1 within the timeout)."""

from __future__ import annotations

import asyncio
import logging

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from todo_backend import __version__
from todo_backend.api.deps import SettingsDep
from todo_backend.schemas import HealthOut, ReadyOut

router = APIRouter(prefix="/api", tags=["health"])
log = logging.getLogger("todo_backend.health")


@router.get("/health")
async def health(settings: SettingsDep) -> HealthOut:
    return HealthOut(version=__version__, environment=settings.environment, log_level=settings.log_level)


async def _select_one(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        await conn.execute(text("SELECT 1"))


@router.get(
    "/ready", response_model=ReadyOut, responses={503: {"description": "The database is unreachable"}}
)
async def ready(request: Request, settings: SettingsDep) -> ReadyOut | JSONResponse:
    try:
        await asyncio.wait_for(_select_one(request.app.state.engine), settings.ready_timeout_seconds)
    except TimeoutError:
        problem = "timeout"
        log.warning("not ready: no answer to SELECT 1 within %gs", settings.ready_timeout_seconds)
    except Exception as exc:  # any failure means not ready
        # The driver's text (host names, user names, internal addresses) goes to the log, not the body.
        problem = "unreachable"
        log.warning("not ready: database: %s", f"{type(exc).__name__}: {exc}".splitlines()[0][:300])
    else:
        return ReadyOut()
    return JSONResponse({"status": "unavailable", "detail": f"database: {problem}"}, status_code=503)
