"""PATCH /api/tasks/{n}, the chatbot's usual write ("mark it done", "move it to friday"), is one statement:
the account check, the change and the answer's row, without an ORM session (issue 11 item 6; the chatbot's
README, "Latency, round 6"). The same answers as before, on SQLite and Postgres."""

from __future__ import annotations

from typing import Any, NoReturn

import httpx
import pytest
from backend_api import TEST_PASSWORD, sign_up
from todo_backend.core.config import Settings
from todo_backend.main import create_app

pytestmark = pytest.mark.anyio


def _no_session(*args: Any, **kwargs: Any) -> NoReturn:
    raise AssertionError("PATCH opened an ORM session")


async def test_a_patch_opens_no_session_and_answers_as_before(settings: Settings) -> None:
    app = create_app(settings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://backend") as http,
    ):
        owner = await sign_up(http, "patch-owner@example.com")
        stranger = await sign_up(http, "patch-stranger@example.com")
        leaver = await sign_up(http, "patch-leaver@example.com")
        fields = {"title": "water the plants", "priority": "high", "due_date": "2030-05-01"}
        created = (await http.post("/api/tasks", json=fields, headers=owner)).json()
        assert (await http.post("/api/tasks", json={"title": "mine"}, headers=leaver)).status_code == 201
        assert (await http.post("/api/auth/logout", headers=leaver)).status_code == 204
        sessionmakers = app.state.sessionmaker, app.state.read_sessionmaker
        app.state.sessionmaker = app.state.read_sessionmaker = _no_session

        patched = await http.patch(
            "/api/tasks/1", json={"completed": True, "due_date": None, "priority": "low"}, headers=owner
        )
        assert patched.status_code == 200, patched.text
        task = patched.json()
        assert task == {
            **created,
            "completed": True,
            "due_date": None,
            "priority": "low",
            "updated_at": task["updated_at"],
        }
        assert task["updated_at"] > created["updated_at"]
        assert (await http.get("/api/tasks", headers=owner)).json() == [task]  # stored as answered
        untouched = await http.patch("/api/tasks/1", json={}, headers=owner)  # nothing to change
        assert (untouched.status_code, untouched.json()) == (200, task)

        for number, headers, status in [(1, stranger, 404), (99, owner, 404), (1, leaver, 401)]:
            refused = await http.patch(f"/api/tasks/{number}", json={"title": "pwned"}, headers=headers)
            assert refused.status_code == status, (number, refused.text)
            assert refused.json()["detail"]
        assert refused.headers["WWW-Authenticate"] == "Bearer"
        assert "session has ended" in refused.json()["detail"]
        assert (await http.get("/api/tasks", headers=owner)).json() == [task]

        app.state.sessionmaker, app.state.read_sessionmaker = sessionmakers
        login = {"email": "patch-leaver@example.com", "password": TEST_PASSWORD}
        again = await http.post("/api/auth/login", json=login)
        token = {"Authorization": f"Bearer {again.json()['access_token']}"}
        assert [t["title"] for t in (await http.get("/api/tasks", headers=token)).json()] == ["mine"]
