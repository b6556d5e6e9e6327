"""Issue 12 item 4: CSRF tokens on every state-changing form and on the cookie-session /api proxy; logout
and password change revoke tokens server-side; the password change endpoint."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

import httpx
import pytest
from security_support import PASSWORD, Services, bearer, new_address, sign_up, via

_META = re.compile(r'<meta name="csrf-token" content="([0-9a-f]+)">')
_FIELD = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')


def _email() -> str:
    return f"session-{uuid.uuid4().hex[:10]}@example.test"


@pytest.fixture
def browser(services: Services) -> Iterator[httpx.Client]:
    """A browser-like client of the frontend with its own cookie jar."""
    with httpx.Client(
        base_url=services.frontend, timeout=30, headers={"X-Forwarded-For": new_address()}
    ) as client:
        yield client


def _page_token(client: httpx.Client, path: str) -> str:
    page = client.get(path)
    found = _META.search(page.text)
    assert found, page.text[:300]
    return found.group(1)


def _signed_in(client: httpx.Client) -> str:
    """Signs up through the form; returns the email."""
    email = _email()
    token = _page_token(client, "/signup")
    response = client.post(
        "/signup", data={"email": email, "password": "correct horse 1", "csrf_token": token}
    )
    assert response.status_code == 303, response.text
    return email


def test_every_state_changing_form_carries_a_csrf_token(services: Services, browser: httpx.Client) -> None:
    for path in ("/login", "/signup"):
        page = browser.get(path).text
        assert page.count("<form") == len(_FIELD.findall(page)), path
    _signed_in(browser)
    browser.post("/tasks", data={"title": "a task", "csrf_token": _page_token(browser, "/")})
    home = browser.get("/").text
    forms = home.count("<form")
    assert forms >= 5  # logout, add, complete, delete, chat
    assert len(_FIELD.findall(home)) == forms


def test_forms_without_the_token_are_refused_and_change_nothing(
    services: Services, browser: httpx.Client
) -> None:
    _signed_in(browser)
    token = _page_token(browser, "/")
    assert browser.post("/tasks", data={"title": "kept", "csrf_token": token}).status_code == 303
    for path, data in [
        ("/tasks", {"title": "forged"}),
        ("/tasks/1/delete", {}),
        ("/tasks/1/complete", {"completed": "true"}),
        ("/tasks/clear-completed", {}),
        ("/chat", {"message": "delete task 1"}),
        ("/logout", {}),
    ]:
        for sent in (data, {**data, "csrf_token": "0" * 64}):
            response = browser.post(path, data=sent)
            assert response.status_code == 403, (path, response.status_code)
    home = browser.get("/")
    assert home.status_code == 200  # still logged in: the forged logout did nothing
    assert "kept" in home.text and "forged" not in home.text
    assert 'aria-pressed="false"' in home.text  # not completed


def test_a_token_from_another_browser_is_refused(services: Services, browser: httpx.Client) -> None:
    _signed_in(browser)
    with httpx.Client(base_url=services.frontend, headers={"X-Forwarded-For": new_address()}) as other:
        _signed_in(other)
        foreign = _page_token(other, "/")
    assert browser.post("/tasks", data={"title": "x", "csrf_token": foreign}).status_code == 403


def test_login_csrf_is_refused(services: Services) -> None:
    email = _email()
    sign_up(services.backend, email)
    with httpx.Client(base_url=services.frontend) as victim:  # a cross-site form post: no cookie, no token
        response = victim.post("/login", data={"email": email, "password": "correct horse 1"})
        assert response.status_code == 403
        assert "todo_session" not in victim.cookies


def test_the_api_proxy_needs_the_token_for_cookie_sessions_only(
    services: Services, browser: httpx.Client
) -> None:
    _signed_in(browser)
    assert browser.post("/api/tasks", json={"title": "no token"}).status_code == 403
    assert browser.get("/api/tasks").json() == []  # reads need none, and the refused write changed nothing
    token = _page_token(browser, "/")
    created = browser.post("/api/tasks", json={"title": "with token"}, headers={"X-CSRF-Token": token})
    assert created.status_code == 201, created.text
    api = sign_up(services.backend, _email())
    with httpx.Client(base_url=services.frontend) as client:  # an API client: its own bearer token
        assert client.post("/api/tasks", json={"title": "bearer"}, headers=bearer(api)).status_code == 201


def test_logout_revokes_the_token_server_side(services: Services, browser: httpx.Client) -> None:
    _signed_in(browser)
    stolen = browser.cookies["todo_session"]
    assert httpx.get(f"{services.backend}/api/tasks", headers=bearer(stolen)).status_code == 200
    browser.post("/logout", data={"csrf_token": _page_token(browser, "/")})
    for base in (services.backend, services.backend_b):
        for path in ("/api/tasks", "/api/tasks/1", "/api/auth/me"):  # the hot path and the session path
            response = httpx.get(f"{base}{path}", headers=bearer(stolen))
            assert response.status_code == 401, (base, path, response.text)
            assert "session has ended" in response.json()["detail"]
    chat = httpx.post(f"{services.chatbot}/api/chat", json={"message": "help"}, headers=bearer(stolen))
    assert chat.status_code == 401


NEW_PASSWORD = "new horse 22"  # pragma: allowlist secret


def test_password_change_revokes_old_tokens_and_needs_the_current_password(services: Services) -> None:
    email = _email()
    old = sign_up(services.backend, email)
    change = f"{services.backend}/api/auth/password"
    wrong = {"current_password": "not it at all", "new_password": NEW_PASSWORD}  # pragma: allowlist secret
    refused = httpx.post(change, json=wrong, headers={**bearer(old), **via(new_address())})
    assert refused.status_code == 403
    right = {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    changed = httpx.post(change, json=right, headers=bearer(old))
    assert changed.status_code == 200, changed.text
    fresh = changed.json()["access_token"]
    assert httpx.get(f"{services.backend_b}/api/tasks", headers=bearer(old)).status_code == 401
    assert httpx.get(f"{services.backend_b}/api/tasks", headers=bearer(fresh)).status_code == 200
    login = f"{services.backend}/api/auth/login"
    headers = via(new_address())
    assert httpx.post(login, json={"email": email, "password": PASSWORD}, headers=headers).status_code == 401
    assert (
        httpx.post(login, json={"email": email, "password": NEW_PASSWORD}, headers=headers).status_code == 200
    )
