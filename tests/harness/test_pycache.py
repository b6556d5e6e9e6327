"""harness.pycache: with bytecode writing switched off (PYTHONDONTWRITEBYTECODE), the processes the harness
starts still reuse their compiled modules, from a cache outside the repo."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from harness import pycache


@pytest.fixture
def restore_flags(monkeypatch: pytest.MonkeyPatch) -> None:
    """enable() changes the process's own flags and environment: undo both after each test."""
    monkeypatch.setattr(sys, "dont_write_bytecode", sys.dont_write_bytecode)
    monkeypatch.setattr(sys, "pycache_prefix", sys.pycache_prefix)
    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")
    monkeypatch.delenv("PYTHONPYCACHEPREFIX", raising=False)
    monkeypatch.delenv(pycache.OPT_OUT, raising=False)


def _child_writes_bytecode(tmp_path: Path) -> list[Path]:
    """A module imported by a child process started after enable(), as the harness starts `tcb` or pytest:
    the .pyc files it left anywhere under the cache (the module's source directory must stay clean)."""
    source = tmp_path / "src"
    source.mkdir()
    (source / "probe_module.py").write_text("VALUE = 42\n")
    subprocess.run(
        [sys.executable, "-c", "import probe_module; assert probe_module.VALUE == 42"],
        cwd=source,
        env={**os.environ, "PYTHONPATH": str(source)},
        check=True,
    )
    assert not (source / "__pycache__").exists(), "bytecode was written into the source tree"
    return list(pycache.prefix().rglob("probe_module*.pyc"))


def test_a_child_process_writes_its_bytecode_under_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, restore_flags: None
) -> None:
    monkeypatch.setattr(pycache, "CACHE", tmp_path / "cache")
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    assert pycache.enable()
    assert _child_writes_bytecode(tmp_path), f"no bytecode under {pycache.prefix()}"


def test_seeded_off_no_bytecode_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, restore_flags: None
) -> None:
    """Shown able to fail: without enable() (or with the opt-out) the child compiles and keeps nothing."""
    monkeypatch.setattr(pycache, "CACHE", tmp_path / "cache")
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    monkeypatch.setenv(pycache.OPT_OUT, "1")
    assert not pycache.enable()
    assert not _child_writes_bytecode(tmp_path)


def test_nothing_changes_when_bytecode_is_written_anyway(
    monkeypatch: pytest.MonkeyPatch, restore_flags: None
) -> None:
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    monkeypatch.delenv("PYTHONDONTWRITEBYTECODE")
    assert not pycache.enable()
    assert "PYTHONPYCACHEPREFIX" not in os.environ
