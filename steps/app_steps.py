"""Steps that use the app as a user does: its URLs, the chat API through the frontend, and Chromium."""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from pytest_bdd import given, parsers, then, when

from harness import http_client
from harness.app_client import AppClient
from harness.browser import BrowserSession
from harness.components import container_port
from harness.k8s import K8s
from harness.release import AppUrls, Release, ReleaseRestorer
from harness.timeouts import Timeouts
from harness.waits import wait_until
from steps.common_steps import nodeport_url
from steps.evidence import Evidence
from steps.fixtures import User

# ---- URLs ----


@then(parsers.parse("the frontend's page at NodePort {port:d} is the todo app"))
def _frontend_page(app_urls: AppUrls, port: int, evidence: Evidence, timeouts: Timeouts) -> None:
    url = nodeport_url(app_urls, "frontend", port)
    response = http_client.get(f"{url}/", follow_redirects=True, timeout=timeouts.request)
    evidence.text("frontend page", f"{response.status_code} {response.url}\n{response.text[:2000]}")
    assert response.status_code == 200, f"{url}/ answered {response.status_code}"
    assert "text/html" in response.headers.get("content-type", ""), "the frontend did not answer with a page"
    assert "login-form" in response.text or "signup-form" in response.text, (
        "the page shows neither the login nor the signup form"
    )


@then(parsers.parse('the {component}\'s /api/health at NodePort {port:d} reports service "{service}" ok'))
def _health(app_urls: AppUrls, component: str, port: int, service: str, evidence: Evidence) -> None:
    url = nodeport_url(app_urls, component, port)
    body = AppClient(url).health()
    evidence.json(f"{component} health", body)
    assert body.get("status") == "ok" and body.get("service") == service, f"{url}/api/health said {body}"


@then(parsers.parse("the {component}'s /api/ready at NodePort {port:d} answers 200"))
def _ready(app_urls: AppUrls, component: str, port: int, timeouts: Timeouts) -> None:
    url = nodeport_url(app_urls, component, port)

    def probe() -> tuple[bool, str]:
        response = http_client.get(f"{url}/api/ready", timeout=timeouts.request)
        return response.status_code == 200, f"{response.status_code} {response.text[:300]}"

    # kube-proxy may take a moment to route to pods that just became ready again
    wait_until(f"{url}/api/ready to answer 200", probe, timeout=timeouts.app_answers, interval=0.5)


@then(parsers.parse("the backend's API docs at NodePort {port:d} are served"))
def _docs(app_urls: AppUrls, port: int, timeouts: Timeouts) -> None:
    url = nodeport_url(app_urls, "backend", port)
    response = http_client.get(f"{url}/docs", timeout=timeouts.request)
    assert response.status_code == 200, f"{url}/docs answered {response.status_code}"
    assert "swagger" in response.text.lower(), f"{url}/docs is not the API documentation page"


