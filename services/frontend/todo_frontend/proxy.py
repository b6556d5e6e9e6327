"""Same-origin API: /api/health and /api/ready answered here, every other /api/* path forwarded
(/api/chat to the chatbot, the rest to the backend) with the session cookie turned into a Bearer token.

A state-changing request that relies on the cookie session must carry the page's CSRF token in
X-CSRF-Token; a request with its own Authorization header needs none (no browser adds one by itself)."""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse

from todo_frontend.config import Settings, app_version
from todo_frontend.session import CSRF_HEADER, SAFE_METHODS, CsrfRejected, csrf_valid, session_token
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
    "x-forwarded-for",  # replaced by the address this frontend saw (see upstream.client_headers)
    "x-proxy-token",
    CSRF_HEADER,
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


# The dependencies are async: FastAPI runs a plain `def` dependency in a worker thread, a thread hop on every
# proxied request (the chat's among them) for reading an attribute.
async def get_upstreams(request: Request) -> Upstreams:
    upstreams: Upstreams = request.app.state.upstreams
    return upstreams


def get_app_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def app_settings(request: Request) -> Settings:
    return get_app_settings(request)


log = logging.getLogger("todo_frontend.health")
UpstreamsDep = Annotated[Upstreams, Depends(get_upstreams)]
SettingsDep = Annotated[Settings, Depends(app_settings)]


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
    """Ready when the backend Service answers its liveness check on a new connection: without a ready
    backend no page can render."""
    checks: dict[str, str] = {}
    try:
        response = await upstreams.probe("/api/health")
        checks["backend"] = "ok" if response.status_code == 200 else f"HTTP {response.status_code}"
    except UpstreamUnavailable as exc:
        checks["backend"] = exc.reason  # "unreachable" or "no answer in time": no internal URL
    ok = all(value == "ok" for value in checks.values())
    body: dict[str, Any] = {"status": "ready" if ok else "not ready", "service": "frontend", "checks": checks}
    return JSONResponse(body, status_code=200 if ok else 503)


def _dot_segment(path: str) -> bool:
    # Starlette has already decoded %2e%2e and %2f: "/api/%2e%2e/metrics" arrives as "../metrics", which
    # the upstream URL would resolve to /metrics, outside /api.
    return any(part in (".", "..") for part in path.replace("\\", "/").split("/"))


@router.api_route("/api/{path:path}", methods=_METHODS, include_in_schema=False)
async def forward(path: str, request: Request, upstreams: UpstreamsDep) -> Response:
    if _dot_segment(path):
        return JSONResponse(
            {"detail": "the path must not contain '.' or '..' segments (also percent-encoded)"},
            status_code=400,
        )
    has_authorization = "authorization" in request.headers
    token = None if has_authorization else session_token(request)
    if (
        token
        and request.method not in SAFE_METHODS
        and not csrf_valid(request, request.headers.get(CSRF_HEADER))
    ):
        raise CsrfRejected
    headers = {k: v for k, v in request.headers.items() if k.lower() not in _DROP_REQUEST}
    headers["x-forwarded-proto"] = request.url.scheme
    headers["x-forwarded-host"] = request.headers.get("host", "")
    try:
        upstream = await upstreams.request(
            request.method,
            f"/api/{path}",
            token=token,
            client_host=request.client.host if request.client else None,
            params=request.query_params,
            headers=headers,
            content=await request.body(),  # capped by BodyLimitMiddleware: 413 past the limit
        )
    except UpstreamUnavailable as exc:
        return JSONResponse(
            {"detail": f"{exc.service} unavailable: {exc.reason}; try again shortly"},
            status_code=504 if exc.timed_out else 502,
        )
    response = Response(content=upstream.content, status_code=upstream.status_code)
    for name, value in upstream.headers.multi_items():
        if name.lower() not in _DROP_RESPONSE:
            response.headers.append(name, value)
    return response
