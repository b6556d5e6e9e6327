"""Frontend settings from the environment (BACKEND_URL, CHATBOT_URL, ENVIRONMENT, LOG_LEVEL, …)."""

from __future__ import annotations

from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore")

    backend_url: str = "http://localhost:8000"
    chatbot_url: str = "http://localhost:8001"
    environment: Literal["development", "production"] = "production"
    log_level: str = "INFO"
    # Longer than the chatbot's own LLM timeout, so a slow model answers through the proxy instead of a 504.
    upstream_timeout_seconds: float = 60.0
    # Form posts and proxied /api bodies above this answer 413 before being read in full.
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024, le=64 * 1024 * 1024)
    # Sent as X-Proxy-Token with X-Forwarded-For, so the backend and chatbot believe the client address this
    # frontend names (their per-address limits); the chart derives it from BETTER_AUTH_SECRET.
    proxy_token: SecretStr = SecretStr("")


@lru_cache
def get_settings() -> Settings:
    return Settings()


def app_version() -> str:
    try:
        return version("todo-frontend")
    except PackageNotFoundError:
        return "0.0.0"