@then(
    parsers.parse(
        "a new user signs up, logs in and creates, reads, updates, completes and deletes a task "
        "through the backend API at NodePort {port:d}"
    )
)
def _api_round_trip(app_urls: AppUrls, port: int, evidence: Evidence) -> None:
    """The API used as a client would, each call's answer checked: what the OpenAPI document only claims.
    Also what a client relies on without seeing it: a wrong password is refused, a field set to null is
    cleared, the status filters list the right tasks, another account's task answers 404 to every method and
    stays as it was, and a token logged out of is refused."""
    url = nodeport_url(app_urls, "backend", port)
    calls: list[str] = []
    with AppClient(url) as client:
        email, password = client.signup_new_user("API User")
        wrong = client.raw(
            "POST", "/api/auth/login", token=None, json={"email": email, "password": password + "x"}
        )
        calls.append(f"login {email} with a wrong password -> {wrong.status_code}")
        assert wrong.status_code == 401, f"a wrong password for {email} answered {wrong.status_code}"
        client.login(email, password)
        calls.append(f"signup + login {email}: token for user {client.me().get('email')}")
        created = client.create_task("api round trip", priority="high", due_date="2031-01-02")
        number = created["number"]
        calls.append(f"POST /api/tasks -> #{number} {created['title']!r}")
        assert client.get_task(number)["title"] == "api round trip", "GET /api/tasks/{n} lost the title"
        assert [t["number"] for t in client.list_tasks()] == [number], "GET /api/tasks does not list it alone"
        renamed = client.update_task(number, title="api round trip, renamed")
        assert (renamed["title"], renamed["priority"]) == ("api round trip, renamed", "high"), renamed
        cleared = client.update_task(number, due_date=None)
        calls.append(f"PATCH /api/tasks/{number} due_date=null -> due {cleared['due_date']}")
        assert cleared["due_date"] is None, f"PATCH due_date=null left it at {cleared['due_date']}"
        assert client.get_task(number)["due_date"] is None, "the cleared due date came back on GET"
        done = client.update_task(number, completed=True)
        assert done["completed"] is True, done
        calls.append(f"PATCH /api/tasks/{number} -> {done['title']!r}, completed")
        pending = client.create_task("api round trip, pending")["number"]
        listed = {s: [t["number"] for t in client.list_tasks(status=s)] for s in ("pending", "completed")}
        calls.append(f"GET /api/tasks?status=pending|completed -> {listed}")
        assert listed == {"pending": [pending], "completed": [number]}, (
            f"the status filters list {listed}, expected pending [{pending}] and completed [{number}]"
        )
        with client.with_token(None) as other:
            other.signup_new_user("Other API User")
            tries: tuple[tuple[str, dict[str, Any]], ...] = (
                ("GET", {}),
                ("PATCH", {"json": {"title": "not yours"}}),
                ("DELETE", {}),
            )
            answers = {m: other.raw(m, f"/api/tasks/{number}", **extra).status_code for m, extra in tries}
        calls.append(f"another user's GET, PATCH, DELETE of #{number} -> {answers}")
        assert set(answers.values()) == {404}, f"another user's requests for #{number} answered {answers}"
        kept = client.get_task(number)
        assert (kept["title"], kept["completed"]) == ("api round trip, renamed", True), (
            f"another user's requests changed task #{number}: {kept}"
        )
        for gone_number in (number, pending):
            client.delete_task(gone_number)
        gone = client.raw("GET", f"/api/tasks/{number}")
        calls.append(f"DELETE /api/tasks/{number}; then GET -> {gone.status_code}")
        assert gone.status_code == 404, f"task #{number} still answers {gone.status_code} after DELETE"
        assert client.list_tasks() == [], "the deleted tasks are still listed"
        client.call("POST", "/api/auth/logout", expected=(204,))
        after = client.raw("GET", "/api/tasks")
        calls.append(f"POST /api/auth/logout; then GET /api/tasks with the same token -> {after.status_code}")
        assert after.status_code == 401, f"the token still answers {after.status_code} after logout"
    evidence.text("API round trip", "\n".join(calls))


_CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]*)"')


class FrontendVisitor:
    """A browser's cookie session on the frontend, over plain HTTP: the pages' forms with their CSRF token,
    the cookies the frontend sets, and requests that leave the token out (as another site's form would)."""

    def __init__(self, url: str, timeout: float) -> None:
        self.http = http_client.client(base_url=url, timeout=timeout, follow_redirects=False)

    def close(self) -> None:
        self.http.close()

    def form_token(self, path: str) -> str:
        page = self.http.get(path)
        assert page.status_code == 200, f"GET {path} answered {page.status_code}"
        found = _CSRF_FIELD.search(page.text)
        assert found, f"the page at {path} has no csrf_token field"
        return found.group(1)

    def post(self, path: str, data: dict[str, str]) -> httpx.Response:
        return self.http.post(path, data=data)

    def signup(self, email: str, password: str) -> None:
        form = {"email": email, "password": password, "name": "Session User"}
        answer = self.post("/signup", {**form, "csrf_token": self.form_token("/signup")})
        assert answer.status_code == 303 and self.session, f"signup answered {answer.status_code}"

    @property
    def session(self) -> str:
        return str(self.http.cookies.get("todo_session") or "")

    def home(self) -> httpx.Response:
        return self.http.get("/")


@pytest.fixture
def frontend_visitor(app_urls: AppUrls, timeouts: Timeouts) -> Iterator[Callable[[int], FrontendVisitor]]:
    visitors: list[FrontendVisitor] = []

    def make(port: int) -> FrontendVisitor:
        visitors.append(FrontendVisitor(nodeport_url(app_urls, "frontend", port), timeouts.request))
        return visitors[-1]

    yield make
    for visitor in visitors:
        visitor.close()


