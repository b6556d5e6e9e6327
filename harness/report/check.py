"""The reports as a reader sees them: acceptance.html and traceability.html opened in Chromium, offline.

Checks that every success criterion and every scenario of the run (as traceability.json records them) is on
the page with its verdict, that every image and chart has loaded, that nothing is fetched from the network,
and (optionally) that axe-core finds no accessibility violation; keeps a screenshot of each page.
"""

from __future__ import annotations

import json
import threading
from concurrent.futures import Future, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.traceability import scenario_anchor

PAGES = ("acceptance.html", "traceability.html")
# How long a browser launched ahead waits for its report before it closes unused.
WAIT_SECONDS = 600


@dataclass
class PageCheck:
    page: str
    problems: list[str] = field(default_factory=list)
    screenshot: Path | None = None
    images: int = 0
    violations: list[dict[str, Any]] = field(default_factory=list)


def _expected(report_dir: Path) -> tuple[dict[str, str], dict[str, tuple[str, str]], dict[str, str]]:
    """(success criterion → verdict, scenario anchor → (name, verdict), requirement → status) from
    traceability.json: the run's verdicts, independent of the page being checked."""
    matrix = json.loads((report_dir / "traceability.json").read_text())
    criteria: dict[str, str] = {}
    scenarios: dict[str, tuple[str, str]] = {}
    requirements: dict[str, str] = {}
    for row in matrix["requirements"]:
        requirements[row["id"]] = row["status"]
        if row["id"].startswith("SC-"):
            criteria[row["id"]] = row["status"]
        for s in row["scenarios"]:
            scenarios[scenario_anchor(s["nodeid"])] = (s["name"], s["status"])
    return criteria, scenarios, requirements


_IMAGES_JS = """() => Array.from(document.images).map(img => ({
    alt: img.alt, ok: img.complete && img.naturalWidth > 0 && img.naturalHeight > 0,
    src: img.src.slice(0, 60)}))"""


def check_reports(
    report_dir: Path,
    screenshot_dir: Path,
    *,
    accessibility: bool = True,
    timeout_ms: float = 30_000,  # each report page's load bound, not a wait
) -> list[PageCheck]:
    """Each page in a browser of its own, side by side (one Playwright per thread, as Playwright's sync API
    allows): axe-core and a full-page screenshot cost a few seconds of a renderer's CPU per page."""
    return ReportCheck(accessibility=accessibility, timeout_ms=timeout_ms).check(report_dir, screenshot_dir)


class ReportCheck:
    """The report check with its browsers launched ahead: made before the reports are written, it starts
    Playwright and one Chromium per page in threads of their own (about 2 s of a run's end otherwise), each
    opening a blank page and waiting; `check()` then loads and checks the written pages, `cancel()` closes the
    browsers unused. A failure to start (no Chromium here) is raised by `check()`."""

    def __init__(
        self,
        *,
        accessibility: bool = True,
        timeout_ms: float = 30_000,  # each report page's load bound, not a wait
        pages: tuple[str, ...] = PAGES,
    ) -> None:
        self.accessibility = accessibility
        self.timeout_ms = timeout_ms
        self.pages = pages
        self._go = threading.Event()
        self._where: tuple[Path, Path, Any] | None = None  # report dir, screenshot dir, expected verdicts
        # daemon threads: a run that fails before check() or cancel() is not held at its exit
        self._pages: list[Future[PageCheck | None]] = []
        self._threads: list[threading.Thread] = []
        for name in pages:
            future: Future[PageCheck | None] = Future()
            thread = threading.Thread(
                target=self._settle, args=(future, name), name=f"report-check-{name}", daemon=True
            )
            thread.start()
            self._pages.append(future)
            self._threads.append(thread)

    def _settle(self, future: Future[PageCheck | None], name: str) -> None:
        try:
            future.set_result(self._run(name))
        except BaseException as exc:
            future.set_exception(exc)

    def check(self, report_dir: Path, screenshot_dir: Path) -> list[PageCheck]:
        report_dir = Path(report_dir).resolve()
        try:
            expected = _expected(report_dir)
            screenshot_dir.mkdir(parents=True, exist_ok=True)
        except BaseException:
            self.cancel()
            raise
        self._where = (report_dir, screenshot_dir, expected)
        self._go.set()
        wait(self._pages)  # every page's browser done before this returns, whatever one of them raised
        checks = [page.result() for page in self._pages]
        missed = tuple(name for name, check in zip(self.pages, checks, strict=True) if check is None)
        if missed:  # launched too long before (they stopped waiting): checked now in browsers of their own
            again = ReportCheck(accessibility=self.accessibility, timeout_ms=self.timeout_ms, pages=missed)
            redone = iter(again.check(report_dir, screenshot_dir))
            checks = [check if check is not None else next(redone) for check in checks]
        return [check for check in checks if check is not None]

    def cancel(self) -> None:
        """Close the browsers without checking anything (the reports were not written, or no check asked)."""
        self._where = None
        self._go.set()
        for thread in self._threads:
            thread.join()

    def _run(self, name: str) -> PageCheck | None:
        from playwright.sync_api import sync_playwright

        from harness.browser import CHROMIUM, CHROMIUM_ARGS

        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                page = browser.new_page(viewport={"width": 1280, "height": 900})
                page.set_default_timeout(self.timeout_ms)
                self._go.wait(WAIT_SECONDS)  # bounded: a run that never calls check() or cancel() still ends
                if self._where is None:
                    return None
                return _check_page(page, name, *self._where, self.accessibility)
            finally:
                browser.close()


