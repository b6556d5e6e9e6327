"""`tcb` starts without the modules only some commands need (the Docker SDK, the image builder, the local dev
stack): `tcb --help` and every command that does not build or run the app locally skip their import."""

from __future__ import annotations

import subprocess
import sys

import pytest

HEAVY = ("docker", "harness.images", "harness.baseimages", "harness.devserver", "harness.docker_engine")


def _loaded_after(code: str) -> set[str]:
    probe = f"{code}\nimport sys\nprint(' '.join(m for m in {HEAVY!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    return set(out.split())


def test_the_cli_loads_none_of_the_heavy_modules() -> None:
    assert not _loaded_after("import harness.cli")


def test_the_probe_sees_a_heavy_import() -> None:
    """Shown able to fail: the same probe after a module-level import of the image builder (what the CLI's
    images area did before) names it."""
    assert {"docker", "harness.images"} <= _loaded_after("import harness.cli\nimport harness.images")


@pytest.mark.parametrize("command", [["build", "--help"], ["compose", "up", "--help"], ["dev", "--help"]])
def test_the_commands_that_use_them_still_answer(command: list[str]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "harness.cli", *command], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "Usage" in result.stdout