@then(
    parsers.parse(
        "a form posted to the frontend at NodePort {port:d} without the page's CSRF token changes nothing"
    )
)
def _csrf_refused(
    frontend_visitor: Callable[[int], FrontendVisitor], app_urls: AppUrls, port: int, evidence: Evidence
) -> None:
    """A signed-in user's cookies on a form post that lacks (or forges) the page's token, as another site's
    form would send it: refused, and no task is made; the same form with the page's token adds the task (so
    the refusal is the CSRF check, not a broken form)."""
    visitor = frontend_visitor(port)
    visitor.signup(f"csrf-{secrets.token_hex(5)}@example.test", secrets.token_urlsafe(12))
    forged = {
        "none": visitor.post("/tasks", {"title": "forged without a token"}).status_code,
        "wrong": visitor.post(
            "/tasks", {"title": "forged with a wrong token", "csrf_token": secrets.token_hex(32)}
        ).status_code,
    }
    real = visitor.post(
        "/tasks", {"title": "added with the page's token", "csrf_token": visitor.form_token("/")}
    )
    with AppClient(app_urls.frontend, visitor.session) as api:
        titles = [t["title"] for t in api.list_tasks()]
    evidence.json("CSRF", {"forged posts": forged, "post with the token": real.status_code, "tasks": titles})
    assert real.status_code in (200, 303), f"the form with the page's CSRF token answered {real.status_code}"
    assert titles == ["added with the page's token"], f"after the forged posts the user's tasks are {titles}"
    assert set(forged.values()) == {403}, f"form posts without the page's CSRF token answered {forged}"


@then(
    parsers.parse(
        "a session cookie kept from before logout no longer opens the task list at NodePort {port:d}"
    )
)
def _logout_ends_session(
    frontend_visitor: Callable[[int], FrontendVisitor], port: int, evidence: Evidence
) -> None:
    """Logging out must end the session, not only drop the cookie from this browser: the cookie's value,
    kept (another tab's copy, a shared machine, a stolen cookie), must no longer open the task list."""
    visitor = frontend_visitor(port)
    visitor.signup(f"logout-{secrets.token_hex(5)}@example.test", secrets.token_urlsafe(12))
    kept = visitor.session
    before = visitor.home()
    assert before.status_code == 200, f"the new session's task list answered {before.status_code}"
    out = visitor.post("/logout", {"csrf_token": visitor.form_token("/")})
    assert out.status_code == 303 and out.headers.get("location") == "/login", (
        f"logout answered {out.status_code} {out.headers.get('location')}"
    )
    page = visitor.http.get("/", cookies=None, headers={"cookie": f"todo_session={kept}"})
    evidence.text(
        "after logout", f"GET / with the kept cookie -> {page.status_code} {page.headers.get('location')}"
    )
    assert page.status_code in (302, 303, 307) and str(page.headers.get("location", "")).startswith(
        "/login"
    ), f"the session cookie from before logout still opens the task list: GET / answered {page.status_code}"


@then(parsers.parse("a task title with HTML markup is shown as text on the task list at NodePort {port:d}"))
def _title_escaped(
    frontend_visitor: Callable[[int], FrontendVisitor], app_urls: AppUrls, port: int, evidence: Evidence
) -> None:
    """A title is the user's text, never the page's markup: what a title holds is shown escaped."""
    visitor = frontend_visitor(port)
    visitor.signup(f"markup-{secrets.token_hex(5)}@example.test", secrets.token_urlsafe(12))
    marker = secrets.token_hex(4)
    title = f'<img src=x data-tcb="{marker}" onerror=alert(1)> pay rent'
    with AppClient(app_urls.frontend, visitor.session) as api:
        api.create_task(title)
    page = visitor.home()
    assert page.status_code == 200, f"the task list answered {page.status_code}"
    shown = [line.strip() for line in page.text.splitlines() if marker in line]
    evidence.text("the title in the page", "\n".join(shown))
    assert shown, "the task list does not show the new task"
    assert f'data-tcb="{marker}"' not in page.text, f"the title's markup is part of the page: {shown}"
    assert "&lt;img src=x" in page.text, f"the title is not shown as escaped text: {shown}"