def _check_page(
    page: Any,
    name: str,
    report_dir: Path,
    screenshot_dir: Path,
    expected: tuple[dict[str, str], dict[str, tuple[str, str]], dict[str, str]],
    accessibility: bool,
) -> PageCheck:
    criteria, scenarios, requirements = expected
    check = PageCheck(name)
    path = report_dir / name
    if not path.is_file():
        check.problems.append(f"{path} is missing")
        return check
    offline = _Offline()
    page.route("**/*", offline)
    page.goto(path.as_uri(), wait_until="load")
    if name == "acceptance.html":
        page.evaluate("() => document.querySelectorAll('details').forEach(d => d.open = true)")
        check.problems += _check_acceptance(page, criteria, scenarios)
    else:
        check.problems += _check_traceability(page, requirements)
    images = page.evaluate(_IMAGES_JS)
    check.images = len(images)
    check.problems += [f"image did not load: {i['alt'] or i['src']}" for i in images if not i["ok"]]
    check.problems += [f"the page fetches {url} from the network" for url in offline.refused]
    if accessibility:
        from harness.report.a11y import axe_violations

        check.violations = axe_violations(page)
        check.problems += [
            f"accessibility: {v['id']} ({v['impact']}): {v['help']} at {'; '.join(v['nodes'][:3])}"
            for v in check.violations
        ]
    check.screenshot = screenshot_dir / f"{Path(name).stem}.png"
    page.screenshot(path=str(check.screenshot), full_page=name == "traceability.html")
    page.close()
    return check


_PAGE_JS = """() => ({
    criteria: Object.fromEntries(Array.from(document.querySelectorAll('#criteria tr[data-criterion]')).map(
        tr => [tr.dataset.criterion, {verdict: tr.dataset.verdict,
                                     text: tr.cells[1] ? tr.cells[1].innerText : '',
                                     visible: tr.getClientRects().length > 0}])),
    scenarios: Object.fromEntries(Array.from(document.querySelectorAll('details.scenario[id]')).map(
        d => [d.id, d.querySelector('summary') ? d.querySelector('summary').innerText : ''])),
    rows: Object.fromEntries(Array.from(document.querySelectorAll('tr[id]')).map(
        tr => [tr.id, tr.cells.length > 2 ? tr.cells[2].innerText : tr.innerText])),
})"""


def _words(text: str) -> str:
    return " ".join(text.split())


class _Offline:
    """Route handler: the page may load its own file and data: URIs; anything else is refused and noted."""

    def __init__(self) -> None:
        self.refused: list[str] = []

    def __call__(self, route: Any) -> None:
        url = route.request.url
        if url.startswith(("file:", "data:")):
            route.continue_()
        else:
            self.refused.append(url)
            route.abort()


def _check_acceptance(
    page: Any, criteria: dict[str, str], scenarios: dict[str, tuple[str, str]]
) -> list[str]:
    seen = page.evaluate(_PAGE_JS)
    problems = []
    for cid, verdict in criteria.items():
        row = seen["criteria"].get(cid)
        if row is None:
            problems.append(f"success criterion {cid} is not in the criteria table")
        elif verdict not in _words(row["text"]) or row["verdict"] != verdict:
            problems.append(
                f"success criterion {cid} does not show its verdict {verdict!r}:"
                f" {_words(row['text'])[:120]!r}"
            )
        elif not row["visible"]:
            problems.append(f"success criterion {cid} is on the page but hidden")
    for anchor, (name, verdict) in scenarios.items():
        summary = seen["scenarios"].get(anchor)
        if summary is None:
            problems.append(f"scenario {name!r} is not on the page")
        elif name not in _words(summary) or verdict not in _words(summary):
            problems.append(
                f"scenario {name!r} does not show its verdict {verdict!r}: {_words(summary)[:160]!r}"
            )
    return problems


def _check_traceability(page: Any, requirements: dict[str, str]) -> list[str]:
    rows = page.evaluate(_PAGE_JS)["rows"]
    problems = []
    for rid, status in requirements.items():
        if rid not in rows:
            problems.append(f"requirement {rid} is not in the traceability matrix")
        elif _words(rows[rid]) != status:
            problems.append(f"requirement {rid} does not show its status {status!r}")
    return problems
