"""Settings from the environment (names in the README and the chart's ConfigMap/Secret)."""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated, Literal, NamedTuple

from pydantic import AliasChoices, BeforeValidator, Field, SecretStr
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class Rate(NamedTuple):
    """At most `limit` events per `seconds`-long window; written `COUNT/SECONDS` in the environment."""

    limit: int
    seconds: int


def _parse_rate(value: object) -> object:
    if isinstance(value, str):
        count, sep, seconds = value.partition("/")
        if not sep or not count.strip().isdigit() or not seconds.strip().isdigit():
            raise ValueError(f"{value!r} is not a rate: write COUNT/SECONDS, e.g. 30/60 for 30 a minute")
        value = (int(count), int(seconds))
    if isinstance(value, tuple | list) and len(value) == 2:
        rate = Rate(int(value[0]), int(value[1]))
        if rate.limit < 1 or not 1 <= rate.seconds <= 24 * 3600:
            raise ValueError(f"rate {value}: COUNT must be >= 1 and SECONDS 1..86400")
        return rate
    return value


RateSetting = Annotated[Rate, NoDecode, BeforeValidator(_parse_rate)]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore")

    backend_url: str = "http://localhost:8000"
    backend_timeout_seconds: float = Field(default=5.0, gt=0)
    # a SQLite file in the working directory for local runs; Postgres (postgresql+asyncpg://…) in the cluster
    database_url: str = "sqlite+aiosqlite:///./chatbot.db"
    # Postgres pool (no overflow): the chart sets DB_POOL_SIZE and sizes max_connections from it
    db_pool_size: int = Field(default=5, ge=1, le=100)
    # bounded waits for the database in a request, so an outage answers 503 quickly instead of hanging
    db_connect_timeout_seconds: float = Field(default=3.0, gt=0, le=60)
    db_pool_timeout_seconds: float = Field(default=5.0, gt=0, le=60)
    # How long the start waits for the database (a Postgres pod starting beside this one) before failing; the
    # chart sets it just below its startup probe's window (DB_STARTUP_TIMEOUT_SECONDS in the ConfigMap).
    db_startup_timeout_seconds: float = Field(default=60.0, ge=0, le=600)
    nlu_provider: str = "rules"
    llm_base_url: str | None = None
    llm_model: str | None = None
    llm_api_key: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("llm_api_key", "openrouter_api_key")
    )
    llm_timeout_seconds: float = Field(default=3.0, gt=0)
    environment: Literal["development", "production"] = "production"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    # Abuse limits (docs/security.md), counted in the database so they hold across replicas.
    chat_limit_per_account: RateSetting = Rate(30, 60)
    chat_limit_per_address: RateSetting = Rate(60, 60)
    # The oldest conversation's context goes when a user starts one more (each page load starts one).
    max_conversations_per_user: int = Field(default=50, ge=1, le=100_000)
    max_body_bytes: int = Field(default=64 * 1024, ge=1024, le=16 * 1024 * 1024)
    # X-Forwarded-For (from the frontend) is believed only with this token in X-Proxy-Token. Empty: only
    # uvicorn's own FORWARDED_ALLOW_IPS (default 127.0.0.1) applies.
    proxy_token: SecretStr = SecretStr("")


@lru_cache
def get_settings() -> Settings:
    return Settings()
