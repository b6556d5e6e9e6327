"""Settings from the environment (names in the README and the chart's ConfigMap/Secret)."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


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
    nlu_provider: str = "rules"
    llm_base_url: str | None = None
    llm_model: str | None = None
    llm_api_key: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("llm_api_key", "openrouter_api_key")
    )
    llm_timeout_seconds: float = Field(default=3.0, gt=0)
    environment: Literal["development", "production"] = "production"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"


@lru_cache
def get_settings() -> Settings:
    return Settings()
