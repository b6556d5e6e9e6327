"""Issue 12 item 9: the low findings, each probed against the running services."""

from __future__ import annotations

import statistics
import time
import uuid

import httpx
from security_support import PASSWORD, Services, bearer, new_address, sign_up, via
from sqlalchemy.engine import make_url


def _email() -> str:
    return f"low-{uuid.uuid4().hex[:10]}@example.test"


def test_percent_encoded_dot_segments_do_not_leave_api(services: Services) -> None:
    for path in (
        "/api/%2e%2e/metrics",
        "/api/%2E%2E/metrics",
        "/api/chat/%2e%2e/%2e%2e/metrics",
        "/api/.%2e/docs",
    ):
        response = httpx.get(services.frontend + path)
        assert response.status_code == 400, (path, response.status_code)
        assert "http_requests_total" not in response.text and "chatbot_messages" not in response.text


def test_a_lone_surrogate_is_a_422_not_a_500(services: Services) -> None:
    token = sign_up(services.backend, _email())
    json_headers = {**bearer(token), "Content-Type": "application/json"}
    for base, path, body in [
        (services.backend, "/api/tasks", b'{"title": "milk \\ud800"}'),
        (services.backend, "/api/tasks", b'{"title": "ok", "priorty": "\\udfff"}'),
        (services.backend, "/api/tasks/1", b'{"description": "\\ud83d"}'),
        (
            services.backend,
            "/api/auth/signup",
            b'{"email": "s@example.test", "password": "pass \\ud800 word"}',  # pragma: allowlist secret
        ),
        (services.chatbot, "/api/chat", b'{"message": "add \\ud800 eggs"}'),
    ]:
        method = "PATCH" if path == "/api/tasks/1" else "POST"
        response = httpx.request(
            method, base + path, content=body, headers={**json_headers, **via(new_address())}
        )
        assert response.status_code in (404, 422), (path, body, response.status_code, response.text)
        response.json()  # a valid JSON body
    assert httpx.get(f"{services.backend}/api/tasks", headers=bearer(token)).json() == []


def test_a_misspelt_password_key_is_not_echoed(services: Services) -> None:
    secret = "hunter2-my-real-password"  # pragma: allowlist secret
    for path, body in [
        ("/api/auth/login", {"email": "a@example.test", "Password": secret}),
        ("/api/auth/signup", {"email": "a@example.test", "passwrd": secret, "password": PASSWORD}),
        ("/api/auth/login", {"email": "a@example.test", "password": secret, "extra": secret}),
    ]:
        response = httpx.post(services.backend + path, json=body, headers=via(new_address()))
        assert response.status_code == 422
        assert secret not in response.text


def test_ready_and_error_bodies_name_no_internals(services: Services) -> None:
    import asyncio

    from todo_backend.core.config import Settings
    from todo_backend.main import create_app
    from todo_chatbot.core.config import Settings as ChatbotSettings
    from todo_chatbot.main import create_app as create_chatbot

    url = make_url(services.database)
    broken = url.set(username="intruder", password="wrong-password-123").render_as_string(hide_password=False)

    async def ready_bodies() -> list[str]:
        backend = create_app(
            Settings(database_url=broken, better_auth_secret="x" * 8 + "0123456789abcdefghijklmnopqrstuv")
        )
        chatbot = create_chatbot(
            ChatbotSettings(database_url=broken, backend_url="http://backend.internal.test:8000")
        )
        bodies = []
        for app in (backend, chatbot):
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://t"
            ) as client:
                response = await client.get("/api/ready")
                assert response.status_code == 503
                bodies.append(response.text)
        return bodies

    bodies = asyncio.run(ready_bodies())
    closed = "http://127.0.0.1:9"  # discard port: nothing listens
    from todo_frontend.config import Settings as FrontendSettings
    from todo_frontend.main import create_app as create_frontend

    async def frontend_bodies() -> list[str]:
        app = create_frontend(FrontendSettings(backend_url=closed, chatbot_url=closed))
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
            return [(await client.get(path)).text for path in ("/api/ready", "/api/tasks", "/login")]

    bodies += asyncio.run(frontend_bodies())
    for body in bodies:
        for internal in (
            "intruder",
            "password authentication",
            str(url.port),
            "backend.internal",
            "127.0.0.1:9",
        ):
            assert internal not in body, (internal, body[:400])


def test_signup_does_not_make_enumeration_cheap(services: Services) -> None:
    """Without e-mail verification a sign-up must say whether it worked, so the status differs; what the fix
    guarantees is that a taken email costs the same time (an argon2 hash) and that probes are rate-limited
    per address like every sign-up (docs/security.md)."""
    taken = _email()
    sign_up(services.backend, taken)

    def timed(email: str) -> float:
        started = time.perf_counter()
        response = httpx.post(
            f"{services.backend}/api/auth/signup",
            json={"email": email, "password": "correct horse 1"},
            headers=via(new_address()),
        )
        assert response.status_code in (201, 409)
        return time.perf_counter() - started

    existing = statistics.median(timed(taken) for _ in range(3))
    new = statistics.median(timed(_email()) for _ in range(3))
    print(f"sign-up: a taken email answers in {existing:.3f}s, a new one in {new:.3f}s")
    assert existing > 0.5 * new, f"a taken email answers in {existing:.3f}s, a new one in {new:.3f}s"
    address = new_address()
    statuses = [
        httpx.post(
            f"{services.backend}/api/auth/signup",
            json={"email": taken, "password": "correct horse 1"},
            headers=via(address),
        ).status_code
        for _ in range(6)
    ]
    assert statuses == [409] * 5 + [429]