@then("the backend's OpenAPI document lists the task and auth endpoints")
def _openapi(app_urls: AppUrls, timeouts: Timeouts) -> None:
    paths = (
        http_client.get(f"{app_urls.backend}/openapi.json", timeout=timeouts.request).json().get("paths", {})
    )
    wanted = ["/api/auth/signup", "/api/auth/login", "/api/tasks", "/api/tasks/{number}"]
    missing = [p for p in wanted if p not in paths]
    assert not missing, f"/openapi.json does not list {missing}"


@when(parsers.parse('the release is upgraded with "{key}" set to "{value}"'), target_fixture="upgraded_at")
def _upgrade(
    release: Release, key: str, value: str, evidence: Evidence, release_restorer: ReleaseRestorer
) -> datetime:
    """Returns when the upgrade began, so later steps can tell pods it created from pods it left alone."""
    release_restorer.remember_revision()
    started = datetime.now(UTC)
    evidence.figure("revision after upgrade", release.upgrade([f"{key}={value}"]))
    return started


@then(parsers.parse('the backend, chatbot and frontend report log_level "{level}" on /api/health'))
def _log_levels(
    release: Release, k8s: K8s, app_urls: AppUrls, level: str, evidence: Evidence, timeouts: Timeouts
) -> None:
    chatbot = k8s.services(release.namespace, release.component_selector("chatbot"))[0].metadata.name
    started = time.monotonic()

    def probe() -> tuple[bool, dict[str, list[str]]]:
        # several requests each, so the Services' load balancing reaches every replica
        seen = {
            name: [AppClient(url).health().get("log_level") for _ in range(6)]
            for name, url in (("backend", app_urls.backend), ("frontend", app_urls.frontend))
        }
        with k8s.port_forward(release.namespace, chatbot, container_port("chatbot")) as port:
            seen["chatbot"] = [AppClient(f"http://127.0.0.1:{port}").health().get("log_level")]
        return all(set(levels) == {level} for levels in seen.values()), seen

    # terminating old pods may answer for a moment after the rollout while kube-proxy catches up
    seen = wait_until(
        f"every service to report log_level {level}", probe, timeout=timeouts.config_applied, interval=2
    )
    evidence.json("log_level on /api/health", seen)
    evidence.figure(
        "seconds until every service reported the new level", round(time.monotonic() - started, 1)
    )


# ---- chat through the API ----


@given("a new user chatting through the frontend", target_fixture="chat_user")
def _chat_user(user: User) -> User:
    return user


@dataclass
class Conversation:
    """One chat of a scenario: its id (after the first reply) and every message with its reply."""

    id: str | None = None
    exchanges: list[dict[str, Any]] = field(default_factory=list)


@pytest.fixture
def conversation() -> Conversation:
    return Conversation()


def _client_time() -> str:
    """What a browser sends: the local time with its UTC offset."""
    return datetime.now().astimezone().isoformat(timespec="seconds")


def _say(chat_user: User, message: str, conversation: Conversation, evidence: Evidence) -> dict[str, Any]:
    reply = chat_user.web.chat(message, conversation.id, _client_time())
    conversation.id = reply["conversation_id"]
    conversation.exchanges.append({"message": message, **reply})
    evidence.json("chat", conversation.exchanges)
    return dict(reply)


@given(parsers.parse('the user has tasks "{first}" and "{second}"'))
def _has_tasks(chat_user: User, first: str, second: str) -> None:
    numbers = [chat_user.api.create_task(title)["number"] for title in (first, second)]
    assert numbers == [1, 2], f"a new user's first tasks got numbers {numbers}, expected [1, 2]"


@given(parsers.parse('another user with a task "{title}"'), target_fixture="other_user")
def _other_user(new_user: Callable[..., User], title: str) -> User:
    other = new_user("Other User")
    other.api.create_task(title)
    return other


@when(parsers.parse('the user says "{message}"'), target_fixture="reply")
def _user_says(
    chat_user: User, message: str, conversation: Conversation, evidence: Evidence
) -> dict[str, Any]:
    return _say(chat_user, message, conversation, evidence)


@when(parsers.parse('the user says "{message}" and confirms if asked'), target_fixture="reply")
def _user_says_confirming(
    chat_user: User, message: str, conversation: Conversation, evidence: Evidence
) -> dict[str, Any]:
    reply = _say(chat_user, message, conversation, evidence)
    if not reply["actions"] and "?" in reply["reply"]:  # asked to confirm a destructive action: say yes
        reply = _say(chat_user, "yes", conversation, evidence)
    return reply


