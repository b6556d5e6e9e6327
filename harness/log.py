"""Progress output for long operations: one logger, timestamps relative to process start."""

from __future__ import annotations

import logging
import sys
import time

_START = time.monotonic()


class _Elapsed(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return f"[tcb {time.monotonic() - _START:7.1f}s] {record.getMessage()}"


def get_logger(name: str = "tcb") -> logging.Logger:
    logger = logging.getLogger("tcb" if name == "tcb" else f"tcb.{name}")
    root = logging.getLogger("tcb")
    if not root.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(_Elapsed())
        root.addHandler(handler)
        root.setLevel(logging.INFO)
        root.propagate = False
    return logger
