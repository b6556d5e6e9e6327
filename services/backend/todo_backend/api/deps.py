"""Request dependencies as Annotated aliases: SessionDep, SettingsDep, CurrentUserId, CurrentUser."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession

from todo_backend.core.config import Settings
from todo_backend.core.security import InvalidToken, TokenUser, user_from_token
from todo_backend.models import User

# auto_error=False: a missing header becomes our 401 (with WWW-Authenticate), not a bare 403.
bearer = HTTPBearer(auto_error=False, description="The access_token from /api/auth/signup or /api/auth/login")


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


async def get_current_user_id(
    request: Request,  # settings straight from the app state: one dependency less to solve per request
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> TokenUser:
    """The user id and token version of a valid token. The account may since have been deleted or the token
    revoked: a route that takes only this must check both itself, in the query it makes anyway
    (GET /api/tasks matches users.id AND users.token_version in its one query)."""
    if credentials is None:
        raise unauthorized("not authenticated: send Authorization: Bearer <access_token>")
    try:
        return user_from_token(credentials.credentials, request.app.state.settings.jwt_secret)
    except InvalidToken as exc:
        raise unauthorized(str(exc)) from exc


CurrentUserId = Annotated[TokenUser, Depends(get_current_user_id)]


async def get_current_user(session: SessionDep, token: CurrentUserId) -> User:
    user = await session.get(User, token.id)
    if user is None or user.token_version != token.version:
        raise unauthorized(ACCOUNT_GONE)
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]
