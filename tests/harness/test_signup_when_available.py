"""The scenarios' users are signed up as a client told "503, Retry-After" would: sent again after the wait
while the backend says the database is briefly unavailable, and failing at once on anything else."""

from __future__ import annotations

import time
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.responses import JSONResponse

from harness.app_client import AppClient, AppError
from steps.fixtures import signup_when_available


def _app(answers: list[tuple[int, dict[str, str]]]) -> FastAPI:
    """Answers the sign-ups in order (status, headers); after the list, 201."""
    app = FastAPI()
    seen: list[int] = []

    @app.post("/api/auth/signup")
    def signup(body: dict[str, Any]) -> JSONResponse:
        seen.append(1)
        if len(seen) <= len(answers):
            status, headers = answers[len(seen) - 1]
            return JSONResponse({"detail": "database unavailable: try again shortly"}, status, headers)
        user = {"id": 1, "email": body["email"]}
        return JSONResponse({"access_token": "t", "user": user}, 201)

    app.state.seen = seen
    return app


def test_a_503_with_retry_after_is_waited_for_and_sent_again(serve_app: Any) -> None:
    app = _app([(503, {"Retry-After": "1"}), (503, {"Retry-After": "1"})])
    server = serve_app(app)
    started = time.monotonic()
    with AppClient(server.url) as client:
        email, _ = signup_when_available(client, "Load User 1", within=10)
    assert email.endswith("@example.test") and client.token == "t"
    assert len(app.state.seen) == 3 and 1.8 <= time.monotonic() - started < 5


@pytest.mark.parametrize(
    "answer",
    [(500, {}), (503, {}), (429, {"Retry-After": "1"})],
    ids=["server error", "503 without Retry-After", "429"],
)
def test_anything_else_fails_at_once(serve_app: Any, answer: tuple[int, dict[str, str]]) -> None:
    server = serve_app(_app([answer]))
    with AppClient(server.url) as client, pytest.raises(AppError, match=f"-> {answer[0]}"):
        signup_when_available(client, "Load User 1", within=10)


def test_a_database_that_stays_away_fails_after_the_bound(serve_app: Any) -> None:
    server = serve_app(_app([(503, {"Retry-After": "1"})] * 50))
    started = time.monotonic()
    with AppClient(server.url) as client, pytest.raises(AppError, match="-> 503"):
        signup_when_available(client, "Load User 1", within=1.5)
    assert time.monotonic() - started < 4
