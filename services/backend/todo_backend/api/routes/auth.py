"""Sign up, log in, and who am I."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, HTTPException, status
from sqlalchemy.exc import IntegrityError

from todo_backend import crud
from todo_backend.api.deps import CurrentUser, SessionDep, SettingsDep
from todo_backend.core.config import Settings
from todo_backend.core.security import create_access_token, verify_password
from todo_backend.models import User
from todo_backend.schemas import LoginRequest, SignupRequest, TokenOut, UserOut

router = APIRouter(prefix="/api/auth", tags=["auth"])

_EMAIL_TAKEN = "an account with this email already exists: log in instead"


def _token_for(user: User, settings: Settings) -> TokenOut:
    token = create_access_token(
        user.id, settings.jwt_secret, timedelta(minutes=settings.access_token_expire_minutes)
    )
    return TokenOut(access_token=token, user=UserOut.model_validate(user))


@router.post(
    "/signup",
    status_code=status.HTTP_201_CREATED,
    responses={409: {"description": "Email already registered"}},
)
async def signup(body: SignupRequest, session: SessionDep, settings: SettingsDep) -> TokenOut:
    if await crud.get_user_by_email(session, body.email) is not None:
        raise HTTPException(status.HTTP_409_CONFLICT, detail=_EMAIL_TAKEN)
    try:
        user = await crud.create_user(session, body)
        await session.commit()
    except IntegrityError as exc:  # the same email signed up concurrently
        await session.rollback()
        raise HTTPException(status.HTTP_409_CONFLICT, detail=_EMAIL_TAKEN) from exc
    return _token_for(user, settings)


@router.post("/login", responses={401: {"description": "Wrong email or password"}})
async def login(body: LoginRequest, session: SessionDep, settings: SettingsDep) -> TokenOut:
    user = await crud.get_user_by_email(session, body.email)
    if not await verify_password(body.password, user.hashed_password if user else None) or user is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            detail="wrong email or password",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return _token_for(user, settings)


@router.get("/me", responses={401: {"description": "Missing, expired or invalid token"}})
async def me(user: CurrentUser) -> UserOut:
    return UserOut.model_validate(user)
