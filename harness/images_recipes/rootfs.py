"""The base-image recipes: which Debian packages, and how their unpacked contents become a root filesystem.

Everything that decides an image's content lives in this file; harness.baseimages hashes it (with the exact
.deb versions) into the image tags, so editing a recipe rebuilds the images and editing the machinery around
it (caching, import, CLI) does not.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from harness.log import get_logger
from harness.proc import run, which

log = get_logger("baseimages")

LIBDIR = "usr/lib/x86_64-linux-gnu"

# The Python runtime: python3.11's own dependencies minus libnsl2/libtirpc3 (only the deprecated `nis` module;
# they pull in Kerberos) and libreadline8/libdb5.3 (interactive readline, `_dbm`), plus libstdc++6 + libgcc-s1
# (greenlet's C++ extension, needed by SQLAlchemy asyncio), netbase, media-types, tzdata and the CA bundle.
PYTHON_RUNTIME_PACKAGES = (
    "libc6",
    "libgcc-s1",
    "libstdc++6",
    "python3.11-minimal",
    "libpython3.11-minimal",
    "libpython3.11-stdlib",
    "libssl3",
    "libffi8",
    "zlib1g",
    "libsqlite3-0",
    "libexpat1",
    "libbz2-1.0",
    "liblzma5",
    "libuuid1",
    "libcrypt1",
    "libncursesw6",
    "libtinfo6",
    "media-types",
    "netbase",
    "tzdata",
    "ca-certificates",
)
# The builder adds a shell and coreutils (for RUN lines), pip (Debian's, used with --target) and strip.
PYTHON_BUILD_EXTRA_PACKAGES = (
    "dash",
    "coreutils",
    "findutils",
    "libacl1",
    "libattr1",
    "libselinux1",
    "libpcre2-8-0",
    "libgmp10",
    "python3-pip",
    "python3-setuptools",
    "python3-wheel",
    "python3-pkg-resources",
    "python3-distutils",
    "python3-lib2to3",
    "binutils",
    "binutils-common",
    "binutils-x86-64-linux-gnu",
    "libbinutils",
    "libctf0",
    "libctf-nobfd0",
    "libgprofng0",
    "libjansson4",
    "libzstd1",
)
# Postgres: the recursive dependencies of postgresql-15 minus the Debian tooling around it (cluster wrappers,
# debconf, perl, init systems); what the binaries really load is then taken by their ldd closure.
POSTGRES_ROOTS = ("postgresql-15", "dash", "tzdata")
POSTGRES_EXCLUDE = re.compile(
    r"^(postgresql-common|postgresql-client-common|debconf|cdebconf|perl.*|libperl.*|locales|ssl-cert|"
    r"sensible-utils|lsb-base|sysvinit-utils|init-system-helpers|adduser|passwd|logrotate|ucf|coreutils|"
    r"debconf-2.0|dpkg|base-files|util-linux|mount|openssl|systemd.*|procps|cron.*|libpam-modules.*|"
    r"gcc-12-base|install-info|tar|bash|findutils|grep|sed|gzip|awk|mawk|base-passwd|libdebconfclient0|"
    r"debianutils|lsb-release|python3.*|libjson-perl|libpython.*|libelogind0|libllvm.*|libz3-4|locales-all|"
    r"libc-l10n|libdebian-installer4|libnewt0.52|libslang2|libtextwrap1|libsemanage.*|readline-common)$"
)

PYTHON_ENV = (
    "PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8 PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 "
    "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt"
)

PG_ENTRYPOINT = r"""#!/bin/sh
# First start: initdb into $PGDATA (password from POSTGRES_PASSWORD_FILE or POSTGRES_PASSWORD, superuser
# POSTGRES_USER, database POSTGRES_DB), then exec postgres. Only dash builtins: the image has no coreutils.
set -e
: "${PGDATA:=/var/lib/postgresql/data/pgdata}"
user="${POSTGRES_USER:-postgres}"
db="${POSTGRES_DB:-$user}"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  pw="${POSTGRES_PASSWORD_FILE:-}"
  if [ -z "$pw" ]; then
    pw=/tmp/.pgpw.$$
    printf '%s\n' "${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD or POSTGRES_PASSWORD_FILE}" > "$pw"
  fi
  echo "docker-entrypoint: initialising $PGDATA (superuser $user, database $db)"
  initdb -D "$PGDATA" -U "$user" --pwfile="$pw" -E UTF8 --locale=C \
         --auth-local=scram-sha-256 --auth-host=scram-sha-256 >/dev/null
  [ "$pw" = "${POSTGRES_PASSWORD_FILE:-}" ] || : > "$pw"
  printf "listen_addresses = '*'\nunix_socket_directories = '/tmp'\n" >> "$PGDATA/postgresql.conf"
  printf 'host all all 0.0.0.0/0 scram-sha-256\nhost all all ::/0 scram-sha-256\n' >> "$PGDATA/pg_hba.conf"
  if [ "$db" != postgres ]; then
    echo "CREATE DATABASE \"$db\" OWNER \"$user\";" | postgres --single -D "$PGDATA" -j postgres >/dev/null
  fi
