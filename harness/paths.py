"""Where things live: the repo, build caches (outside the repo, keyed by version) and state directories."""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# Build caches survive across runs and clones: Go build cache, built cluster binaries, base images, wheels.
CACHE = Path(os.environ.get("TCB_CACHE", Path.home() / ".cache" / "todo-chatbot"))
# Mutable state of things the harness runs (the local cluster's data, logs, pids).
STATE = Path(os.environ.get("TCB_STATE", "/var/lib/todo-chatbot"))
REPORTS = Path(os.environ.get("TCB_REPORTS", REPO / "reports"))
DEV_STATE_DIR = REPO / ".tcb" / "dev"  # `tcb dev`: SQLite files, JWT secret, logs
TOOLS_BIN = CACHE / "bin"  # pinned tools installed by the harness (helm, …)


def ensure(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


def write_replacing(path: Path, text: str) -> None:
    """Write `path` whole or not at all: through a temporary file of this process, then renamed over it
    (readers and other processes writing it side by side never see half a file). Raises OSError."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    tmp.write_text(text)
    tmp.replace(path)