@then(parsers.re(r'the reply reports an? "(?P<action>\w+)" action'))
def _reply_action(reply: dict[str, Any], action: str) -> None:
    types = [a.get("type") for a in reply.get("actions", [])]
    assert action in types, f"the reply {reply['reply']!r} reports actions {types}, not {action!r}"


def _task_titled(tasks: list[dict[str, Any]], title: str) -> dict[str, Any] | None:
    return next((t for t in tasks if t["title"].strip().lower() == title.lower()), None)


@then(parsers.parse('the user has a task titled "{title}" due tomorrow'))
def _task_due_tomorrow(chat_user: User, title: str) -> None:
    tasks = chat_user.api.list_tasks()
    task = _task_titled(tasks, title)
    assert task is not None, f"no task titled {title!r} among {[t['title'] for t in tasks]}"
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    assert task["due_date"] == tomorrow, f"{title!r} is due {task['due_date']}, expected {tomorrow}"


@then(parsers.parse('the reply mentions "{first}" and "{second}"'))
def _reply_mentions(reply: dict[str, Any], first: str, second: str) -> None:
    text = reply["reply"].lower()
    missing = [t for t in (first, second) if t.lower() not in text]
    assert not missing, f"the reply {reply['reply']!r} does not mention {missing}"


@then(parsers.parse("task {done:d} is completed and task {open_:d} is not"))
def _completed(chat_user: User, done: int, open_: int) -> None:
    assert chat_user.api.get_task(done)["completed"] is True, f"task {done} is not completed"
    assert chat_user.api.get_task(open_)["completed"] is False, f"task {open_} was completed too"


@then(parsers.parse('task {number:d} is titled "{title}"'))
def _titled(chat_user: User, number: int, title: str) -> None:
    actual = chat_user.api.get_task(number)["title"]
    assert actual.strip().lower() == title.lower(), f"task {number} is titled {actual!r}, expected {title!r}"


@then(parsers.parse("task {gone:d} no longer exists and task {kept:d} still does"))
def _deleted(chat_user: User, gone: int, kept: int) -> None:
    status = chat_user.api.raw("GET", f"/api/tasks/{gone}").status_code
    assert status == 404, f"task {gone} answers {status} after the delete, expected 404"
    chat_user.api.get_task(kept)


DuesSet = dict[int, tuple[int, str]]  # task number -> (days from the day it was set, the ISO date set)


@given(
    parsers.parse("task {number:d} is due in {days:d} days with {priority} priority"),
    target_fixture="dues_set",
)
def _task_due_with_priority(chat_user: User, number: int, days: int, priority: str) -> DuesSet:
    """Sets the due date and returns it ({number: (days, date)}): a later step compares with the date set
    here, not with one computed again (a run across midnight would expect the next day's)."""
    due = _in_days(days)
    chat_user.api.update_task(number, due_date=due, priority=priority)
    return {number: (days, due)}


def _in_days(days: int) -> str:
    return (date.today() + timedelta(days=days)).isoformat()


def _still_has(chat_user: User, reply: dict[str, Any], numbers: list[int]) -> None:
    tasks = {t["number"]: t for t in chat_user.api.list_tasks()}
    missing = [n for n in numbers if n not in tasks]
    done = [n for n in numbers if n in tasks and tasks[n]["completed"]]
    assert not missing and not done, (
        f"after {reply['reply']!r} tasks {missing} are gone and {done} completed; the tasks are "
        f"{[(t['number'], t['title'], t['completed']) for t in tasks.values()]}"
    )


@then(parsers.parse("the reply asks before deleting and the user still has tasks {first:d} and {second:d}"))
def _asked_before_deleting(chat_user: User, reply: dict[str, Any], first: int, second: int) -> None:
    text = reply["reply"]
    assert not reply["actions"], f"the reply {text!r} acted ({reply['actions']}) instead of asking"
    assert "?" in text and "delete" in text.lower(), f"the reply {text!r} asks no delete"
    _still_has(chat_user, reply, [first, second])


@then(parsers.parse("the reply asks nothing more and the user still has tasks {first:d} and {second:d}"))
def _declined(chat_user: User, reply: dict[str, Any], first: int, second: int) -> None:
    text = reply["reply"]
    assert not reply["actions"] and "?" not in text, (
        f"after 'no' the reply {text!r} (actions {reply['actions']}) still acts or asks"
    )
    _still_has(chat_user, reply, [first, second])


