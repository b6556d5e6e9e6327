"""The reports in Debian's Chromium: every success criterion and scenario with its verdict, images and charts
loaded, nothing fetched from the network, no axe-core violation — and the same check catching a seeded
broken report (a criterion missing, a broken chart, a wrong verdict, a network image, a matrix row gone,
an image without alt text)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from harness.browser import CHROMIUM
from harness.report import build_report
from harness.report.check import check_reports

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} missing: `apt-get install chromium`"),
]


@pytest.fixture
def report_dir(run_dir: Path) -> Path:
    build_report(run_dir)
    return run_dir


def test_the_report_reads_well_in_chromium(report_dir: Path) -> None:
    pages = check_reports(report_dir, report_dir / "evidence" / "report-check")
    for page in pages:
        assert page.problems == [], f"{page.page}: {page.problems}"
        assert page.screenshot is not None and page.screenshot.stat().st_size > 10_000
    acceptance = pages[0]
    assert acceptance.images >= 2, "at least the phase chart and a load chart"


def _edit(path: Path, pattern: str, replacement: str, count: int = 1) -> None:
    text = path.read_text()
    changed, n = re.subn(pattern, replacement, text, count=count, flags=re.S)
    assert n, f"the seeded defect {pattern!r} did not apply to {path.name}"
    path.write_text(changed)


def test_seeded_broken_report_is_caught(report_dir: Path) -> None:
    page = report_dir / "acceptance.html"
    _edit(page, r'<tr id="SC-019".*?</tr>', "")  # a success criterion left out
    _edit(page, r'(<img src="data:image/svg\+xml;base64,)[^"]{40}', r"\1AAAA")  # a chart that cannot load
    _edit(
        page, r'(data-verdict="failed"[^>]*>\s*<summary><span class="badge s-failed">✗ )failed', r"\1passed"
    )
    _edit(page, r"</main>", '<img src="http://127.0.0.1:9/logo.png" alt="logo"></main>')  # not offline
    _edit(report_dir / "traceability.html", r"<tr id='T001'>.*?</tr>", "")
    problems = {
        p.page: "\n".join(p.problems)
        for p in check_reports(report_dir, report_dir / "evidence" / "report-check", accessibility=False)
    }
    acceptance, matrix = problems["acceptance.html"], problems["traceability.html"]
    assert "success criterion SC-019 is not in the criteria table" in acceptance
    assert "image did not load" in acceptance
    assert re.search(r"scenario '.*' does not show its verdict 'failed'", acceptance)
    assert "the page fetches http://127.0.0.1:9/logo.png from the network" in acceptance
    assert "requirement T001 is not in the traceability matrix" in matrix


def test_seeded_accessibility_defect_is_caught(report_dir: Path) -> None:
    _edit(report_dir / "acceptance.html", r'<img src="(data:image/svg[^"]+)" alt="[^"]*">', r'<img src="\1">')
    _edit(report_dir / "acceptance.html", r"</style>", "h1 { color: #e8e8e8; }</style>")
    problems = "\n".join(check_reports(report_dir, report_dir / "shots")[0].problems)
    assert "accessibility: image-alt" in problems
    assert "accessibility: color-contrast" in problems


def test_browsers_launched_before_the_reports_exist_check_them_once_written(run_dir: Path) -> None:
    """The run's end launches the check's browsers while the reports are still being written: the check made
    that way finds a seeded defect written after the launch (it reads the page as it is when asked)."""
    from harness.report.check import ReportCheck

    checker = ReportCheck(accessibility=False)  # launched before acceptance.html exists
    assert not (run_dir / "acceptance.html").exists()
    build_report(run_dir)
    _edit(run_dir / "acceptance.html", r'<tr id="SC-019".*?</tr>', "")
    pages = checker.check(run_dir, run_dir / "shots")
    assert "success criterion SC-019 is not in the criteria table" in "\n".join(pages[0].problems)
    assert pages[1].problems == [] and pages[1].screenshot is not None


def test_browsers_launched_ahead_and_cancelled_close_at_once(run_dir: Path) -> None:
    """cancel() wakes the waiting browsers: it returns in seconds (their wait would be WAIT_SECONDS) and
    leaves no thread of theirs behind."""
    import threading
    import time

    from harness.report.check import WAIT_SECONDS, ReportCheck

    before = set(threading.enumerate())
    checker = ReportCheck()
    time.sleep(1.0)  # the browsers are up or on their way
    started = time.monotonic()
    checker.cancel()
    assert time.monotonic() - started < min(20.0, WAIT_SECONDS / 2)
    assert not [t for t in set(threading.enumerate()) - before if t.name.startswith("report-check")]


def test_pages_whose_browsers_stopped_waiting_are_checked_in_new_ones(
    run_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Launched too long before the report (the browsers' wait ran out): the check still runs, in fresh
    browsers, and still finds a seeded defect."""
    from concurrent.futures import wait

    from harness.report import check

    monkeypatch.setattr(check, "WAIT_SECONDS", 0.5)
    checker = check.ReportCheck(accessibility=False)
    done, _ = wait(checker._pages, timeout=120)  # launched, waited 0.5 s, closed
    assert len(done) == len(check.PAGES) and all(f.result() is None for f in done)
    monkeypatch.setattr(check, "WAIT_SECONDS", 600)
    build_report(run_dir)
    _edit(run_dir / "acceptance.html", r'<tr id="SC-019".*?</tr>', "")
    pages = checker.check(run_dir, run_dir / "shots")
    assert [p.page for p in pages] == list(check.PAGES)
    assert "success criterion SC-019 is not in the criteria table" in "\n".join(pages[0].problems)
