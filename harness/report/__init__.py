"""The acceptance report, made after the run from the files it wrote (plain Python, no pytest):
acceptance.html (one self-contained page), summary.md (a CI job summary), charts, allure attachments.

`python -m harness.report reports/` makes them again from a report directory.
"""

from __future__ import annotations

import os
from pathlib import Path

from harness.report.outputs import ReportInputError, RunRecord, load_run

__all__ = ["ReportInputError", "RunRecord", "build_report", "load_run"]


def build_report(report_dir: Path) -> list[Path]:
    """Write acceptance.html and summary.md into report_dir (and append the summary to
    $GITHUB_STEP_SUMMARY when that is set); returns the files written."""
    from harness.report import allure, html, summary

    report_dir = Path(report_dir)
    run = load_run(report_dir)
    markdown = summary.to_markdown(run)
    summary_file = report_dir / "summary.md"
    summary_file.write_text(markdown)  # first: the page links to it
    page = report_dir / "acceptance.html"
    page.write_text(html.render(run))
    step_summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if step_summary:
        with open(step_summary, "a") as fh:
            fh.write(markdown)
    allure.attach_evidence(run)
    return [page, summary_file]
