"""All backend configuration, from the environment (pydantic-settings).

Outside development the JWT secret must be a real one: a missing, short or well-known value would let
anyone who reads this repository forge tokens, so Settings() refuses it and the app does not start.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from functools import lru_cache
from typing import Annotated, Literal, NamedTuple

from pydantic import BeforeValidator, Field, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

log = logging.getLogger("todo_backend.config")

MIN_SECRET_LENGTH = 32
# Values that appear in docs, examples and tutorials; a secret equal to (or built on) one of these is public.
KNOWN_DEFAULT_SECRETS = frozenset(
    {
        "changeme",
        "change-me",
        "changethis",
        "secret",
        "supersecret",
        "password",
        "your-secret-key",
        "your-secret-key-here",
        "your-super-secret-jwt-token-with-at-least-32-characters-long",
        "dev-secret-change-me-in-production-0123456789",
        "replace-with-a-random-string-of-at-least-32-characters",
    }
)
PLACEHOLDER_WORDS = ("changeme", "change-me", "change_me", "changethis", "replace", "example", "placeholder")


def secret_problem(secret: str | None) -> str | None:
    """Why `secret` is unfit to sign tokens, or None if it is fine."""
    if not secret:
        return "is not set"
    lowered = secret.strip().lower()
    if lowered in KNOWN_DEFAULT_SECRETS or any(word in lowered for word in PLACEHOLDER_WORDS):
        return "is a well-known default or placeholder"
    if len(secret) < MIN_SECRET_LENGTH:
        return f"is too short ({len(secret)} characters, need at least {MIN_SECRET_LENGTH})"
    if len(set(secret)) < 8:
        return "has too few distinct characters to be random"
    return None


def derive_proxy_token(jwt_secret: str) -> str:
    """The chart's PROXY_TOKEN: sha256sum of "forwarded-for:<BETTER_AUTH_SECRET>" (one-way, so the services
    that get it learn nothing about the signing secret)."""
    return hashlib.sha256(f"forwarded-for:{jwt_secret}".encode()).hexdigest()


class Rate(NamedTuple):
    """At most `limit` events per `seconds`-long window; written `COUNT/SECONDS` in the environment."""

    limit: int
    seconds: int

    def __str__(self) -> str:
        return f"{self.limit}/{self.seconds}"


MAX_WINDOW_SECONDS = 24 * 3600  # counters older than this are deleted


def _parse_rate(value: object) -> object:
    if isinstance(value, str):
        count, sep, seconds = value.partition("/")
        if not sep or not count.strip().isdigit() or not seconds.strip().isdigit():
            raise ValueError(f"{value!r} is not a rate: write COUNT/SECONDS, e.g. 30/60 for 30 a minute")
        value = (int(count), int(seconds))
    if isinstance(value, tuple | list) and len(value) == 2:
        rate = Rate(int(value[0]), int(value[1]))
        if rate.limit < 1 or not 1 <= rate.seconds <= MAX_WINDOW_SECONDS:
            raise ValueError(f"rate {rate}: COUNT must be >= 1 and SECONDS 1..{MAX_WINDOW_SECONDS}")
        return rate
    return value


RateSetting = Annotated[Rate, NoDecode, BeforeValidator(_parse_rate)]


class DatabaseSettings(BaseSettings):
    """What the migration command needs: only DATABASE_URL, so migrating never requires the JWT secret."""

    model_config = SettingsConfigDict(env_file=None, extra="ignore", case_sensitive=False)

    database_url: str = "sqlite+aiosqlite:///./todo.db"
    # How long startup waits for the database (e.g. a Postgres pod starting at the same time) before failing.
    # The chart sets it just below its startup probe's window (DB_STARTUP_TIMEOUT_SECONDS in the ConfigMap).
    db_startup_timeout_seconds: float = Field(default=60.0, ge=0, le=600)


class Settings(DatabaseSettings):
    better_auth_secret: str | None = Field(default=None, repr=False)
    environment: Literal["development", "production"] = "production"
    log_level: Literal["CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG"] = "INFO"
    access_token_expire_minutes: int = Field(default=60 * 24, ge=1, le=60 * 24 * 30)
    # Pool per process (no overflow). The chart sets DB_POOL_SIZE and sizes Postgres' max_connections from it.
    db_pool_size: int = Field(default=10, ge=1, le=100)
    # Bounds on waiting for the database in a request: a new connection, a free pooled one.
    db_connect_timeout_seconds: float = Field(default=3.0, gt=0, le=60)
    db_pool_timeout_seconds: float = Field(default=5.0, gt=0, le=60)
    ready_timeout_seconds: float = Field(default=2.0, gt=0, le=30)

    # Abuse limits (docs/security.md). Counted in the database, so they hold across replicas.
    signup_limit_per_address: RateSetting = Rate(30, 3600)
    login_limit_per_address: RateSetting = Rate(30, 60)
    # Failed-login lockout per (account, client address): this many failures are free, then each further
    # one locks that pair for 1 s, 2 s, 4 s ... up to login_lockout_max_seconds.
    login_free_failures: int = Field(default=5, ge=1, le=100)
    login_lockout_max_seconds: int = Field(default=900, ge=1, le=MAX_WINDOW_SECONDS)
    # Per account, over all addresses: after this many failures within login_failure_memory_seconds, only
    # addresses without a failure of their own may still try (so an attacker cannot lock the owner out).
    login_account_failure_budget: int = Field(default=100, ge=1)
    login_failure_memory_seconds: int = Field(default=3600, ge=60, le=MAX_WINDOW_SECONDS)
    max_tasks_per_user: int = Field(default=5000, ge=1, le=1_000_000)
    # X-Forwarded-For is believed only with this token in X-Proxy-Token (sent by the frontend and chatbot);
    # unset, it is derived from BETTER_AUTH_SECRET exactly as the chart derives the services' PROXY_TOKEN.
    proxy_token_override: str | None = Field(default=None, alias="proxy_token", repr=False)

    @model_validator(mode="before")
    @classmethod
    def _upper_log_level(cls, data: object) -> object:
        if isinstance(data, dict) and isinstance(data.get("log_level"), str):
            data = {**data, "log_level": data["log_level"].upper()}
        return data

    @model_validator(mode="after")
    def _check_secret(self) -> Settings:
        problem = secret_problem(self.better_auth_secret)
        if problem is None:
            return self
        if self.environment != "development":
            raise ValueError(
                f"BETTER_AUTH_SECRET {problem}: set it to a random string of at least {MIN_SECRET_LENGTH} "
                "characters (e.g. `openssl rand -hex 32`), or set ENVIRONMENT=development for a throwaway one"
            )
        log.warning(
            "BETTER_AUTH_SECRET %s; ENVIRONMENT=development, so using a random secret for this process "
            "(tokens will not survive a restart and are not shared between workers)",
            problem,
        )
        self.better_auth_secret = secrets.token_urlsafe(48)
        return self

    @property
    def proxy_token(self) -> str:
        return self.proxy_token_override or derive_proxy_token(self.jwt_secret)

    @property
    def jwt_secret(self) -> str:
        assert self.better_auth_secret is not None  # guaranteed by _check_secret
        return self.better_auth_secret


@lru_cache
def get_settings() -> Settings:
    return Settings()
