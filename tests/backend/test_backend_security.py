"""Limits, lockout, revocation and quota in-process, on SQLite and on PostgreSQL (tests/security probes the
running services on PostgreSQL; this covers the SQLite statements too)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from backend_api import SECRET, TEST_PASSWORD, sign_up
from todo_backend.core.config import Rate, Settings, derive_proxy_token
from todo_backend.main import create_app

pytestmark = pytest.mark.anyio

NEW_PASSWORD = "another horse 2"  # pragma: allowlist secret


@pytest.fixture
async def strict(db_url: str) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(
        database_url=db_url,
        better_auth_secret=SECRET,
        environment="production",
        signup_limit_per_address=Rate(3, 3600),
        login_free_failures=2,
        login_lockout_max_seconds=60,
        max_tasks_per_user=2,
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=("198.51.100.7", 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://backend") as http:
            yield http


def _from(address: str) -> dict[str, str]:
    return {"X-Forwarded-For": address, "X-Proxy-Token": derive_proxy_token(SECRET)}


async def test_signups_per_address(strict: httpx.AsyncClient) -> None:
    statuses = [
        (
            await strict.post(
                "/api/auth/signup", json={"email": f"s{i}@example.com", "password": TEST_PASSWORD}
            )
        ).status_code
        for i in range(4)
    ]
    assert statuses == [201, 201, 201, 429]
    other = await strict.post(
        "/api/auth/signup",
        json={"email": "s9@example.com", "password": TEST_PASSWORD},
        headers=_from("192.0.2.9"),
    )
    assert other.status_code == 201  # the proxy named another client address
    spoofed = await strict.post(
        "/api/auth/signup",
        json={"email": "s10@example.com", "password": TEST_PASSWORD},
        headers={"X-Forwarded-For": "192.0.2.10", "X-Proxy-Token": "wrong"},
    )
    assert spoofed.status_code == 429  # without the token the peer counts, and it is used up


async def test_lockout_is_per_address_and_doubles(strict: httpx.AsyncClient) -> None:
    await sign_up(strict, "lock@example.com")
    wrong = {"email": "lock@example.com", "password": "not the password"}  # pragma: allowlist secret
    statuses = [(await strict.post("/api/auth/login", json=wrong)).status_code for _ in range(3)]
    assert statuses == [401, 401, 401]  # 2 free failures, the third locks for 1 s
    locked = await strict.post(
        "/api/auth/login", json={"email": "lock@example.com", "password": TEST_PASSWORD}
    )
    assert locked.status_code == 429 and locked.headers["Retry-After"] == "1"
    elsewhere = await strict.post(
        "/api/auth/login",
        json={"email": "lock@example.com", "password": TEST_PASSWORD},
        headers=_from("192.0.2.1"),
    )
    assert elsewhere.status_code == 200


async def test_logout_and_password_change_revoke_tokens(strict: httpx.AsyncClient) -> None:
    first = await sign_up(strict, "rev@example.com")
    login = await strict.post("/api/auth/login", json={"email": "rev@example.com", "password": TEST_PASSWORD})
    second = {"Authorization": f"Bearer {login.json()['access_token']}"}
    assert (await strict.post("/api/auth/logout", headers=first)).status_code == 204
    for auth in (first, second):  # every session of the account ends
        for path in ("/api/tasks", "/api/tasks/1", "/api/auth/me"):
            assert (await strict.get(path, headers=auth)).status_code == 401
    login = await strict.post("/api/auth/login", json={"email": "rev@example.com", "password": TEST_PASSWORD})
    auth = {"Authorization": f"Bearer {login.json()['access_token']}"}
    assert (await strict.get("/api/tasks", headers=auth)).status_code == 200
    changed = await strict.post(
        "/api/auth/password",
        json={"current_password": TEST_PASSWORD, "new_password": NEW_PASSWORD},
        headers=auth,
    )
    assert changed.status_code == 200, changed.text
    assert (await strict.get("/api/tasks", headers=auth)).status_code == 401
    fresh = {"Authorization": f"Bearer {changed.json()['access_token']}"}
    assert (await strict.get("/api/tasks", headers=fresh)).status_code == 200
    short = await strict.post(
        "/api/auth/password", json={"current_password": NEW_PASSWORD, "new_password": "short"}, headers=fresh
    )
    assert short.status_code == 422 and NEW_PASSWORD not in short.text


async def test_task_quota(strict: httpx.AsyncClient) -> None:
    auth = await sign_up(strict, "quota@example.com")
    for title in ("a", "b"):
        assert (await strict.post("/api/tasks", json={"title": title}, headers=auth)).status_code == 201
    refused = await strict.post("/api/tasks", json={"title": "c"}, headers=auth)
    assert refused.status_code == 409 and "at most 2" in refused.json()["detail"]
    assert [t["title"] for t in (await strict.get("/api/tasks", headers=auth)).json()] == ["a", "b"]


def test_a_malformed_rate_is_refused_at_start() -> None:
    with pytest.raises(ValueError, match="COUNT/SECONDS"):
        Settings.model_validate({"better_auth_secret": SECRET, "login_limit_per_address": "thirty a minute"})
