"""The user's flows in a real browser: Debian's Chromium driven by Playwright, with the selectors of the
frontend contract (data-testid attributes). Each flow step can leave a screenshot as evidence."""

from __future__ import annotations

import os
from pathlib import Path
from types import TracebackType

from playwright.sync_api import Browser, Page, Playwright, sync_playwright

from harness.log import get_logger
from harness.timeouts import DEFAULT_TIMEOUTS

log = get_logger("browser")

CHROMIUM = os.environ.get("TCB_CHROMIUM", "/usr/bin/chromium")
# --no-sandbox: Chromium refuses its sandbox as root; the rest keep it from calling hosts we cannot reach
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


class BrowserSession:
    """One headless Chromium with one page on the frontend at base_url.

    `with BrowserSession(url) as b: b.signup(...); b.chat("add ..."); b.screenshot("after-chat")`.
    """

    def __init__(
        self,
        base_url: str,
        screenshot_dir: Path,
        *,
        timeout_ms: float = DEFAULT_TIMEOUTS.browser_action * 1000,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.screenshot_dir = screenshot_dir
        self.timeout_ms = timeout_ms
        self.screenshots: list[Path] = []
        self._playwright: Playwright | None = None
        self._browser: Browser | None = None
        self._page: Page | None = None

    def __enter__(self) -> BrowserSession:
        if not Path(CHROMIUM).exists():
            raise FileNotFoundError(f"{CHROMIUM} not found: `apt-get install chromium` (scripts/setup does)")
        self._playwright = sync_playwright().start()
        self._browser = self._playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        self._page = self._browser.new_page(viewport={"width": 1280, "height": 900})
        self._page.set_default_timeout(self.timeout_ms)
        log.info("chromium %s on %s", self._browser.version, self.base_url)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc is not None and self._page is not None:
            self.screenshot("on-failure")
        if self._browser is not None:
            self._browser.close()
        if self._playwright is not None:
            self._playwright.stop()

    @property
    def page(self) -> Page:
        if self._page is None:
            raise RuntimeError("BrowserSession used outside its `with` block")
        return self._page

    def screenshot(self, name: str) -> Path:
        self.screenshot_dir.mkdir(parents=True, exist_ok=True)
        path = self.screenshot_dir / f"{len(self.screenshots) + 1:02d}-{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        self.screenshots.append(path)
        return path

    # --- flows --------------------------------------------------------------------------------------------
    def signup(self, email: str, password: str, name: str) -> None:
        self.page.goto(f"{self.base_url}/signup")
        form = self.page.locator("form[data-testid=signup-form]")
        form.locator("input[name=name]").fill(name)
        form.locator("input[name=email]").fill(email)
        form.locator("input[name=password]").fill(password)
        self.screenshot("signup-form")
        form.locator("[type=submit]").click()
        self._wait_signed_in()
        self.screenshot("signed-up")

    def logout(self) -> None:
        self.page.locator("[data-testid=logout]").click()
        self.page.locator("form[data-testid=login-form]").wait_for()
        self.screenshot("logged-out")

    def login(self, email: str, password: str) -> None:
        if not self.page.locator("form[data-testid=login-form]").count():
            self.page.goto(f"{self.base_url}/login")
        form = self.page.locator("form[data-testid=login-form]")
        form.locator("input[name=email]").fill(email)
        form.locator("input[name=password]").fill(password)
        form.locator("[type=submit]").click()
        self._wait_signed_in()
        self.screenshot("logged-in")

    def _wait_signed_in(self) -> None:
        errors = self.page.locator("[data-testid=form-error]")
        logout = self.page.locator("[data-testid=logout]")
        # whichever comes first: the signed-in page, or the form's error message (which we then report)
        logout.or_(errors).first.wait_for()
        if not logout.count():
            raise AssertionError(f"the form was refused: {errors.first.inner_text()!r}")

    def chat(self, message: str) -> str:
        """Send a chat message the way a user does; return the bot's new reply text."""
        replies = self.page.locator("[data-testid=chat-log] .chat-reply")
        before = replies.count()
        self.page.locator("[data-testid=chat-input]").fill(message)
        self.page.locator("[data-testid=chat-send]").click()
        replies.nth(before).wait_for()
        return replies.nth(before).inner_text().strip()

    def wait_for_task(self, title: str) -> str:
        """Wait until the task list shows a row with this title; return the row's text."""
        row = self.page.locator("[data-testid=task-list] li[data-testid^=task-]").filter(has_text=title).first
        row.wait_for()
        return row.inner_text().strip()

    def mark_document(self) -> None:
        """Tag the current document; if it survives a step, that step did not reload the page."""
        self.page.evaluate("window.__tcbDocumentMark = 'kept'")

    def document_kept(self) -> bool:
        return bool(self.page.evaluate("window.__tcbDocumentMark === 'kept'"))
