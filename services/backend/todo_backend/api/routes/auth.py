"""Sign up, log in, log out, change password, and who am I. Abuse limits: docs/security.md."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, HTTPException, Request, status
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from todo_backend import crud
from todo_backend.api.deps import CurrentUser, SessionDep, SettingsDep
from todo_backend.core import limits
from todo_backend.core.config import Settings
from todo_backend.core.security import create_access_token, hash_password, verify_password
from todo_backend.models import User
from todo_backend.schemas import LoginRequest, PasswordChangeRequest, SignupRequest, TokenOut, UserOut

router = APIRouter(prefix="/api/auth", tags=["auth"])

_EMAIL_TAKEN = "an account with this email already exists: log in instead"
_TOO_MANY: dict[int | str, dict[str, Any]] = {
    429: {"description": "Too many attempts; Retry-After says when to try again"}
}


def _token_for(user: User, settings: Settings) -> TokenOut:
    token = create_access_token(
        user.id,
        settings.jwt_secret,
        timedelta(minutes=settings.access_token_expire_minutes),
        user.token_version,
    )
    return TokenOut(access_token=token, user=UserOut.model_validate(user))


@router.post(
    "/signup",
    status_code=status.HTTP_201_CREATED,
    responses={409: {"description": "Email already registered"}, **_TOO_MANY},
)
async def signup(
    body: SignupRequest, request: Request, session: SessionDep, settings: SettingsDep
) -> TokenOut:
    address = limits.client_address(request)
    async with request.app.state.read_engine.connect() as conn:  # autocommit: the count survives a 409
        await limits.enforce(
            conn, f"signup:address:{address}", settings.signup_limit_per_address, time.time(), "sign-ups"
        )
    if await crud.get_user_by_email(session, body.email) is not None:
        # Hash anyway, so a taken email answers as slowly as a new one: timing tells nothing more than the
        # (rate-limited) status does.
        await hash_password(body.password)
        raise HTTPException(status.HTTP_409_CONFLICT, detail=_EMAIL_TAKEN)
    try:
        user = await crud.create_user(session, body)
        await session.commit()
    except IntegrityError as exc:  # the same email signed up concurrently
        await session.rollback()
        raise HTTPException(status.HTTP_409_CONFLICT, detail=_EMAIL_TAKEN) from exc
    return _token_for(user, settings)


def _wrong_password() -> HTTPException:
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED, detail="wrong email or password", headers={"WWW-Authenticate": "Bearer"}
    )


async def _check_password(
    request: Request, settings: Settings, account: str, password: str, hashed: str | None
) -> bool:
    """verify_password behind the per-address rate limit and the per-(account, address) lockout; failures
    are recorded, a success clears this address's failures for the account."""
    address = limits.client_address(request)
    now = time.time()
    async with request.app.state.read_engine.connect() as conn:
        await limits.enforce(
            conn, f"login:address:{address}", settings.login_limit_per_address, now, "login attempts"
        )
        wait = await limits.login_wait(conn, account, address, now, settings)
        if wait is not None:
            raise limits.too_many(wait, "failed logins for this account from this address")
    ok = await verify_password(password, hashed)
    async with request.app.state.read_engine.connect() as conn:
        if ok:
            await limits.clear_login_failures(conn, account, address)
        else:
            await limits.record_login_failure(conn, account, address, time.time(), settings)
    return ok


@router.post("/login", responses={401: {"description": "Wrong email or password"}, **_TOO_MANY})
async def login(body: LoginRequest, request: Request, session: SessionDep, settings: SettingsDep) -> TokenOut:
    user = await crud.get_user_by_email(session, body.email)
    hashed = user.hashed_password if user else None
    if not await _check_password(request, settings, body.email, body.password, hashed) or user is None:
        raise _wrong_password()
    return _token_for(user, settings)


@router.post(
    "/logout",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={401: {"description": "Missing, expired or revoked token"}},
)
async def logout(user: CurrentUser, session: SessionDep) -> None:
    """Revokes every token of this account (all its sessions): the token version moves on."""
    await session.execute(update(User).where(User.id == user.id).values(token_version=User.token_version + 1))
    await session.commit()


@router.post(
    "/password",
    responses={
        401: {"description": "Missing, expired or revoked token"},
        403: {"description": "The current password is wrong"},
        **_TOO_MANY,
    },
)
async def change_password(
    body: PasswordChangeRequest,
    request: Request,
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
) -> TokenOut:
    """Sets a new password and revokes every earlier token; the answer carries a fresh one."""
    if not await _check_password(request, settings, user.email, body.current_password, user.hashed_password):
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail="the current password is wrong")
    user.hashed_password = await hash_password(body.new_password)
    user.token_version += 1
    await session.commit()
    return _token_for(user, settings)


@router.get("/me", responses={401: {"description": "Missing, expired, revoked or invalid token"}})
async def me(user: CurrentUser) -> UserOut:
    return UserOut.model_validate(user)
