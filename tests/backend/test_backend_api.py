"""Every backend endpoint through HTTP against the ASGI app, on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

import httpx
import jwt
import pytest
from backend_api import SECRET, sign_up, task_list
from todo_backend.core.config import Settings
from todo_backend.main import create_app

from harness.pgserver import PostgresServer

pytestmark = pytest.mark.anyio


async def test_signup_login_and_me(client: httpx.AsyncClient) -> None:
    signup = await client.post(
        "/api/auth/signup", json={"email": "Ada@Example.com", "password": "analytical", "name": " Ada "}
    )
    assert signup.status_code == 201, signup.text
    body = signup.json()
    assert body["token_type"] == "bearer"
    assert body["user"]["email"] == "ada@example.com"
    assert body["user"]["name"] == "Ada"
    assert set(body["user"]) == {"id", "email", "name", "created_at"}

    login = await client.post("/api/auth/login", json={"email": "ADA@example.com", "password": "analytical"})
    assert login.status_code == 200, login.text
    assert login.json()["user"] == body["user"]

    me = await client.get("/api/auth/me", headers={"Authorization": f"Bearer {login.json()['access_token']}"})
    assert me.status_code == 200
    assert me.json() == body["user"]


async def test_task_lifecycle(client: httpx.AsyncClient) -> None:
    auth = await sign_up(client, "tasks@example.com")
    created = await client.post(
        "/api/tasks",
        json={
            "title": "  water the plants ",
            "due_date": "2030-05-01",
            "priority": "high",
            "description": "ferns",
        },
        headers=auth,
    )
    assert created.status_code == 201, created.text
    task = created.json()
    assert set(task) == {
        "number", "title", "description", "due_date", "priority", "completed", "created_at", "updated_at",
    }  # fmt: skip
    assert task["number"] == 1
    assert task["title"] == "water the plants"
    assert (task["due_date"], task["priority"], task["completed"]) == ("2030-05-01", "high", False)

    second = (await client.post("/api/tasks", json={"title": "sort photos"}, headers=auth)).json()
    assert (second["number"], second["priority"], second["due_date"]) == (2, "medium", None)

    fetched = await client.get("/api/tasks/1", headers=auth)
    assert fetched.status_code == 200
    assert fetched.json() == task

    patched = await client.patch(
        "/api/tasks/1", json={"completed": True, "due_date": None, "title": "water the ferns"}, headers=auth
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["completed"] is True
    assert patched.json()["due_date"] is None
    assert patched.json()["title"] == "water the ferns"
    assert patched.json()["priority"] == "high"  # untouched fields keep their values
    assert patched.json()["updated_at"] > task["updated_at"]

    pending = await client.get("/api/tasks", params={"status": "pending"}, headers=auth)
    done = await client.get("/api/tasks", params={"status": "completed"}, headers=auth)
    high = await client.get("/api/tasks", params={"priority": "high"}, headers=auth)
    assert [t["number"] for t in pending.json()] == [2]
    assert [t["number"] for t in done.json()] == [1]
    assert [t["number"] for t in high.json()] == [1]

    reopened = await client.patch("/api/tasks/1", json={"completed": False}, headers=auth)
    assert reopened.json()["completed"] is False

    deleted = await client.delete("/api/tasks/2", headers=auth)
    assert deleted.status_code == 204
    assert (await client.get("/api/tasks/2", headers=auth)).status_code == 404
    assert [t["number"] for t in await task_list(client, auth)] == [1]


async def test_numbers_are_never_reused(client: httpx.AsyncClient) -> None:
    auth = await sign_up(client, "numbers@example.com")
    for title in ("one", "two", "three"):
        await client.post("/api/tasks", json={"title": title}, headers=auth)
    await client.delete("/api/tasks/3", headers=auth)
    await client.patch("/api/tasks/1", json={"completed": True}, headers=auth)
    await client.delete("/api/tasks", params={"status": "completed"}, headers=auth)
    fourth = await client.post("/api/tasks", json={"title": "four"}, headers=auth)
    assert fourth.json()["number"] == 4
    assert [(t["number"], t["title"]) for t in await task_list(client, auth)] == [(2, "two"), (4, "four")]


async def test_clear_completed_returns_the_deleted_numbers(client: httpx.AsyncClient) -> None:
    auth = await sign_up(client, "clear@example.com")
    for title in ("a", "b", "c", "d"):
        await client.post("/api/tasks", json={"title": title}, headers=auth)
    for number in (1, 3):
        await client.patch(f"/api/tasks/{number}", json={"completed": True}, headers=auth)
    cleared = await client.delete("/api/tasks", params={"status": "completed"}, headers=auth)
    assert cleared.status_code == 200
    assert cleared.json() == {"deleted": [1, 3]}
    assert [t["number"] for t in await task_list(client, auth)] == [2, 4]
    again = await client.delete("/api/tasks", params={"status": "completed"}, headers=auth)
    assert again.json() == {"deleted": []}


async def test_numbering_is_per_user(client: httpx.AsyncClient) -> None:
    alice = await sign_up(client, "alice@example.com")
    bob = await sign_up(client, "bob@example.com")
    await client.post("/api/tasks", json={"title": "alice 1"}, headers=alice)
    await client.post("/api/tasks", json={"title": "alice 2"}, headers=alice)
    bob_first = await client.post("/api/tasks", json={"title": "bob 1"}, headers=bob)
    assert bob_first.json()["number"] == 1
    assert [t["title"] for t in await task_list(client, bob)] == ["bob 1"]


async def test_another_users_task_is_not_found_and_unchanged(client: httpx.AsyncClient) -> None:
    alice = await sign_up(client, "owner@example.com")
    mallory = await sign_up(client, "mallory@example.com")
    await client.post("/api/tasks", json={"title": "alice's secret"}, headers=alice)
    await client.post("/api/tasks", json={"title": "alice's done"}, headers=alice)
    await client.patch("/api/tasks/2", json={"completed": True}, headers=alice)
    before = await task_list(client, alice)

    assert (await client.get("/api/tasks/1", headers=mallory)).status_code == 404
    assert (await client.patch("/api/tasks/1", json={"title": "pwned"}, headers=mallory)).status_code == 404
    assert (await client.delete("/api/tasks/1", headers=mallory)).status_code == 404
    cleared = await client.delete("/api/tasks", params={"status": "completed"}, headers=mallory)
    assert cleared.json() == {"deleted": []}
    assert await task_list(client, mallory) == []
    assert await task_list(client, alice) == before


async def test_health_ready_and_metrics(client: httpx.AsyncClient) -> None:
    health = await client.get("/api/health")
    assert health.status_code == 200
    assert health.json() == {
        "status": "ok", "service": "backend", "version": health.json()["version"],
        "environment": "production", "log_level": "INFO",
    }  # fmt: skip
    ready = await client.get("/api/ready")
    assert ready.status_code == 200
    assert ready.json()["status"] == "ready"

    auth = await sign_up(client, "metrics@example.com")
    for _ in range(3):
        await client.get("/api/tasks/7", headers=auth)
    metrics = await client.get("/metrics")
    assert metrics.status_code == 200
    line = 'http_requests_total{method="GET",route="/api/tasks/{number}",status="404"}'
    counts = [float(row.rsplit(" ", 1)[1]) for row in metrics.text.splitlines() if row.startswith(line)]
    assert counts and counts[0] >= 3
    assert "http_request_duration_seconds_bucket" in metrics.text


async def test_docs_and_openapi(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/openapi.json")).json()
    assert {
        "/api/auth/signup",
        "/api/auth/login",
        "/api/auth/me",
        "/api/tasks",
        "/api/tasks/{number}",
    } <= set(schema["paths"])
    assert (await client.get("/docs")).status_code == 200


async def test_concurrent_creates_from_two_replicas_get_distinct_numbers(settings: Settings) -> None:
    """Two app instances (as two pods) on one database, 20 creates at once: numbers 1..20, no gaps."""
    replicas = [create_app(settings), create_app(settings)]
    async with (
        replicas[0].router.lifespan_context(replicas[0]),
        replicas[1].router.lifespan_context(replicas[1]),
    ):
        clients = [
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://backend")
            for app in replicas
        ]
        auth = await sign_up(clients[0], "race@example.com")
        responses = await asyncio.gather(
            *(clients[i % 2].post("/api/tasks", json={"title": f"task {i}"}, headers=auth) for i in range(20))
        )
        assert [r.status_code for r in responses] == [201] * 20
        assert sorted(r.json()["number"] for r in responses) == list(range(1, 21))
        assert [t["number"] for t in await task_list(clients[1], auth)] == list(range(1, 21))
        for http in clients:
            await http.aclose()


async def test_a_database_that_is_away_keeps_the_pod_ready_and_requests_get_503_with_retry_after() -> None:
    """Postgres restarting is the same for every pod: the pod stays in the Service and answers 503 quickly."""
    settings = Settings(
        database_url="postgresql+asyncpg://nobody:x@127.0.0.1:9/none",  # pragma: allowlist secret
        better_auth_secret=SECRET,
    )
    app = create_app(settings)  # no lifespan: migrating would fail, and /api/ready must still answer
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://backend") as http:
        ready = await http.get("/api/ready")
        assert ready.status_code == 200
        assert ready.json() == {"status": "ready", "service": "backend", "database": "unavailable"}
        assert "127.0.0.1" not in ready.text, "the body must not expose the driver's error text"
        assert (await http.get("/api/health")).status_code == 200
        started = time.monotonic()
        tasks = await http.get("/api/tasks", headers={"Authorization": f"Bearer {_token(1)}"})
        assert tasks.status_code == 503
        assert tasks.headers["Retry-After"] == "2"
        assert "database unavailable" in tasks.json()["detail"]
        assert time.monotonic() - started < 5, "a request must not wait long for a database that is away"


@pytest.mark.postgres
async def test_a_database_that_refuses_this_pods_login_makes_it_unready(pg_server: PostgresServer) -> None:
    """A wrong password (a bad rollout) is this pod's problem: it leaves the Service, the others serve."""
    wrong = pg_server.url.replace(f":{pg_server.password}@", ":not-the-password@")
    assert wrong != pg_server.url
    app = create_app(Settings(database_url=wrong, better_auth_secret=SECRET))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://backend") as http:
        ready = await http.get("/api/ready")
        assert ready.status_code == 503
        assert ready.json() == {"status": "unavailable", "service": "backend", "database": "password refused"}
        tasks = await http.get("/api/tasks", headers={"Authorization": f"Bearer {_token(1)}"})
        assert tasks.status_code == 503
        assert tasks.headers["Retry-After"] == "2"


def _token(user_id: int, expires_in: timedelta = timedelta(hours=1)) -> str:
    now = datetime.now(UTC)
    claims = {"sub": str(user_id), "iat": now, "exp": now + expires_in}
    return jwt.encode(claims, SECRET, algorithm="HS256")
