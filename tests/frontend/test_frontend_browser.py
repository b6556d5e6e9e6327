"""The app in Debian's Chromium (Playwright, headless): the three services run as local processes on SQLite.

The browser runs in a time zone whose date differs from the server's (UTC), so "tomorrow" in chat only
comes out right if the page sends the browser's local time as client_time.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from frontend_support import unique_email
from playwright.sync_api import Browser, ConsoleMessage, Page, expect, sync_playwright

from harness.devserver import SERVICES, DevStack, free_port, start_dev_stack
from harness.paths import REPORTS, ensure

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",  # needed as root
    "--disable-gpu",
    "--disable-background-networking",  # keep Chromium from calling hosts this machine cannot reach
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = REPORTS / "frontend"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevStack]:
    ports = {name: free_port() for name in SERVICES}
    with start_dev_stack(tmp_path_factory.mktemp("dev"), ports=ports) as running:
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


def time_zone_not_on_utc_date() -> str:
    """A zone whose calendar date differs from UTC's right now (UTC+14 from 10:00 UTC, else UTC-11)."""
    return "Pacific/Kiritimati" if datetime.now(UTC).hour >= 10 else "Pacific/Pago_Pago"


@pytest.fixture
def page(browser: Browser, stack: DevStack) -> Iterator[Page]:
    context = browser.new_context(
        base_url=stack.frontend_url,
        timezone_id=time_zone_not_on_utc_date(),
        viewport={"width": 1280, "height": 800},
    )
    tab = context.new_page()
    problems: list[str] = []
    tab.on("console", lambda msg: _record_console_error(msg, problems))  # CSP violations land here
    tab.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    yield tab
    context.close()
    assert problems == [], "the page reported errors"


def _record_console_error(message: ConsoleMessage, problems: list[str]) -> None:
    # 4xx answers to form posts are expected (validation errors shown in the page); browser and htmx log them
    expected = ("the server responded with a status of 4", "Response Status Error Code 4")
    if message.type == "error" and not any(text in message.text for text in expected):
        problems.append(f"console: {message.text}")


def sign_up(page: Page) -> str:
    email = unique_email()
    page.goto("/")
    expect(page).to_have_url("/login")
    page.get_by_role("link", name="Create an account").click()
    form = page.locator("form[data-testid=signup-form]")
    form.locator("input[name=name]").fill("Grace")
    form.locator("input[name=email]").fill(email)
    form.locator("input[name=password]").fill("correct horse 1")
    form.get_by_role("button", name="Sign up").click()
    expect(page.locator("[data-testid=task-list]")).to_be_attached()
    expect(page.locator("[data-testid=logout]")).to_be_visible()
    return email


def test_chat_adds_a_task_that_is_completed_from_the_list(page: Page) -> None:
    sign_up(page)
    page.evaluate("window.sameDocument = true")  # gone if anything below reloads the page
    zone = ZoneInfo(page.evaluate("Intl.DateTimeFormat().resolvedOptions().timeZone"))
    users_tomorrow = (datetime.now(zone).date() + timedelta(days=1)).isoformat()
    assert users_tomorrow != (datetime.now(UTC).date() + timedelta(days=1)).isoformat()

    page.locator("[data-testid=chat-input]").fill("add buy oat milk tomorrow")
    page.locator("[data-testid=chat-send]").click()
    reply = page.locator("[data-testid=chat-log] .chat-reply")
    expect(reply).to_have_count(1)
    expect(reply).not_to_have_class("chat-msg chat-reply chat-error")
    expect(page.locator("[data-testid=chat-input]")).to_have_value("")
    expect(page.locator("#conversation-id")).not_to_have_value(
        ""
    )  # the next message continues this conversation

    row = page.locator("[data-testid=task-1]")
    expect(row).to_contain_text("#1")
    expect(row).to_contain_text("buy oat milk")
    expect(row).to_contain_text(f"Due {users_tomorrow}")
    expect(row).not_to_contain_text("Completed")

    page.locator("[data-testid=task-1-complete]").click()
    expect(row).to_contain_text("Completed")
    expect(page.locator("[data-testid=task-1-complete]")).to_have_attribute("aria-pressed", "true")
    assert page.evaluate("window.sameDocument") is True
    page.screenshot(path=ensure(SCREENSHOTS) / "task-list-after-chat.png", full_page=True)

    page.reload()  # the server has it too
    expect(page.locator("[data-testid=task-1]")).to_contain_text("Completed")
    page.get_by_role("link", name="Pending").click()
    expect(page.locator("[data-testid=task-1]")).to_have_count(0)

    page.locator("[data-testid=logout]").click()
    expect(page).to_have_url("/login")
    page.goto("/")
    expect(page).to_have_url("/login")


def test_add_form_errors_and_list_actions(page: Page) -> None:
    sign_up(page)
    add_form = page.locator("form[data-testid=add-task-form]")
    add_form.get_by_role("button", name="Add").click()
    expect(add_form.locator("[data-testid=form-error]")).to_contain_text("Give the task a title")

    add_form.locator("input[name=title]").fill("water the plants")
    add_form.locator("input[name=title]").press("Enter")
    expect(page.locator("[data-testid=task-1]")).to_contain_text("water the plants")
    expect(page.locator("form[data-testid=add-task-form] input[name=title]")).to_have_value("")
    expect(page.locator("form[data-testid=add-task-form] [data-testid=form-error]")).to_have_count(0)

    page.locator("[data-testid=chat-input]").fill("add sort photos")
    page.locator("[data-testid=chat-input]").press("Enter")
    expect(page.locator("[data-testid=task-2]")).to_contain_text("sort photos")

    page.locator("[data-testid=task-1-delete]").click()
    expect(page.locator("[data-testid=task-1]")).to_have_count(0)
    expect(page.locator("[data-testid=task-2]")).to_be_visible()
    page.screenshot(path=ensure(SCREENSHOTS) / "task-list-after-delete.png", full_page=True)

    page.set_viewport_size(
        {"width": 390, "height": 844}
    )  # a phone: chat goes below the list, nothing sideways
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.screenshot(path=ensure(SCREENSHOTS) / "task-list-phone.png", full_page=True)


def test_wrong_password_is_shown_on_the_login_page(page: Page) -> None:
    page.goto("/login")
    form = page.locator("form[data-testid=login-form]")
    form.locator("input[name=email]").fill(unique_email())
    form.locator("input[name=password]").fill("not the password")
    form.get_by_role("button", name="Log in").click()
    expect(page.locator("[data-testid=form-error]")).to_contain_text("Wrong email or password")
    page.screenshot(path=ensure(SCREENSHOTS) / "login-error.png")
