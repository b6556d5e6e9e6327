"""Liveness (/api/health), readiness (/api/ready) and Prometheus metrics (/metrics)."""

from __future__ import annotations

import logging

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from todo_chatbot import __version__
from todo_chatbot.api.deps import BackendDep, SettingsDep, StoreDep
from todo_chatbot.core.db import pod_specific_problem

log = logging.getLogger("todo_chatbot")
router = APIRouter()


@router.get("/api/health")
async def health(settings: SettingsDep) -> dict[str, str]:
    log.debug("liveness check answered (log level %s)", settings.log_level)
    return {
        "status": "ok",
        "service": "chatbot",
        "version": __version__,
        "environment": settings.environment,
        "log_level": settings.log_level,
    }


@router.get("/api/ready")
async def ready(backend: BackendDep, store: StoreDep) -> JSONResponse:
    # ready = this pod can serve. The backend's and the database's state are reported, not required: an
    # outage is the same for every pod, and a pod out of the Service answers nothing, where a ready one
    # answers 503 + Retry-After. Only a database that refuses this pod's own login makes it unready.
    checks: dict[str, str] = {"backend": await backend.health()}
    ok = True
    try:
        await store.ping()
        checks["database"] = "ok"
    except Exception as exc:  # reported by kind only; the driver's text goes to the log
        problem = pod_specific_problem(exc)
        ok = problem is None
        checks["database"] = f"refuses this pod: {problem}" if problem else "unavailable"
        log.warning("database check failed: %s", str(exc).splitlines()[0][:200] if str(exc) else exc)
    return JSONResponse(
        {"status": "ready" if ok else "not ready", "service": "chatbot", "checks": checks},
        status_code=200 if ok else 503,
    )


@router.get("/metrics")
async def metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