@then(parsers.parse('task {number:d} is back as "{title}", due in {days:d} days with {priority} priority'))
def _restored(chat_user: User, dues_set: DuesSet, number: int, title: str, days: int, priority: str) -> None:
    set_days, due = dues_set[number]
    assert set_days == days, f"the scenario set task {number} due in {set_days} days, not {days}"
    status = chat_user.api.raw("GET", f"/api/tasks/{number}").status_code
    assert status == 200, f"task {number} answers {status} after the undo: it was not restored"
    task = chat_user.api.get_task(number)
    seen = (task["title"].strip().lower(), task["due_date"], task["priority"], task["completed"])
    expected = (title.lower(), due, priority, False)
    assert seen == expected, f"task {number} came back as {seen} (title, due, priority, done), not {expected}"


@then(parsers.parse("the other user's task {number:d} still exists"))
def _other_untouched(other_user: User, number: int) -> None:
    status = other_user.api.raw("GET", f"/api/tasks/{number}").status_code
    assert status == 200, f"the other user's task {number} answers {status}: the chat reached across users"


# ---- Chromium ----


@given(parsers.parse("a Chromium browser on the frontend at NodePort {port:d}"), target_fixture="browser")
def _browser(
    app_urls: AppUrls, port: int, evidence: Evidence, timeouts: Timeouts
) -> Iterator[BrowserSession]:
    url = nodeport_url(app_urls, "frontend", port)
    # screenshots go with the report's evidence, so the one taken on a failure is kept too
    shots = Path(evidence.directory) / "screenshots"
    with BrowserSession(url, shots, timeout_ms=timeouts.browser_action * 1000) as session:
        yield session


def _attach_screenshots(browser: BrowserSession, evidence: Evidence) -> None:
    """Attach the screenshots taken since the last call (their names are unique: 01-…, 02-…)."""
    attached = evidence.names()
    for shot in browser.screenshots:
        if shot.stem not in attached:
            evidence.image(shot.stem, shot)


@dataclass(frozen=True)
class Account:
    email: str
    password: str


@when("a new user signs up in the browser", target_fixture="browser_account")
def _browser_signup(browser: BrowserSession, evidence: Evidence) -> Account:
    account = Account(f"browser-{secrets.token_hex(5)}@example.test", secrets.token_urlsafe(12))
    browser.signup(account.email, account.password, "Browser User")
    _attach_screenshots(browser, evidence)
    return account


@when("the user logs out and logs in again in the browser")
def _browser_relogin(browser: BrowserSession, browser_account: Account, evidence: Evidence) -> None:
    browser.logout()
    browser.login(browser_account.email, browser_account.password)
    _attach_screenshots(browser, evidence)


@when(parsers.parse('the user types "{message}" in the chat'), target_fixture="browser_reply")
def _browser_chat(browser: BrowserSession, message: str, evidence: Evidence) -> str:
    browser.mark_document()
    reply = browser.chat(message)
    browser.screenshot("chat-reply")
    _attach_screenshots(browser, evidence)
    return reply


@then("the chat replies in the browser")
def _browser_replied(browser_reply: str, evidence: Evidence) -> None:
    evidence.text("bot reply", browser_reply)
    assert browser_reply, "the chat showed an empty reply"


@then(
    parsers.parse('the task list shows a task titled "{title}" without a page reload'),
    target_fixture="browser_task_title",
)
def _browser_task_shown(browser: BrowserSession, title: str, evidence: Evidence) -> str:
    browser.wait_for_task(title)
    browser.screenshot("task-list")
    _attach_screenshots(browser, evidence)
    assert browser.document_kept(), "the page was reloaded to show the task"
    return title


@then("the task exists through the API for that user")
def _browser_task_in_api(app_urls: AppUrls, browser_account: Account, browser_task_title: str) -> None:
    with AppClient(app_urls.backend) as client:
        client.login(browser_account.email, browser_account.password)
        titles = [t["title"] for t in client.list_tasks()]
    assert any(t.strip().lower() == browser_task_title.lower() for t in titles), (
        f"no task {browser_task_title!r} among the user's tasks through the API: {titles}"
    )
