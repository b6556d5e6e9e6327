"""Pack a directory of Python modules into a zip that Python imports directly (zipimport), with its sources.

Standalone (standard library only): it runs inside the images being built, on the interpreter that will run
the code (python-base's stdlib in the recipe's chroot; a service's dependencies in its Dockerfile's build
stage), so the bytecode matches that interpreter.

    python3 pypack.py DIRECTORY ZIP [--keep NAME ...] [--native-finder]

Every `.py` file of DIRECTORY moves into ZIP (deflated) together with its bytecode beside it as
unchecked-hash `.pyc`, compiled under the path it is imported from, so tracebacks name
`/app/deps.zip/pkg/mod.py` and show the source line (linecache reads it from the zip). Data files inside
packages move along (importlib.resources and pkgutil.get_data read zips). What stays on disk:

- extension modules (`.so`: a zip cannot hold them) and vendored libraries (`*.libs/`), at the same relative
  path, so their RPATHs still resolve; with --native-finder, DIRECTORY gets a `sitecustomize.py` that finds
  an extension module of a zipped package there (a package's `__path__` names only the zip);
- `.dist-info` directories (small; importlib.metadata reads them either way);
- the top-level names given with --keep (compiled to unchecked-hash bytecode in `__pycache__`, sources kept).

The zip is reproducible (sorted entries, fixed timestamps): unchanged input gives identical bytes, so the
image layer cache and content-hash tags keep working.
"""

from __future__ import annotations

import argparse
import compileall
import importlib.machinery
import importlib.util
import marshal
import py_compile
import shutil
import sys
import zipfile
from collections.abc import Iterable
from pathlib import Path

FIXED_TIME = (2020, 1, 1, 0, 0, 0)

NATIVE_FINDER = """\
# Written by pypack: an extension module of a package imported from {archive} lives on disk under {native}
# (a zip cannot hold .so files); this finder, consulted after the normal ones fail, loads it from there.
import importlib.machinery as _machinery
import os as _os
import sys as _sys


class _ZippedPackageNativeFinder:
    @staticmethod
    def find_spec(fullname, path=None, target=None):
        name = fullname.rpartition(".")[2]
        for entry in path or ():
            if entry.startswith({archive!r} + "/"):
                directory = {native!r} + entry[len({archive!r}):]
                for suffix in _machinery.EXTENSION_SUFFIXES:
                    location = _os.path.join(directory, name + suffix)
                    if _os.path.isfile(location):
                        loader = _machinery.ExtensionFileLoader(fullname, location)
                        spec = _machinery.ModuleSpec(fullname, loader, origin=location)
                        spec.has_location = True  # sets __file__, as for any extension module on disk
                        return spec
        return None


_sys.meta_path.append(_ZippedPackageNativeFinder)
"""


def unchecked_pyc(source: bytes, filename: str) -> bytes:
    """Bytecode as `py_compile --invalidation-mode unchecked-hash` writes it, compiled as `filename`."""
    code = compile(source, filename, "exec", dont_inherit=True)
    flags = (0b01).to_bytes(4, "little")  # hash-based, not checked against the source
    return importlib.util.MAGIC_NUMBER + flags + importlib.util.source_hash(source) + marshal.dumps(code)


def stays_on_disk(rel: Path) -> bool:
    """Whether a file (path relative to the directory) stays out of the zip."""
    name = rel.name
    return (
        name.endswith(".so")
        or ".so." in name
        or any(part.endswith((".libs", ".dist-info")) for part in rel.parts)
        or "__pycache__" in rel.parts
    )


def compiled_twin(path: Path) -> bool:
    """A `.py` whose module also exists compiled (Cython's pure fallback, e.g. sqlalchemy's `_row_cy.py`):
    on disk the extension wins; in the zip the `.py` would shadow it, so the `.py` is left out entirely."""
    return path.suffix == ".py" and any(
        (path.parent / (path.stem + suffix)).exists() for suffix in importlib.machinery.EXTENSION_SUFFIXES
    )


def pack(directory: Path, archive: Path, keep: Iterable[str] = (), *, native_finder: bool = False) -> int:
    """Move the Python code and package data of directory into archive; returns the number of files moved."""
    keep = set(keep)
    moved = []
    directories: set[str] = set()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for path in sorted(p for p in directory.rglob("*") if p.is_file()):
            rel = path.relative_to(directory)
            if rel.parts[0] in keep or stays_on_disk(rel):
                continue
            if compiled_twin(path):
                moved.append(path)
                continue
            # directory entries too: zipimport finds namespace packages (no __init__.py) only through them
            for depth in range(1, len(rel.parts)):
                parent = "/".join(rel.parts[:depth]) + "/"
                if parent not in directories:
                    directories.add(parent)
                    _write(zf, parent, b"")
            data = path.read_bytes()
            _write(zf, rel.as_posix(), data)
            if rel.suffix == ".py":
                _write(zf, rel.as_posix() + "c", unchecked_pyc(data, f"{archive}/{rel.as_posix()}"))
            moved.append(path)
    for path in moved:
        path.unlink()
    for path in sorted((p for p in directory.rglob("*") if p.is_dir()), reverse=True):
        if path.name == "__pycache__" and path.parent.relative_to(directory).parts[:1] not in [
            (k,) for k in keep
        ]:
            shutil.rmtree(path)
        elif not any(path.iterdir()):
            path.rmdir()
    if native_finder:
        (directory / "sitecustomize.py").write_text(
            NATIVE_FINDER.format(archive=str(archive), native=str(directory))
        )
    compileall.compile_dir(
        directory, quiet=1, invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH
    )
    return len(moved)


def _write(zf: zipfile.ZipFile, name: str, data: bytes) -> None:
    info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
    is_dir = name.endswith("/")
    info.compress_type = zipfile.ZIP_STORED if is_dir else zipfile.ZIP_DEFLATED
    info.external_attr = (0o40755 if is_dir else 0o100644) << 16
    zf.writestr(info, data)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", type=Path)
    parser.add_argument("archive", type=Path)
    parser.add_argument("--keep", nargs="*", default=[], help="top-level names that stay on disk")
    parser.add_argument("--native-finder", action="store_true", help="write sitecustomize.py (see above)")
    args = parser.parse_args(argv)
    moved = pack(args.directory, args.archive, set(args.keep), native_finder=args.native_finder)
    print(f"pypack: {moved} files into {args.archive} ({args.archive.stat().st_size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
