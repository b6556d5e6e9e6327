"""The login session: the backend's access token in an httpOnly, SameSite=Lax cookie.

Secure is set only when ENVIRONMENT=production AND the request arrived over https (directly or per
X-Forwarded-Proto from an ingress): browsers drop Secure cookies on plain http, so a Secure cookie would make
login silently fail on the plain-http NodePort (http://<node>:30080) and on `tcb dev`.
CSRF: SameSite=Lax keeps the cookie off cross-site POSTs, and every state change is a POST (never a GET).
"""

from __future__ import annotations

from fastapi import Request, Response

from todo_frontend.config import Settings

SESSION_COOKIE = "todo_session"


def session_token(request: Request) -> str | None:
    return request.cookies.get(SESSION_COOKIE) or None


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
