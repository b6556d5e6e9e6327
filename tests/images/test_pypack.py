"""pypack (harness/images_recipes/pypack.py), which packs the stdlib and each service's dependencies into
zips: code imports from the zip with its sources (tracebacks show the line), extension modules still load
(and still win over their pure-Python twins), package data and namespace packages work, output is
reproducible."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import markupsafe
import pytest

from harness.images_recipes import pypack

SPEEDUPS = next(Path(markupsafe.__file__).parent.glob("_speedups.*.so"))


def _tree(root: Path) -> Path:
    deps = root / "deps"
    (deps / "purepkg" / "data").mkdir(parents=True)
    (deps / "purepkg" / "__init__.py").write_text(
        "def fail():\n    raise ValueError('from the zipped package')\n"
    )
    (deps / "purepkg" / "data" / "greeting.txt").write_text("hello")
    (deps / "nspkg" / "part").mkdir(parents=True)  # a namespace package: no __init__.py
    (deps / "nspkg" / "part" / "__init__.py").write_text("NAME = 'namespace'\n")
    (deps / "twin").mkdir()
    (deps / "twin" / "__init__.py").write_text("")
    (deps / "twin" / "_speedups.py").write_text("PURE = True\n")  # Cython's pure fallback beside the .so
    shutil.copy(SPEEDUPS, deps / "twin" / SPEEDUPS.name)
    (deps / "purepkg-1.0.dist-info").mkdir()
    (deps / "purepkg-1.0.dist-info" / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: purepkg\nVersion: 1.0\n"
    )
    return deps


def _run(deps: Path, archive: Path, code: str) -> str:
    env = {**os.environ, "PYTHONPATH": f"{archive}:{deps}", "PYTHONDONTWRITEBYTECODE": "1"}
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


@pytest.fixture
def packed(tmp_path: Path) -> tuple[Path, Path]:
    deps = _tree(tmp_path)
    archive = tmp_path / "deps.zip"
    pypack.main([str(deps), str(archive), "--native-finder"])
    return deps, archive


def test_only_extension_modules_and_metadata_stay_on_disk(packed: tuple[Path, Path]) -> None:
    deps, _ = packed
    left = sorted(
        p.relative_to(deps).as_posix() for p in deps.rglob("*") if p.is_file() and ".pyc" not in p.name
    )
    assert left == ["purepkg-1.0.dist-info/METADATA", "sitecustomize.py", f"twin/{SPEEDUPS.name}"]


def test_code_imports_from_the_zip_and_tracebacks_show_the_source_line(packed: tuple[Path, Path]) -> None:
    deps, archive = packed
    out = _run(
        deps, archive,
        "import traceback, purepkg\n"
        "try:\n    purepkg.fail()\nexcept ValueError:\n    print(traceback.format_exc())",
    )  # fmt: skip
    assert f'File "{archive}/purepkg/__init__.py", line 2, in fail' in out
    assert "raise ValueError('from the zipped package')" in out


def test_extension_modules_load_and_win_over_their_pure_twins(packed: tuple[Path, Path]) -> None:
    deps, archive = packed
    out = _run(deps, archive, "import twin._speedups as m; print(m.__file__); print(hasattr(m, 'PURE'))")
    assert out.split() == [str(deps / "twin" / SPEEDUPS.name), "False"]


def test_package_data_namespace_packages_and_metadata_work(packed: tuple[Path, Path]) -> None:
    deps, archive = packed
    out = _run(
        deps, archive,
        "import importlib.resources as r, importlib.metadata as m, nspkg.part\n"
        "print(r.files('purepkg').joinpath('data/greeting.txt').read_text(), nspkg.part.NAME,"
        " m.version('purepkg'))",
    )  # fmt: skip
    assert out.split() == ["hello", "namespace", "1.0"]


def test_packing_is_reproducible(tmp_path: Path) -> None:
    archives = []
    for run in ("a", "b"):
        deps = _tree(tmp_path / run)
        archives.append(tmp_path / run / "deps.zip")
        pypack.main([str(deps), str(tmp_path / "deps.zip")])
        shutil.move(tmp_path / "deps.zip", archives[-1])
    assert archives[0].read_bytes() == archives[1].read_bytes()
