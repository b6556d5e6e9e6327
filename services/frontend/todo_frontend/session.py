"""The login session and its CSRF protection, as dependencies and exceptions the app's handlers answer.

Session: the backend's access token in an httpOnly, SameSite=Lax cookie. Secure is set only when
ENVIRONMENT=production AND the request arrived over https (directly or per X-Forwarded-Proto from an
ingress): browsers drop Secure cookies on plain http, so a Secure cookie would make login silently fail on the
plain-http NodePort (http://<node>:30080) and on `tcb dev`.

CSRF (docs/security.md): every browser gets a random `todo_csrf` cookie (httpOnly). The token a page puts
in its forms (and in `<meta name="csrf-token">` for scripts calling /api/*) is HMAC-SHA256(that cookie,
session token), so it is bound to the session and useless in another browser; another site can neither read
the cookie nor compute the token. Every state-changing form post (login and signup included, against login
CSRF) and every state-changing /api/* request that relies on the cookie session must carry it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Annotated

from fastapi import Depends, Form, Request, Response
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from todo_frontend.config import Settings

SESSION_COOKIE = "todo_session"
CSRF_COOKIE = "todo_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class NotLoggedIn(Exception):
    """The request has no session cookie: the page needs a login first."""


class SessionExpired(Exception):
    """The backend rejected the session token (expired, revoked by logout or a password change, tampered,
    or its user is gone)."""


class CsrfRejected(Exception):
    """A state-changing request without the CSRF token of this browser's session."""


def session_token(request: Request) -> str | None:
    return request.cookies.get(SESSION_COOKIE) or None


def require_session(request: Request) -> str:
    token = session_token(request)
    if not token:
        raise NotLoggedIn
    return token


SessionToken = Annotated[str, Depends(require_session)]


def csrf_secret(request: Request) -> str:
    """This browser's CSRF cookie, or the fresh one CsrfCookieMiddleware sets on this response."""
    secret: str = request.scope.setdefault("state", {}).get(CSRF_COOKIE) or ""
    return secret or request.cookies.get(CSRF_COOKIE, "")


def csrf_token(request: Request) -> str:
    """The token this browser's forms must send back, bound to its current session."""
    key = csrf_secret(request).encode()
    return hmac.new(key, (session_token(request) or "").encode(), hashlib.sha256).hexdigest()


def csrf_valid(request: Request, sent: str | None) -> bool:
    # A request without the cookie has no secret to check against: never valid.
    return bool(sent and request.cookies.get(CSRF_COOKIE)) and hmac.compare_digest(
        csrf_token(request), sent or ""
    )


async def require_csrf_form(request: Request, csrf_token: Annotated[str, Form()] = "") -> None:
    """Dependency of every form post: the hidden csrf_token field must match."""
    if not csrf_valid(request, csrf_token):
        raise CsrfRejected


CsrfChecked = Depends(require_csrf_form)


def template_context(request: Request) -> dict[str, str]:
    """Jinja context processor: every template can render {{ csrf_token }}."""
    return {"csrf_token": csrf_token(request)}


class CsrfCookieMiddleware:
    """Gives each browser without a CSRF cookie a random one (on whatever response it gets next)."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        if request.cookies.get(CSRF_COOKIE):
            await self.app(scope, receive, send)
            return
        fresh = secrets.token_urlsafe(32)
        scope.setdefault("state", {})[CSRF_COOKIE] = fresh
        secure = self._secure(request)

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                response = Response()
                response.set_cookie(
                    CSRF_COOKIE, fresh, httponly=True, samesite="lax", secure=secure, path="/"
                )
                headers = MutableHeaders(scope=message)
                headers.append("set-cookie", response.headers["set-cookie"])
            await send(message)

        await self.app(scope, receive, send_with_cookie)

    def _secure(self, request: Request) -> bool:
        return self.settings.environment == "production" and is_https(request)


def is_https(request: Request) -> bool:
    forwarded = request.headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
    return request.url.scheme == "https" or forwarded == "https"


def start_session(response: Response, request: Request, token: str, settings: Settings) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=settings.environment == "production" and is_https(request),
        path="/",
    )


def end_session(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax")
