"""harness/report/a11y.py `axe_script`: axe-core is installed from npm once, however many report checks ask
for it at the same time (both reports are checked side by side: on a bare machine both ran `npm install` into
the same prefix at once)."""

from __future__ import annotations

import contextlib
import threading
import time
from pathlib import Path

import pytest

from harness.report import a11y


@pytest.mark.parametrize("locked", [True, False], ids=["with the lock", "seeded: without it"])
def test_report_checks_at_the_same_time_install_it_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, locked: bool
) -> None:
    monkeypatch.setattr(a11y, "AXE_DIR", tmp_path / "axe-core-test")
    monkeypatch.setattr(a11y, "AXE_VERSION", f"0.0.0-install-once-{locked}")
    installs: list[int] = []

    def install(script: Path) -> Path:
        installs.append(threading.get_ident())
        time.sleep(0.3)  # as long as npm takes, the others must wait, not install
        script.parent.mkdir(parents=True, exist_ok=True)
        script.write_text("/* axe */")
        return script

    monkeypatch.setattr(a11y, "_install", install)
    if not locked:  # the defect this guards against: no lock, each check installs
        import harness.baseimages

        monkeypatch.setattr(harness.baseimages, "build_lock", lambda name: contextlib.nullcontext())
    got: list[Path] = []
    checks = [threading.Thread(target=lambda: got.append(a11y.axe_script())) for _ in range(2)]
    for check in checks:
        check.start()
    for check in checks:
        check.join(10)
    assert len(got) == 2 and len(set(got)) == 1 and got[0].is_file()
    assert len(installs) == (1 if locked else 2)
