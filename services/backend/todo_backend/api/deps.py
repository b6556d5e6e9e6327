"""Request dependencies as Annotated aliases: SessionDep, SettingsDep, CurrentUserId, CurrentUser."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request, Response, status
from fastapi.routing import APIRoute
from fastapi.security import HTTPBearer
from fastapi.security.utils import get_authorization_scheme_param
from sqlalchemy.ext.asyncio import AsyncSession

from todo_backend.core.config import Settings
from todo_backend.core.security import InvalidToken, TokenUser, user_from_token
from todo_backend.models import User


async def get_settings(request: Request) -> Settings:  # async: FastAPI runs sync dependencies in a thread
    settings: Settings = request.app.state.settings
    return settings


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    # GET handlers only read; every other method writes inside one transaction that the route commits.
    state = request.app.state
    factory = state.read_sessionmaker if request.method in ("GET", "HEAD") else state.sessionmaker
    async with factory() as session:
        yield session


SettingsDep = Annotated[Settings, Depends(get_settings)]
SessionDep = Annotated[AsyncSession, Depends(get_session)]


def unauthorized(detail: str) -> HTTPException:
    return HTTPException(status.HTTP_401_UNAUTHORIZED, detail=detail, headers={"WWW-Authenticate": "Bearer"})


# The account was deleted, or the token was revoked (logout or password change bumped the token version).
ACCOUNT_GONE = "this session has ended (logged out, password changed or account deleted): log in again"


def authenticate(request: Request) -> TokenUser:
    """The user id and token version of the request's valid bearer token (HTTPBearer's parsing), else a 401
    with WWW-Authenticate. The account may since have been deleted or the token revoked: a route that takes
    only this must check both itself, in the query it makes anyway (GET /api/tasks matches users.id AND
    users.token_version in its one query)."""
    scheme, token = get_authorization_scheme_param(request.headers.get("authorization"))
    if not (scheme and token) or scheme.lower() != "bearer":
        raise unauthorized("not authenticated: send Authorization: Bearer <access_token>")
    try:
        return user_from_token(token, request.app.state.settings.jwt_secret)
    except InvalidToken as exc:
        raise unauthorized(str(exc)) from exc


class BearerUser(HTTPBearer):
    """authenticate() as a dependency with HTTPBearer's OpenAPI security scheme (same name): one dependency
    to solve instead of a chain of two."""

    async def __call__(self, request: Request) -> TokenUser:  # type: ignore[override]
        return authenticate(request)


bearer_user = BearerUser(
    scheme_name="HTTPBearer", description="The access_token from /api/auth/signup or /api/auth/login"
)
# What an AuthenticatedRoute (no security dependency) declares in its OpenAPI operation.
BEARER_SECURITY: dict[str, Any] = {"security": [{bearer_user.scheme_name: []}]}
_USER = "todo_backend.user"


class AuthenticatedRoute(APIRoute):
    """A route whose bearer token is checked before FastAPI solves its parameters (so a 401 comes first, as
    from a first dependency), and whose endpoint reads the user with route_user(request). For the hot read
    routes: solving even one dependency cost FastAPI more CPU than the token check itself."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def authenticated(request: Request) -> Response:
            request.scope[_USER] = authenticate(request)
            return await handler(request)

        return authenticated


def route_user(request: Request) -> TokenUser:
    """The user an AuthenticatedRoute checked before its endpoint ran."""
    user: TokenUser = request.scope[_USER]
    return user


CurrentUserId = Annotated[TokenUser, Depends(bearer_user)]


async def get_current_user(session: SessionDep, token: CurrentUserId) -> User:
    user = await session.get(User, token.id)
    if user is None or user.token_version != token.version:
        raise unauthorized(ACCOUNT_GONE)
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]
