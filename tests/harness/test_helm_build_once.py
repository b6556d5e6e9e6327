"""harness/helm.py `ensure_helm`: the pinned helm is built once, however many threads and processes ask for it
at the same time (the run's early start builds it beside the images while a chart scenario asks for it too;
two builds at once would each take the 2 cores' time for minutes)."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from harness import helm

VERSION = "v0.0.0-build-once-test"


@pytest.mark.parametrize("locked", [True, False], ids=["with the lock", "seeded: without it"])
def test_callers_at_the_same_time_build_it_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, locked: bool
) -> None:
    monkeypatch.setattr(helm, "TOOLS_BIN", tmp_path)
    builds: list[int] = []

    def build(version: str, target: Path) -> Path:
        builds.append(threading.get_ident())
        time.sleep(0.3)  # as long as it takes, the others must wait, not build
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("#!/bin/sh\n")
        os.chmod(target, 0o700)
        return target

    monkeypatch.setattr(helm, "_build_helm", build)
    if not locked:  # the defect this guards against: no lock, each caller builds
        import contextlib

        import harness.baseimages

        monkeypatch.setattr(harness.baseimages, "build_lock", lambda name: contextlib.nullcontext())
    got: list[Path] = []
    callers = [threading.Thread(target=lambda: got.append(helm.ensure_helm(VERSION))) for _ in range(3)]
    for caller in callers:
        caller.start()
    for caller in callers:
        caller.join(10)
    assert got == [helm.helm_path(VERSION)] * 3
    assert len(builds) == (1 if locked else 3)
