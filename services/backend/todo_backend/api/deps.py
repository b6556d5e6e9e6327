"""Request dependencies as Annotated aliases: SessionDep, SettingsDep, CurrentUserId, CurrentUser."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession

from todo_backend.core.config import Settings
from todo_backend.core.security import InvalidToken, user_id_from_token
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


ACCOUNT_GONE = "the account for this token no longer exists"


async def get_current_user_id(
    request: Request,  # settings straight from the app state: one dependency less to solve per request
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> int:
    """The user id of a valid token. The account may since have been deleted: a route that takes only this
    must check that the user exists itself (GET /api/tasks does, in its one query)."""
    if credentials is None:
        raise unauthorized("not authenticated: send Authorization: Bearer <access_token>")
    try:
        return user_id_from_token(credentials.credentials, request.app.state.settings.jwt_secret)
    except InvalidToken as exc:
        raise unauthorized(str(exc)) from exc


CurrentUserId = Annotated[int, Depends(get_current_user_id)]


async def get_current_user(session: SessionDep, user_id: CurrentUserId) -> User:
    user = await session.get(User, user_id)
    if user is None:
        raise unauthorized(ACCOUNT_GONE)
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]
