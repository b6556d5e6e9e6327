"""Request dependencies as Annotated aliases (Token, SettingsDep, ServiceDep, LimiterDep, StoreDep, ...).

The app factory (todo_chatbot.main.create_app) puts the shared objects on app.state; these read them."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from todo_chatbot.backend import BackendClient, BackendUnauthorized
from todo_chatbot.chat import ChatService
from todo_chatbot.core.config import Settings
from todo_chatbot.core.limits import RateLimiter
from todo_chatbot.crud import ConversationStore

bearer = HTTPBearer(auto_error=False)


async def bearer_token(  # async: FastAPI runs a sync dependency in a worker thread
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> str:
    if credentials is None or not credentials.credentials:
        raise BackendUnauthorized(
            "missing bearer token: send 'Authorization: Bearer <token>' from /api/auth/login"
        )
    return credentials.credentials


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_service(request: Request) -> ChatService:
    service: ChatService = request.app.state.service
    return service


async def get_limiter(request: Request) -> RateLimiter:
    limiter: RateLimiter = request.app.state.limiter
    return limiter


async def get_store(request: Request) -> ConversationStore:
    store: ConversationStore = request.app.state.store
    return store


async def get_backend(request: Request) -> BackendClient:
    backend: BackendClient = request.app.state.backend
    return backend


Token = Annotated[str, Depends(bearer_token)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
ServiceDep = Annotated[ChatService, Depends(get_service)]
LimiterDep = Annotated[RateLimiter, Depends(get_limiter)]
StoreDep = Annotated[ConversationStore, Depends(get_store)]
BackendDep = Annotated[BackendClient, Depends(get_backend)]
