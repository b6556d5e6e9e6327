"""Liveness (no dependencies) and readiness: "this pod can serve" (see core/availability.py).

Readiness runs SELECT 1 through the pod's own pool. A database that is away for everyone keeps the pod ready
(its requests get a quick 503 with Retry-After, which beats a refused connection); a database that refuses
this pod's login takes it out of the Service. The body says which, never the driver's error text (logged).
"""

from __future__ import annotations

import asyncio
import logging

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from todo_backend import __version__
from todo_backend.api.deps import SettingsDep
from todo_backend.core.availability import pod_specific_problem
from todo_backend.schemas import HealthOut, ReadyOut

log = logging.getLogger("todo_backend.health")
router = APIRouter(prefix="/api", tags=["health"])


@router.get("/health")
async def health(settings: SettingsDep) -> HealthOut:
    log.debug("liveness check answered (log level %s)", settings.log_level)
    return HealthOut(version=__version__, environment=settings.environment, log_level=settings.log_level)


async def _select_one(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        await conn.execute(text("SELECT 1"))


@router.get(
    "/ready",
    response_model=ReadyOut,
    responses={503: {"description": "The database refuses this pod (login, privileges, connection limit)"}},
)
async def ready(request: Request, settings: SettingsDep) -> ReadyOut | JSONResponse:
    try:
        await asyncio.wait_for(_select_one(request.app.state.engine), settings.ready_timeout_seconds)
    except Exception as exc:  # any failure is reported; only one specific to this pod makes it unready
        problem = pod_specific_problem(exc)
        detail = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        if problem:
            log.warning("not ready: the database refuses this pod (%s): %s", problem, detail)
            return JSONResponse(
                {"status": "unavailable", "service": "backend", "database": problem}, status_code=503
            )
        log.warning("ready, but the database is unavailable (requests answer 503): %s", detail)
        return ReadyOut(database="unavailable")
    return ReadyOut()
