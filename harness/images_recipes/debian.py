"""Root filesystems from Debian packages: unpack .debs, fold /bin and /lib under /usr, prune, and check that
every shipped binary finds its shared libraries. The machinery the recipes (python.py, postgres.py) share."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterable
from pathlib import Path

from harness.proc import run

LIBDIR = "usr/lib/x86_64-linux-gnu"


def depends_closure(roots: Iterable[str], exclude: re.Pattern[str]) -> list[str]:
    proc = run(
        [
            "apt-cache",
            "depends",
            "--recurse",
            "--no-recommends",
            "--no-suggests",
            "--no-conflicts",
            "--no-breaks",
            "--no-replaces",
            "--no-enhances",
            "--no-pre-depends",
            *roots,
        ],
        quiet=True,
    )
    names = {line.strip() for line in proc.stdout.splitlines() if re.match(r"^[a-z0-9]", line)}
    return sorted(n for n in names if not exclude.match(n))


def unpack(debs: list[Path], stage: Path) -> None:
    for deb in debs:
        run(["dpkg-deb", "-x", deb, stage], quiet=True)


def usr_merge(stage: Path, root: Path) -> None:
    """Move the staging tree into root with /bin /sbin /lib /lib64 folded under /usr (bookworm .debs still
    ship /lib paths; unpacking onto usr-merge symlinks would turn them into directories)."""
    root.mkdir(parents=True)
    shutil.move(str(stage / "usr"), root / "usr")
    for top in sorted(stage.iterdir()):
        if top.name in ("bin", "sbin", "lib", "lib64"):
            shutil.copytree(top, root / "usr" / top.name, symlinks=True, dirs_exist_ok=True)
        else:
            shutil.copytree(top, root / top.name, symlinks=True, dirs_exist_ok=True)
    for name in ("bin", "sbin", "lib", "lib64"):
        (root / "usr" / name).mkdir(exist_ok=True)
        (root / name).symlink_to(f"usr/{name}")


def remove(root: Path, *patterns: str) -> None:
    for pattern in patterns:
        for path in root.glob(pattern):
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink(missing_ok=True)


def is_elf(path: Path) -> bool:
    try:
        with path.open("rb") as fh:
            return fh.read(4) == b"\x7fELF"
    except OSError:
        return False


def needed_libs(tree: Path, binary: str) -> tuple[set[str], set[str]]:
    """(resolved library paths, names not found) of a binary inside `tree`, using the tree's own loader."""
    proc = run(["chroot", tree, "/lib64/ld-linux-x86-64.so.2", "--list", binary], check=False, quiet=True)
    found, missing = set(), set()
    for line in proc.stdout.splitlines():
        parts = line.split()
        if "=>" in parts and "not" in parts and "found" in parts:
            missing.add(parts[0])
        elif "=>" in parts and len(parts) >= 3 and parts[2].startswith("/"):
            found.add(parts[2])
    return found, missing


def resolve_in(tree: Path, path: str) -> Path:
    """Follow symlinks of `path` as if `tree` were the root (absolute links must not escape to the host)."""
    parts = [p for p in path.split("/") if p]
    current = tree
    for _ in range(64):
        if not parts:
            return current
        part = parts.pop(0)
        candidate = current / part
        if part == "..":
            current = current.parent if current != tree else tree
        elif part == ".":
            continue
        elif candidate.is_symlink():
            target = os.readlink(candidate)
            parts = [p for p in target.split("/") if p] + parts
            if target.startswith("/"):
                current = tree
        else:
            current = candidate
    raise RuntimeError(f"too many symlinks resolving {path} in {tree}")


def system_files(root: Path, users: str, groups: str) -> None:
    etc = root / "etc"
    etc.mkdir(exist_ok=True)
    (etc / "passwd").write_text(users)
    (etc / "group").write_text(groups)
    (etc / "nsswitch.conf").write_text(
        "passwd: files\ngroup: files\nshadow: files\nhosts: files dns\nnetworks: files\n"
        "protocols: files\nservices: files\n"
    )
    (etc / "hosts").write_text("127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n")
    (etc / "os-release").write_text(
        'NAME="Debian GNU/Linux (todo-chatbot distroless-style)"\nID=debian\nVERSION_ID="12"\n'
    )
    localtime = etc / "localtime"
    localtime.unlink(missing_ok=True)
    localtime.symlink_to("/usr/share/zoneinfo/Etc/UTC")
    (etc / "timezone").write_text("Etc/UTC\n")
    for name in ("tmp", "var/tmp", "root", "run", "proc", "sys", "dev"):
        (root / name).mkdir(parents=True, exist_ok=True)
    os.chmod(root / "tmp", 0o1777)  # noqa: S103 - /tmp is world-writable with the sticky bit, as everywhere
    os.chmod(root / "var/tmp", 0o1777)  # noqa: S103 - same as /tmp
    os.chmod(root / "root", 0o700)


def ca_bundle(root: Path) -> None:
    """ca-certificates builds its bundle in a maintainer script that dpkg-deb -x does not run: do it here."""
    certs = root / "etc/ssl/certs"
    certs.mkdir(parents=True, exist_ok=True)
    mozilla = sorted((root / "usr/share/ca-certificates/mozilla").glob("*.crt"))
    (certs / "ca-certificates.crt").write_bytes(
        b"".join(p.read_bytes().rstrip(b"\n") + b"\n" for p in mozilla)
    )
    shutil.rmtree(root / "usr/share/ca-certificates")
    ssl_dir = root / "usr/lib/ssl"
    ssl_dir.mkdir(parents=True, exist_ok=True)
    for link, target in (("certs", "/etc/ssl/certs"), ("cert.pem", "/etc/ssl/certs/ca-certificates.crt")):
        remove(ssl_dir, link)
        (ssl_dir / link).symlink_to(target)


DOC_JUNK = (
    "usr/share/doc",
    "usr/share/man",
    "usr/share/info",
    "usr/share/lintian",
    "usr/share/locale",
    "usr/share/bug",
    "usr/share/gcc",
    "usr/share/gdb",
    "usr/share/binfmts",
    "usr/share/pixmaps",
    "usr/share/applications",
    "usr/share/debhelper",
    "usr/share/bash-completion",
    "usr/share/zoneinfo/right",
)


def check_closure(root: Path, binaries: Iterable[Path]) -> None:
    broken = {}
    for binary in binaries:
        if binary.is_file() and not binary.is_symlink() and is_elf(binary):
            _, missing = needed_libs(root, "/" + str(binary.relative_to(root)))
            if missing:
                broken[binary.name] = sorted(missing)
    if broken:
        raise RuntimeError(f"shared libraries missing from the image tree: {broken}")


# ICU data items the server can reach. Debian's postgres links ICU for ICU collations (ucol_*), case mapping
# and initcap (u_strTo*: word-break rules), converters for non-UTF8 databases (ucnv_*) and the English display
# names initdb stores as collation comments (uloc_getDisplayName(…, "en")). Everything else in libicudata
