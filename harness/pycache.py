"""Bytecode for the processes the harness starts, kept outside the repo.

With PYTHONDONTWRITEBYTECODE set (as on the project's CI machines) or `python -B`, every Python process
compiles the harness and the steps from source again, and pytest rewrites and compiles the step modules
again: about 1.2 s of CPU for each nested pytest (`tcb verify`, the nested acceptance run, `pytest --help`)
and a little for every `tcb` the scenarios run. The usual reason for that setting is a source tree without
`__pycache__` directories; a prefix outside the repo keeps that and lets Python reuse what it compiled
(invalidated by Python itself on every source change, keyed by the interpreter's version here).

`TCB_NO_BYTECODE_CACHE=1` leaves the setting alone. When bytecode is written anyway (the setting is not
given), nothing changes: Python's own `__pycache__` directories are used as always.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from harness.paths import CACHE

OPT_OUT = "TCB_NO_BYTECODE_CACHE"


def prefix() -> Path:
    return CACHE / "pycache" / f"{sys.implementation.cache_tag}"


def enable() -> bool:
    """Write and reuse bytecode under `prefix()` in this process and every process it starts; True if it
    changed anything."""
    if not sys.dont_write_bytecode or os.environ.get(OPT_OUT):
        return False
    where = str(prefix())
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    os.environ["PYTHONPYCACHEPREFIX"] = where
    sys.pycache_prefix = where
    sys.dont_write_bytecode = False
    return True
