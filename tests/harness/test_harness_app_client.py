"""The app client: tokens travel, and unexpected statuses raise with the status and the body."""

from __future__ import annotations

import json

import httpx
import pytest

from harness.app_client import AppClient, AppError


def handler(request: httpx.Request) -> httpx.Response:
    if request.url.path == "/api/auth/signup":
        body = json.loads(request.content)
        if len(body["password"]) < 8:
            return httpx.Response(422, json={"detail": "password must have at least 8 characters"})
        return httpx.Response(
            201,
            json={
                "access_token": "tok-1",
                "token_type": "bearer",
                "user": {"id": 1, "email": body["email"], "name": body.get("name")},
            },
        )
    if request.headers.get("Authorization") != "Bearer tok-1":
        return httpx.Response(401, json={"detail": "Not authenticated"})
    if request.url.path == "/api/tasks" and request.method == "POST":
        return httpx.Response(201, json={"number": 1, **json.loads(request.content)})
    if request.url.path == "/api/tasks/1" and request.method == "DELETE":
        return httpx.Response(204)
    return httpx.Response(404, json={"detail": "Task 9 not found"})


@pytest.fixture
def client():
    with AppClient("http://app.test", transport=httpx.MockTransport(handler)) as app:
        yield app


def test_signup_keeps_the_token_for_later_calls(client):
    email, password = client.signup_new_user("Ann")
    assert email.endswith("@example.test") and len(password) >= 12
    assert client.token == "tok-1" and client.user["name"] == "Ann"
    assert client.create_task("buy milk", priority="high") == {
        "number": 1,
        "title": "buy milk",
        "priority": "high",
    }
    assert client.delete_task(1) is None


def test_unexpected_status_raises_with_status_and_body(client):
    with pytest.raises(AppError) as err:
        client.signup("a@example.test", "short")
    assert err.value.status == 422
    assert "POST http://app.test/api/auth/signup -> 422 (expected 201)" in str(err.value)
    assert "at least 8 characters" in str(err.value)


def test_raw_returns_error_responses_and_can_drop_the_token(client):
    client.signup("a@example.test", "long-enough")
    assert client.raw("GET", "/api/tasks/9").status_code == 404
    assert client.raw("GET", "/api/tasks", token=None).status_code == 401
    assert client.with_token(None).raw("POST", "/api/tasks", json={"title": "x"}).status_code == 401
