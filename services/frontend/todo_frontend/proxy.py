"""Same-origin API: /api/health and /api/ready answered here, every other /api/* path forwarded
(/api/chat to the chatbot, the rest to the backend) with the session cookie turned into a Bearer token."""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse

from todo_frontend.config import Settings, app_version
from todo_frontend.session import SESSION_COOKIE
from todo_frontend.upstream import Upstreams, UpstreamUnavailable

router = APIRouter()

# Hop-by-hop headers (RFC 9110 §7.6.1) and ones the proxy recomputes or must not pass on.
_DROP_REQUEST = {
    "host",
    "connection",
    "keep-alive",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "content-length",
    "cookie",
    "accept-encoding",
}
_DROP_RESPONSE = {
    "connection",
    "keep-alive",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "content-length",
    "content-encoding",
}
_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]


def get_upstreams(request: Request) -> Upstreams:
    upstreams: Upstreams = request.app.state.upstreams
    return upstreams


def get_app_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


log = logging.getLogger("todo_frontend.health")
UpstreamsDep = Annotated[Upstreams, Depends(get_upstreams)]
SettingsDep = Annotated[Settings, Depends(get_app_settings)]


@router.get("/api/health")
async def health(settings: SettingsDep) -> dict[str, str]:
    log.debug("liveness check answered (log level %s)", settings.log_level)
    return {
        "status": "ok",
        "service": "frontend",
        "version": app_version(),
        "environment": settings.environment,
        "log_level": settings.log_level,
    }


@router.get("/api/ready")
async def ready(upstreams: UpstreamsDep) -> JSONResponse:
    """Ready when the backend answers its liveness check: without it no page can render."""
    checks: dict[str, str] = {}
    try:
        response = await upstreams.request("GET", "/api/health")
        checks["backend"] = "ok" if response.status_code == 200 else f"HTTP {response.status_code}"
    except UpstreamUnavailable as exc:
        checks["backend"] = exc.reason
    ok = all(value == "ok" for value in checks.values())
    body: dict[str, Any] = {"status": "ready" if ok else "not ready", "service": "frontend", "checks": checks}
    return JSONResponse(body, status_code=200 if ok else 503)


@router.api_route("/api/{path:path}", methods=_METHODS, include_in_schema=False)
async def forward(path: str, request: Request, upstreams: UpstreamsDep) -> Response:
    headers = {k: v for k, v in request.headers.items() if k.lower() not in _DROP_REQUEST}
    client_host = request.client.host if request.client else ""
    prior = request.headers.get("x-forwarded-for")
    headers["x-forwarded-for"] = f"{prior}, {client_host}" if prior else client_host
    headers["x-forwarded-proto"] = request.url.scheme
    headers["x-forwarded-host"] = request.headers.get("host", "")
    try:
        upstream = await upstreams.request(
            request.method,
            f"/api/{path}",
            token=request.cookies.get(SESSION_COOKIE),
            params=request.query_params,
            headers=headers,
            content=await request.body(),
        )
    except UpstreamUnavailable as exc:
        return JSONResponse(
            {"detail": f"{exc.service} unavailable: {exc.reason}"}, status_code=504 if exc.timed_out else 502
        )
    response = Response(content=upstream.content, status_code=upstream.status_code)
    for name, value in upstream.headers.multi_items():
        if name.lower() not in _DROP_RESPONSE:
            response.headers.append(name, value)
    return response