fi
exec postgres -D "$PGDATA" "$@"
"""


@dataclass(frozen=True)
class Recipe:
    name: str
    repository: str
    tag_prefix: str
    resolve_packages: Callable[[], list[str]]
    assemble: Callable[[Path, Path], None]  # (staging tree with every .deb unpacked, output root)
    changes: tuple[str, ...]
    dockerfile_suffix: str = ""  # instructions `docker import -c` rejects (STOPSIGNAL), applied by a build
    labels: dict[str, str] = field(default_factory=dict)


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


# ---------------------------------------------------------------------------------------------- rootfs


def unpack(debs: list[Path], stage: Path) -> None:
    for deb in debs:
        run(["dpkg-deb", "-x", deb, stage], quiet=True)


def _usr_merge(stage: Path, root: Path) -> None:
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


def _remove(root: Path, *patterns: str) -> None:
    for pattern in patterns:
        for path in root.glob(pattern):
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink(missing_ok=True)


def _is_elf(path: Path) -> bool:
    try:
        with path.open("rb") as fh:
            return fh.read(4) == b"\x7fELF"
    except OSError:
        return False


def _needed_libs(tree: Path, binary: str) -> tuple[set[str], set[str]]:
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


def _resolve_in(tree: Path, path: str) -> Path:
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


def _system_files(root: Path, users: str, groups: str) -> None:
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


def _ca_bundle(root: Path) -> None:
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
        _remove(ssl_dir, link)
        (ssl_dir / link).symlink_to(target)


_APP_USERS = (
    "root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n"
    "app:x:1001:1001:app:/home/app:/sbin/nologin\n"
)
_APP_GROUPS = "root:x:0:\nnogroup:x:65534:\napp:x:1001:\n"
_DOC_JUNK = (
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


def _assemble_python(stage: Path, root: Path, *, builder: bool) -> None:
    _usr_merge(stage, root)
    _remove(root, *_DOC_JUNK)
    if not builder:
        _remove(
            root,
            f"{LIBDIR}/gconv",
            f"{LIBDIR}/audit",
            f"{LIBDIR}/libformw.so*",
            f"{LIBDIR}/libmenuw.so*",
            f"{LIBDIR}/libpanelw.so*",
            f"{LIBDIR}/libtic.so*",
            "usr/lib/ssl/misc",
            "etc/ld.so.conf.d",
            "etc/ca-certificates",
            "usr/sbin/*",
            "etc/ca-certificates.conf",
            *(
                f"usr/bin/{b}"
                for b in (
                    "ldd",
                    "iconv",
                    "getconf",
                    "getent",
                    "locale",
                    "localedef",
                    "pldd",
                    "tzselect",
                    "zdump",
                    "catchsegv",
                    "sotruss",
                    "sprof",
                    "pydoc3.11",
                    "python3.11-config",
                )
            ),
        )
        stdlib = "usr/lib/python3.11"
        _remove(
            root,
            *(
                f"{stdlib}/{m}"
                for m in (
                    "idlelib",
                    "tkinter",
                    "turtledemo",
                    "lib2to3",
                    "pydoc_data",
                    "ensurepip",
                    "test",
                    "turtle.py",
                    "config-3.11-x86_64-linux-gnu",
                )
            ),
            *(
                f"{stdlib}/lib-dynload/{m}*.so"
                for m in (
                    "_tkinter",
                    "_test",
                    "xxlimited",
                    "_ctypes_test",
                    "_xxtestfuzz",
                    "_xxsubinterpreters",
                    "_curses",
                    "readline",
                    "nis",
                )
            ),
        )
    _ca_bundle(root)
    python3 = root / "usr/bin/python3"
    python3.unlink(missing_ok=True)
    python3.symlink_to("python3.11")
    _system_files(root, _APP_USERS, _APP_GROUPS)
    (root / "home/app").mkdir(parents=True, exist_ok=True)
    os.chown(root / "home/app", 1001, 1001)
    (root / "app").mkdir(exist_ok=True)
    # stdlib modules whose libraries were left out (e.g. _dbm without libdb) go, so nothing half-works
    for module in sorted((root / "usr/lib/python3.11/lib-dynload").glob("*.so")):
        _, missing = _needed_libs(root, "/" + str(module.relative_to(root)))
        if missing:
            log.info("  dropping %s (needs %s)", module.name, ", ".join(sorted(missing)))
            module.unlink()
    _check_closure(root, [root / "usr/bin/python3.11", *((root / "usr/bin").iterdir() if builder else ())])
    if not builder:
        # a read-only root cannot cache bytecode at run time: precompile the stdlib once here
        run(
            ["chroot", root, "/usr/bin/python3.11", "-m", "compileall", "-q", "/usr/lib/python3.11"],
            check=False,
            quiet=True,
        )


def _check_closure(root: Path, binaries: Iterable[Path]) -> None:
    broken = {}
    for binary in binaries:
        if binary.is_file() and not binary.is_symlink() and _is_elf(binary):
            _, missing = _needed_libs(root, "/" + str(binary.relative_to(root)))
            if missing:
                broken[binary.name] = sorted(missing)
    if broken:
        raise RuntimeError(f"shared libraries missing from the image tree: {broken}")


# ICU data items the server can reach. Debian's postgres links ICU for ICU collations (ucol_*), case mapping
# and initcap (u_strTo*: word-break rules), converters for non-UTF8 databases (ucnv_*) and the English display
# names initdb stores as collation comments (uloc_getDisplayName(…, "en")). Everything else in libicudata
# (currency, unit, time zone and number-spelling names, transliterators, per-locale formatting data: ~21 of
# its 31 MB) is for ICU services postgres never calls.
ICU_DROPPED_TREES = ("curr", "rbnf", "translit", "unit", "zone")
ICU_ENGLISH_ONLY_TREES = ("lang", "region")
_ICU_LOCALE_ITEM = re.compile(r"^[a-z]{2,3}(_[A-Za-z0-9]+)*\.res$")
_ICU_TREE_INFRA = ("root.res", "pool.res", "res_index.res")


def _icu_item_dropped(item: str) -> bool:
    tree, _, name = item.rpartition("/")
    if tree in ICU_DROPPED_TREES:
        return True
    if tree in ICU_ENGLISH_ONLY_TREES:
        return name not in _ICU_TREE_INFRA and not re.match(r"^en(_[A-Za-z0-9]+)*\.res$", name)
    # top level: the per-locale formatting bundles go; infrastructure (root, pool, res_index, likelySubtags,
    # keyTypeData, metadata, supplementalData, …), normalization and converter data stay
    return not tree and name not in _ICU_TREE_INFRA and _ICU_LOCALE_ITEM.match(name) is not None


def _reduce_icu_data(root: Path, work: Path) -> None:
    """Replace libicudata with a library holding only the ICU data items postgres can use (see above)."""
    libs = [p for p in (root / LIBDIR).glob("libicudata.so.*") if not p.is_symlink()]
    if not libs:
        return
    missing = [tool for tool in ("icupkg", "gcc", "nm", "readelf") if which(tool) is None]
    if missing:
        raise RuntimeError(f"reducing ICU data needs {missing} on the host (icu-devtools, gcc, binutils)")
    (lib,) = libs
    work.mkdir(parents=True, exist_ok=True)
    symbols = run(["nm", "-D", "--defined-only", "-S", lib], quiet=True).stdout
    entry = re.search(r"^([0-9a-f]+) ([0-9a-f]+) R (icudt\d+_dat)$", symbols, re.MULTILINE)
    if entry is None:
        raise RuntimeError(f"no icudt*_dat data symbol in {lib.name}")
    address, size, symbol = int(entry[1], 16), int(entry[2], 16), entry[3]
    # the symbol's file offset: through the section that holds its address
    offset = None
    for line in run(["readelf", "-SW", lib], quiet=True).stdout.splitlines():
        cols = line.replace("[ ", "[").split()
        if len(cols) >= 6 and cols[0].startswith("[") and re.fullmatch(r"[0-9a-f]{16}", cols[3]):
            sh_addr, sh_offset, sh_size = int(cols[3], 16), int(cols[4], 16), int(cols[5], 16)
            if sh_addr <= address and address + size <= sh_addr + sh_size:
                offset = address - sh_addr + sh_offset
    if offset is None:
        raise RuntimeError(f"{symbol} is in no section of {lib.name}")
    package = symbol.removesuffix("_dat") + "l"  # icudt72l: the package name ICU expects (l = little-endian)
    full, reduced = work / "full" / f"{package}.dat", work / f"{package}.dat"  # icupkg checks the base name
    full.parent.mkdir()
    with lib.open("rb") as fh:
        fh.seek(offset)
        full.write_bytes(fh.read(size))
    listing = work / "items.txt"
    run(["icupkg", "-l", "-o", listing, full], quiet=True)
    items = listing.read_text().split()
    dropped = [item for item in items if _icu_item_dropped(item)]
    (work / "dropped.txt").write_text("\n".join(dropped) + "\n")
    run(["icupkg", "-r", work / "dropped.txt", full, reduced], quiet=True)
    dynamic = run(["readelf", "-d", lib], quiet=True).stdout
    soname = re.search(r"\(SONAME\)\s+Library soname: \[(.+)\]", dynamic)
    if soname is None:
        raise RuntimeError(f"{lib.name} has no SONAME")
    source = work / "icudata.S"
    source.write_text(
        f".section .rodata\n.globl {symbol}\n.type {symbol}, @object\n.balign 16\n{symbol}:\n"
        f'.incbin "{reduced}"\n.size {symbol}, . - {symbol}\n.section .note.GNU-stack,"",@progbits\n'
    )
    built = work / soname[1]
    link = ["-Wl,--build-id=none", f"-Wl,-soname,{soname[1]}"]
    run(["gcc", "-shared", "-nostdlib", *link, "-o", built, source], quiet=True)
    log.info(
        "  ICU data: kept %d of %d items, %.1f MB -> %.1f MB",
        len(items) - len(dropped),
        len(items),
        lib.stat().st_size / 1e6,
        built.stat().st_size / 1e6,
    )
    shutil.copyfile(built, lib)


def _assemble_postgres(stage: Path, root: Path) -> None:
    """Postgres 15 binaries, share files and zoneinfo, dash as /bin/sh, and the exact ldd closure."""
    merged = stage.parent / (stage.name + ".merged")
    _usr_merge(stage, merged)
    for name in ("usr/bin", "usr/sbin", "usr/lib64", "usr/share", "usr/local/bin", LIBDIR):
        (root / name).mkdir(parents=True, exist_ok=True)
    for name in ("bin", "sbin", "lib", "lib64"):
        (root / name).symlink_to(f"usr/{name}")
    shutil.copytree(merged / "usr/lib/postgresql", root / "usr/lib/postgresql", symlinks=True)
    # LLVM JIT would pull ~110 MB of libLLVM; postgres runs with jit unavailable without it
    _remove(root, "usr/lib/postgresql/15/lib/llvmjit*", "usr/lib/postgresql/15/lib/bitcode")
    shutil.copytree(merged / "usr/share/postgresql", root / "usr/share/postgresql", symlinks=True)
    _remove(root, "usr/share/postgresql/15/man")
    # built --with-system-tzdata: the server reads /usr/share/zoneinfo
    shutil.copytree(merged / "usr/share/zoneinfo", root / "usr/share/zoneinfo", symlinks=True)
    _remove(root, "usr/share/zoneinfo/right")
    shutil.copy2(merged / "usr/bin/dash", root / "usr/bin/dash")
    (root / "usr/bin/sh").symlink_to("dash")
    shutil.copy2(
        _resolve_in(merged, "/usr/lib64/ld-linux-x86-64.so.2"), root / "usr/lib64/ld-linux-x86-64.so.2"
    )
    wanted: set[str] = set()
    for path in sorted((root / "usr").rglob("*")):
        if path.is_file() and not path.is_symlink() and _is_elf(path):
            found, missing = _needed_libs(merged, "/" + str(path.relative_to(root)))
            if missing and "lib/postgresql" in str(path) and "/bin/" in str(path):
                raise RuntimeError(f"{path.name} needs libraries no package provided: {sorted(missing)}")
            wanted |= found
    for lib in sorted(wanted):
        real = _resolve_in(merged, lib)
        shutil.copy2(real, root / LIBDIR / real.name)
        alias = root / LIBDIR / Path(lib).name
        if alias.name != real.name and not alias.exists():
            alias.symlink_to(real.name)
    shutil.rmtree(merged)
    _reduce_icu_data(root, stage.parent / "icu")
    _system_files(
        root,
        "root:x:0:0:root:/root:/sbin/nologin\npostgres:x:1001:1001:postgres:/var/lib/postgresql:/sbin/nologin\n",
        "root:x:0:\npostgres:x:1001:\n",
    )
    for name in ("var/lib/postgresql/data", "var/run/postgresql"):
        (root / name).mkdir(parents=True, exist_ok=True)
    for path in (root / "var/lib/postgresql", root / "var/lib/postgresql/data", root / "var/run/postgresql"):
        os.chown(path, 1001, 1001)
    os.chmod(root / "var/lib/postgresql/data", 0o700)
    entrypoint = root / "usr/local/bin/docker-entrypoint"
    entrypoint.write_text(PG_ENTRYPOINT)
    os.chmod(entrypoint, 0o755)  # noqa: S103 - an executable, read-only to everyone but root
    _check_closure(root, [p for p in (root / "usr/lib/postgresql/15/bin").iterdir()])


# ---------------------------------------------------------------------------------------------- recipes

RECIPES: dict[str, Recipe] = {
    "python-base": Recipe(
        name="python-base",
        repository="todo-chatbot/python-base",
        tag_prefix="",
        resolve_packages=lambda: list(PYTHON_RUNTIME_PACKAGES),
        assemble=lambda stage, root: _assemble_python(stage, root, builder=False),
        changes=(f"ENV {PYTHON_ENV}", "USER 1001:1001", "WORKDIR /app", 'CMD ["/usr/bin/python3"]'),
        labels={
            "org.opencontainers.image.title": "todo-chatbot python-base",
            "org.opencontainers.image.description": "Python 3.11 runtime from Debian .debs; no shell",
        },
    ),
    "python-build": Recipe(
        name="python-build",
        repository="todo-chatbot/python-build",
        tag_prefix="",
        resolve_packages=lambda: [*PYTHON_RUNTIME_PACKAGES, *PYTHON_BUILD_EXTRA_PACKAGES],
        assemble=lambda stage, root: _assemble_python(stage, root, builder=True),
        changes=(f"ENV {PYTHON_ENV}", "WORKDIR /"),
        labels={
            "org.opencontainers.image.title": "todo-chatbot python-build",
            "org.opencontainers.image.description": "Python 3.11 + pip + strip builder stage (Debian)",
        },
    ),
    "postgres": Recipe(
        name="postgres",
        repository="todo-chatbot/postgres",
        tag_prefix="15-",
        resolve_packages=lambda: depends_closure(POSTGRES_ROOTS, POSTGRES_EXCLUDE),
        assemble=_assemble_postgres,
        changes=(
            "ENV PATH=/usr/lib/postgresql/15/bin:/usr/bin:/bin LANG=C.UTF-8"
            " PGDATA=/var/lib/postgresql/data/pgdata",
            "USER 1001:1001",
            "WORKDIR /var/lib/postgresql",
            "VOLUME /var/lib/postgresql/data",
            "EXPOSE 5432",
            'ENTRYPOINT ["/usr/local/bin/docker-entrypoint"]',
        ),
        dockerfile_suffix="STOPSIGNAL SIGINT\n",
        labels={
            "org.opencontainers.image.title": "todo-chatbot postgres",
            "org.opencontainers.image.description": "PostgreSQL 15 from Debian bookworm, uid 1001",
        },
    ),
}
