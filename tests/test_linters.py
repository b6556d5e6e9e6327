"""The linters are part of the test command: `.venv/bin/pytest` fails, with their output, when `ruff check`,
`ruff format --check` or `mypy` (configured in pyproject.toml) finds anything."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from harness.paths import REPO

BIN = Path(sys.executable).parent
LINTERS = {
    "ruff check": [str(BIN / "ruff"), "check", "--no-cache", "."],
    "ruff format --check": [str(BIN / "ruff"), "format", "--check", "--no-cache", "."],
    "mypy": [str(BIN / "mypy")],  # files and settings from [tool.mypy]
}


def run_linter(argv: list[str], cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, cwd=cwd, capture_output=True, text=True, check=False, timeout=600)


@pytest.mark.parametrize("name", list(LINTERS))
def test_linter_passes(name: str) -> None:
    result = run_linter(LINTERS[name])
    assert result.returncode == 0, f"`{name}` found problems:\n{result.stdout}\n{result.stderr}"


@pytest.fixture
def seeded(tmp_path: Path) -> Path:
    """A module with one defect per linter: an unused import, a badly spaced call, a wrong return type."""
    module = tmp_path / "seeded.py"
    module.write_text('import os\n\n\ndef half(n: int) -> int:\n    return n / 2\n\n\nprint(half( "2" ))\n')
    return module


@pytest.mark.parametrize(
    ("name", "says"),
    [
        ("ruff check", "F401"),
        ("ruff format --check", "would be reformatted"),
        ("mypy", "Incompatible return value type"),
    ],
)
def test_each_linter_fails_on_a_seeded_defect(seeded: Path, name: str, says: str) -> None:
    argv = LINTERS[name][:-1] if name != "mypy" else [*LINTERS[name], "--no-incremental"]
    if name == "mypy":
        argv += ["--config-file", str(REPO / "pyproject.toml"), str(seeded)]
    else:
        argv += ["--config", str(REPO / "pyproject.toml"), str(seeded)]
    result = run_linter(argv, cwd=seeded.parent)
    assert result.returncode != 0, f"`{name}` passed a module with a defect:\n{result.stdout}"
    assert says in result.stdout + result.stderr
