"""The same-origin /api: health and readiness answered by the frontend, everything else forwarded."""

from __future__ import annotations

import json

import httpx
import pytest
from frontend_support import api_csrf_header, frontend_client, unique_email
from todo_frontend.config import Settings

from harness.devserver import DevStack, free_port

pytestmark = pytest.mark.anyio

SETTINGS = Settings(backend_url="http://backend.test:8000", chatbot_url="http://chatbot.test:8001")


class Recorder:
    """Upstream double for the proxy's unit tests: records each request, answers with what it saw."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        body = {"url": str(request.url), "authorization": request.headers.get("authorization")}
        return httpx.Response(200, json=body, headers={"x-upstream": request.url.host})


async def test_health_is_answered_without_any_upstream() -> None:
    recorder = Recorder()
    async with frontend_client(SETTINGS, httpx.MockTransport(recorder)) as client:
        response = await client.get("/api/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["service"] == "frontend"
    assert body["environment"] == "production"
    assert body["log_level"] == "INFO"
    assert body["version"]
    assert recorder.requests == []


async def test_ready_reports_an_unreachable_backend() -> None:
    closed = f"http://127.0.0.1:{free_port()}"
    async with frontend_client(Settings(backend_url=closed)) as client:
        response = await client.get("/api/ready")
    assert response.status_code == 503
    assert response.json()["status"] == "not ready"
    assert response.json()["checks"]["backend"] == "unreachable"
    assert closed not in response.text  # internal URLs stay in the log


async def test_ready_with_the_real_backend(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/ready")
    assert response.status_code == 200
    assert response.json()["checks"] == {"backend": "ok"}


async def test_cookie_becomes_a_bearer_token_and_chat_goes_to_the_chatbot() -> None:
    recorder = Recorder()
    async with frontend_client(SETTINGS, httpx.MockTransport(recorder)) as client:
        await client.get("/api/health")  # the first response sets the browser's CSRF cookie
        client.cookies.set("todo_session", "tok123")
        tasks = await client.get("/api/tasks?status=pending&priority=high")
        chat = await client.post("/api/chat", json={"message": "hi"}, headers=api_csrf_header(client))
        explicit = await client.get("/api/auth/me", headers={"Authorization": "Bearer other"})
    assert tasks.json() == {
        "url": "http://backend.test:8000/api/tasks?status=pending&priority=high",
        "authorization": "Bearer tok123",
    }
    assert chat.json()["url"] == "http://chatbot.test:8001/api/chat"
    assert chat.headers["x-upstream"] == "chatbot.test"
    assert json.loads(recorder.requests[1].content) == {"message": "hi"}
    assert explicit.json()["authorization"] == "Bearer other"  # an API client's own token wins
    assert all("cookie" not in r.headers for r in recorder.requests)  # the session cookie stays here


async def test_unreachable_upstream_is_a_502_with_a_reason() -> None:
    closed = f"http://127.0.0.1:{free_port()}"
    async with frontend_client(Settings(backend_url=closed, chatbot_url=closed)) as client:
        response = await client.get("/api/tasks")
    assert response.status_code == 502
    assert response.json()["detail"].startswith("backend unavailable")
    assert closed not in response.text


async def test_api_through_the_proxy_with_the_real_services(services: DevStack) -> None:
    settings = Settings(backend_url=services.backend_url, chatbot_url=services.chatbot_url)
    async with frontend_client(settings) as client:
        assert (await client.get("/api/tasks")).status_code == 401
        signup = await client.post(
            "/api/auth/signup", json={"email": unique_email(), "password": "pass word 1"}
        )
        assert signup.status_code == 201
        token = signup.json()["access_token"]
        auth = {"Authorization": f"Bearer {token}"}
        created = await client.post("/api/tasks", json={"title": "via proxy"}, headers=auth)
        assert created.status_code == 201
        assert created.json()["number"] == 1
        bad = await client.post("/api/tasks", json={"title": ""}, headers=auth)
        assert bad.status_code == 422
        assert "detail" in bad.json()
        client.cookies.set("todo_session", token)
        listed = await client.get("/api/tasks")  # cookie only: the proxy adds the token
        assert [t["title"] for t in listed.json()] == ["via proxy"]
        chat = await client.post(
            "/api/chat",
            json={"message": "how many tasks do I have?"},
            headers={"X-CSRF-Token": await client.form_token()},
        )
        assert chat.status_code == 200, chat.text
        assert set(chat.json()) >= {"reply", "conversation_id", "actions"}
