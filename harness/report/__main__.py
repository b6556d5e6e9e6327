"""python -m harness.report [REPORT_DIR]: make acceptance.html and summary.md again from a run's outputs."""

from __future__ import annotations

import sys
from pathlib import Path

from harness.paths import REPORTS
from harness.report import ReportInputError, build_report


def main(argv: list[str]) -> int:
    directory = Path(argv[0]) if argv else REPORTS
    try:
        for path in build_report(directory):
            print(path)
    except ReportInputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
