"""Pages and forms of the frontend, driven over HTTP against the real backend (and chatbot)."""

from __future__ import annotations

import re

import httpx
import pytest
from frontend_support import BrowserLikeClient, frontend_client, unique_email
from todo_frontend.config import Settings

from harness.devserver import DevStack

pytestmark = pytest.mark.anyio


def data_testids(html: str) -> set[str]:
    return set(re.findall(r'data-testid="([^"]+)"', html))


async def test_home_without_session_goes_to_login(client: httpx.AsyncClient) -> None:
    response = await client.get("/")
    assert response.status_code == 303
    assert response.headers["location"] == "/login"
    login = await client.get("/login")
    assert login.status_code == 200
    assert "login-form" in data_testids(login.text)


async def test_signup_sets_httponly_lax_cookie_and_shows_the_task_page(client: httpx.AsyncClient) -> None:
    email = unique_email()
    response = await client.post(
        "/signup", data={"email": email, "password": "correct horse 1", "name": "Ada"}
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("todo_session=ey")  # the backend's JWT
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Secure" not in cookie  # plain http, even in production: a Secure cookie would never come back

    page = await client.get("/")
    assert page.status_code == 200
    assert "Ada" in page.text
    assert {"task-list", "add-task-form", "chat-input", "chat-send", "chat-log", "logout"} <= data_testids(
        page.text
    )


async def test_cookie_is_secure_in_production_over_https(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/signup",
        data={"email": unique_email(), "password": "correct horse 1"},
        headers={"X-Forwarded-Proto": "https"},
    )
    assert response.status_code == 303
    assert "Secure" in response.headers["set-cookie"]


async def test_taken_email_is_shown_on_the_signup_form(client: httpx.AsyncClient) -> None:
    email = unique_email()
    first = await client.post("/signup", data={"email": email, "password": "correct horse 1"})
    assert first.status_code == 303
    client.cookies.clear()
    again = await client.post("/signup", data={"email": email, "password": "another pass 2"})
    assert again.status_code == 409
    assert "already exists" in again.text
    assert f'value="{email}"' in again.text  # the user does not retype it
    assert "set-cookie" not in again.headers


async def test_short_password_gets_the_backend_message(client: httpx.AsyncClient) -> None:
    response = await client.post("/signup", data={"email": unique_email(), "password": "short"})
    assert response.status_code == 422
    error = re.search(r'data-testid="form-error">([^<]+)<', response.text)
    assert error is not None
    assert "Password" in error.group(1)
    assert "8" in error.group(1)


async def test_wrong_password_is_shown_and_no_session_starts(client: httpx.AsyncClient) -> None:
    email = unique_email()
    await client.post("/signup", data={"email": email, "password": "correct horse 1"})
    client.cookies.clear()
    response = await client.post("/login", data={"email": email, "password": "wrong horse 1"})
    assert response.status_code == 401
    assert "Wrong email or password" in response.text
    assert "set-cookie" not in response.headers
    ok = await client.post("/login", data={"email": email, "password": "correct horse 1"})
    assert ok.status_code == 303
    assert "todo_session=" in ok.headers["set-cookie"]


async def test_logout_ends_the_session(signed_in: httpx.AsyncClient) -> None:
    assert (await signed_in.get("/")).status_code == 200
    response = await signed_in.post("/logout")
    assert response.status_code == 303
    assert response.headers["location"] == "/login"
    assert 'todo_session=""' in response.headers["set-cookie"]
    assert (await signed_in.get("/")).headers["location"] == "/login"


async def test_logout_is_post_only(signed_in: httpx.AsyncClient) -> None:
    """A link or image on another site cannot log the user out (nor change anything): GETs change nothing."""
    assert (await signed_in.get("/logout")).status_code == 405
    assert (await signed_in.get("/")).status_code == 200


async def test_tampered_session_returns_to_login(client: httpx.AsyncClient) -> None:
    client.cookies.set("todo_session", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.forged")
    response = await client.get("/")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?expired=1"
    assert 'todo_session=""' in response.headers["set-cookie"]  # the dead token is dropped
    client.cookies.clear()  # httpx files the deletion under testserver.local, not the domain-less test cookie
    login = await client.get("/login?expired=1")
    assert "session has ended" in login.text


async def test_add_complete_reopen_delete_through_the_forms(signed_in: httpx.AsyncClient) -> None:
    added = await signed_in.post("/tasks", data={"title": "water the plants", "due_date": "2030-01-02"})
    assert added.status_code == 303
    page = (await signed_in.get("/")).text
    row = re.search(r'<li [^>]*data-testid="task-1">(.*?)</li>', page, re.S)
    assert row is not None
    assert "#1" in row.group(1)
    assert "water the plants" in row.group(1)
    assert "2030-01-02" in row.group(1)

    # htmx posts get the refreshed #tasks fragment back, not a page
    hx = {"HX-Request": "true"}
    done = await signed_in.post("/tasks/1/complete", data={"completed": "true"}, headers=hx)
    assert done.status_code == 200
    assert done.text.lstrip().startswith('<div id="tasks"')
    assert 'class="task priority-medium is-done" data-testid="task-1"' in done.text
    pending = (await signed_in.get("/partials/tasks?status=pending")).text
    assert 'data-testid="task-1"' not in pending

    reopened = await signed_in.post("/tasks/1/complete", data={"completed": "false"}, headers=hx)
    assert "is-done" not in reopened.text

    deleted = await signed_in.post("/tasks/1/delete", headers=hx)
    assert 'data-testid="task-1"' not in deleted.text
    assert "No tasks yet" in deleted.text
    gone = await signed_in.post("/tasks/1/delete", headers=hx)
    assert "Task #1 no longer exists" in gone.text


async def test_add_form_over_htmx_resets_and_signals_the_list(signed_in: httpx.AsyncClient) -> None:
    response = await signed_in.post(
        "/tasks", data={"title": "call mom", "priority": "high"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert response.headers["hx-trigger"] == "tasks-changed"
    assert 'data-testid="add-task-form"' in response.text
    assert 'value="call mom"' not in response.text
    tasks = (await signed_in.get("/api/tasks")).json()
    assert [(t["number"], t["title"], t["priority"]) for t in tasks] == [(1, "call mom", "high")]


@pytest.mark.parametrize(
    ("title", "message"),
    [("   ", "Give the task a title"), ("x" * 501, "Title: String should have at most 500 characters")],
)
async def test_invalid_title_is_shown_and_nothing_is_created(
    signed_in: httpx.AsyncClient, title: str, message: str
) -> None:
    response = await signed_in.post("/tasks", data={"title": title}, headers={"HX-Request": "true"})
    assert response.status_code == 422
    assert message in response.text
    assert "hx-trigger" not in response.headers
    assert (await signed_in.get("/api/tasks")).json() == []


async def test_filters_show_counts_and_the_chosen_tasks(signed_in: httpx.AsyncClient) -> None:
    for title in ("one", "two", "three"):
        await signed_in.post("/tasks", data={"title": title})
    await signed_in.post("/tasks/2/complete", data={"completed": "true"})
    completed = (await signed_in.get("/?status=completed")).text
    assert 'data-testid="task-2"' in completed
    assert 'data-testid="task-1"' not in completed
    assert re.search(r'data-testid="filter-pending"[^>]*>\s*Pending <span class="count">2</span>', completed)
    cleared = await signed_in.post("/tasks/clear-completed", headers={"HX-Request": "true"})
    assert 'data-testid="task-2"' not in cleared.text
    assert [t["number"] for t in (await signed_in.get("/api/tasks")).json()] == [1, 3]


async def test_pages_allow_only_own_scripts(signed_in: httpx.AsyncClient) -> None:
    page = await signed_in.get("/")
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    scripts = re.findall(r"<script([^>]*)>", page.text)
    assert scripts
    assert all('src="/static/' in attrs for attrs in scripts)  # no inline script the CSP would block
    assert " hx-on" not in page.text  # hx-on needs eval, which the CSP forbids
    htmx = await signed_in.get("/static/htmx.min.js")
    assert htmx.status_code == 200
    assert htmx.text.startswith("/*! htmx 2.")


async def test_chat_adds_a_task_and_signals_the_list(signed_in: httpx.AsyncClient) -> None:
    response = await signed_in.post(
        "/chat",
        data={"message": "add buy oat milk tomorrow", "client_time": "2030-03-04T22:30:00-08:00"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200, response.text
    assert response.headers["hx-trigger"] == "tasks-changed"
    assert 'class="chat-msg chat-reply"' in response.text
    assert 'id="conversation-id"' in response.text
    tasks = (await signed_in.get("/api/tasks")).json()
    assert len(tasks) == 1
    assert "oat milk" in tasks[0]["title"]
    assert tasks[0]["due_date"] == "2030-03-05"  # the user's tomorrow, from client_time


async def test_an_over_long_chat_message_gets_the_chatbots_reason(signed_in: httpx.AsyncClient) -> None:
    response = await signed_in.post(
        "/chat", data={"message": "add " + "x" * 2000}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 422
    assert "chat-error" in response.text
    assert "2000" in response.text
    assert (await signed_in.get("/api/tasks")).json() == []


async def test_empty_chat_message_is_refused(signed_in: httpx.AsyncClient) -> None:
    response = await signed_in.post("/chat", data={"message": "  "}, headers={"HX-Request": "true"})
    assert response.status_code == 422
    assert "chat-error" in response.text
    assert "hx-trigger" not in response.headers


def failing_upstream(request: httpx.Request) -> httpx.Response:
    """Upstream double: a backend and chatbot that fail every request with a 500."""
    return httpx.Response(500, text="Internal Server Error")


async def test_a_failing_backend_gives_an_explanation_not_a_crash() -> None:
    settings = Settings(backend_url="http://backend.test", chatbot_url="http://chatbot.test")
    async with frontend_client(settings, httpx.MockTransport(failing_upstream)) as client:
        client.cookies.set("todo_session", "token")
        page = await client.get("/")
        chat = await client.post("/chat", data={"message": "add milk"}, headers={"HX-Request": "true"})
        login = await client.post("/login", data={"email": "a@example.com", "password": "whatever1"})
    assert page.status_code == 503
    assert "Temporarily unavailable" in page.text
    assert "HTTP 500" in page.text
    assert chat.status_code == 502
    assert 'class="chat-msg chat-reply chat-error"' in chat.text
    assert "hx-trigger" not in chat.headers
    assert login.status_code == 502
    assert 'data-testid="form-error"' in login.text


async def test_password_change_keeps_this_session_and_ends_the_others(services: DevStack) -> None:
    settings = Settings(backend_url=services.backend_url, chatbot_url=services.chatbot_url)
    email = unique_email()
    async with frontend_client(settings) as client, frontend_client(settings) as other:
        assert (
            await client.post("/signup", data={"email": email, "password": "correct horse 1"})
        ).status_code == 303
        login = await other.post("/login", data={"email": email, "password": "correct horse 1"})
        assert login.status_code == 303
        page = await client.get("/account")
        assert page.status_code == 200 and 'data-testid="password-form"' in page.text
        wrong = await client.post(
            "/account/password",
            data={"current_password": "not it", "new_password": "new horse 22"},  # pragma: allowlist secret
        )
        assert wrong.status_code == 403 and "The current password is wrong." in wrong.text
        changed = await client.post(
            "/account/password", data={"current_password": "correct horse 1", "new_password": "new horse 22"}
        )
        assert changed.status_code == 303 and changed.headers["location"] == "/account?changed=1"
        assert (await client.get("/")).status_code == 200  # this browser stays logged in
        ended = await other.get("/")
        assert ended.status_code == 303 and ended.headers["location"] == "/login?expired=1"


async def test_logout_ends_the_token_at_the_backend(signed_in: httpx.AsyncClient, services: DevStack) -> None:
    token = signed_in.cookies["todo_session"]
    assert (await signed_in.post("/logout")).status_code == 303
    response = httpx.get(f"{services.backend_url}/api/tasks", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401


async def test_a_form_without_its_csrf_token_is_refused(signed_in: httpx.AsyncClient) -> None:
    assert isinstance(signed_in, BrowserLikeClient)
    refused = await signed_in.raw_post("/tasks", data={"title": "forged"})
    assert refused.status_code == 403
    assert "forged" not in (await signed_in.get("/")).text
