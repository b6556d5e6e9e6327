"""The backend refuses to start with a missing, short or well-known JWT secret outside development."""

from __future__ import annotations

import subprocess
import sys

import pytest
from backend_api import SECRET
from pydantic import ValidationError
from todo_backend.core.config import Settings
from todo_backend.main import create_app

REFUSED = [
    pytest.param(None, "is not set", id="missing"),
    pytest.param("", "is not set", id="empty"),
    pytest.param("changeme", "well-known default", id="changeme"),
    pytest.param("secret", "well-known default", id="secret"),
    pytest.param("your-super-secret-jwt-token-with-at-least-32-characters-long", "well-known", id="tutorial"),
    pytest.param("replace-me-with-a-random-string-of-32-characters", "placeholder", id="placeholder"),
    pytest.param("a1b2c3d4e5f6", "too short", id="short"),
    pytest.param("ab" * 20, "too few distinct characters", id="repetitive"),
]


@pytest.mark.parametrize(("secret", "problem"), REFUSED)
def test_production_settings_refuse_a_weak_secret(secret: str | None, problem: str) -> None:
    with pytest.raises(ValidationError) as refused:
        Settings(better_auth_secret=secret, environment="production")
    assert "BETTER_AUTH_SECRET" in str(refused.value)
    assert problem in str(refused.value)


def test_production_is_the_default_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ENVIRONMENT", raising=False)
    monkeypatch.delenv("BETTER_AUTH_SECRET", raising=False)
    with pytest.raises(ValidationError, match="BETTER_AUTH_SECRET is not set"):
        create_app()


def test_development_generates_a_random_secret(caplog: pytest.LogCaptureFixture) -> None:
    first = Settings(better_auth_secret="changeme", environment="development")
    second = Settings(environment="development")
    assert first.jwt_secret != "changeme"
    assert len(first.jwt_secret) >= 32
    assert first.jwt_secret != second.jwt_secret
    assert "BETTER_AUTH_SECRET" in caplog.text


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BETTER_AUTH_SECRET", SECRET)
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://u:p@db:5432/todo")
    monkeypatch.setenv("LOG_LEVEL", "debug")
    monkeypatch.setenv("ACCESS_TOKEN_EXPIRE_MINUTES", "15")
    settings = Settings()
    assert (settings.database_url, settings.log_level) == ("postgresql+asyncpg://u:p@db:5432/todo", "DEBUG")
    assert settings.access_token_expire_minutes == 15
    assert settings.environment == "production"
    assert SECRET not in repr(settings)


def test_uvicorn_refuses_to_start_without_a_secret(tmp_path: object) -> None:
    """What an operator sees: the server exits non-zero and the log names the variable to set."""
    env = {"PATH": "/usr/bin:/bin", "DATABASE_URL": "sqlite+aiosqlite:////nonexistent/todo.db"}
    result = subprocess.run(
        [sys.executable, "-m", "uvicorn", "todo_backend.main:app", "--port", "0"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    assert "BETTER_AUTH_SECRET is not set" in result.stderr
