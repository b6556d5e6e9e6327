"""The postgres recipe: PostgreSQL 15's server binaries with their exact library closure, reduced ICU data and
a dash entrypoint that runs initdb on first start."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from harness.images_recipes.debian import (
    LIBDIR,
    check_closure,
    is_elf,
    needed_libs,
    remove,
    resolve_in,
    system_files,
    usr_merge,
)
from harness.log import get_logger
from harness.proc import run, which

log = get_logger("baseimages")

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


# ICU data items the server can reach. Debian's postgres links ICU for ICU collations (ucol_*), case mapping
# and initcap (u_strTo*: word-break rules), converters for non-UTF8 databases (ucnv_*) and the English display
# names initdb stores as collation comments (uloc_getDisplayName(…, "en")). Everything else in libicudata
# (currency, unit, time zone and number-spelling names, transliterators, per-locale formatting data: ~21 of
# its 31 MB) is for ICU services postgres never calls. Of the converters only those of the server encodings
# are reachable (PostgreSQL's pg_enc2icu names, src/common/encnames.c); client-only encodings (SJIS, GBK,
# BIG5, UHC, GB18030, JOHAB) are converted by PostgreSQL itself, and EBCDIC/ISO-2022 ones never occur.
ICU_SERVER_ENCODINGS = (
    "EUC-JP", "EUC-CN", "EUC-KR", "EUC-TW", "ISO-8859-2", "ISO-8859-3", "ISO-8859-4", "ISO-8859-5",
    "ISO-8859-6", "ISO-8859-7", "ISO-8859-8", "ISO-8859-9", "ISO-8859-10", "ISO-8859-13", "ISO-8859-14",
    "ISO-8859-15", "ISO-8859-16", "IBM866", "windows-874", "KOI8-R", "KOI8-U", "windows-1250", "windows-1251",
    "windows-1252", "windows-1253", "windows-1254", "windows-1255", "windows-1256", "windows-1257",
    "windows-1258",
)  # fmt: skip
# The server programs and the client programs the chart, compose and people use (probes, preStop, backups,
# psql); the rest of postgresql-15's clients (pgbench, pg_upgrade, pg_basebackup, pg_rewind, …) are left out.
POSTGRES_PROGRAMS = (
    "postgres", "postmaster", "initdb", "pg_ctl", "pg_isready", "psql", "pg_dump", "pg_dumpall", "pg_restore",
    "pg_controldata", "pg_resetwal", "pg_config",
)  # fmt: skip
# Server modules initdb and the server load by themselves: PL/pgSQL, the snowball text-search dictionaries,
# the encoding conversions, streaming and logical replication. The contrib extensions (hstore, pgcrypto,
# postgres_fdw, …: CREATE EXTENSION) are not used by the app and are left out with their SQL scripts.
POSTGRES_SERVER_MODULES = re.compile(r"^(plpgsql|dict_snowball|.*_and_.*|libpqwalreceiver|pgoutput)\.so$")
ICU_DROPPED_TREES = ("curr", "rbnf", "translit", "unit", "zone")
ICU_ENGLISH_ONLY_TREES = ("lang", "region")
_ICU_LOCALE_ITEM = re.compile(r"^[a-z]{2,3}(_[A-Za-z0-9]+)*\.res$")
_ICU_TREE_INFRA = ("root.res", "pool.res", "res_index.res")


def _icu_item_dropped(item: str, converters: frozenset[str] = frozenset()) -> bool:
    tree, _, name = item.rpartition("/")
    if name.endswith(".cnv"):
        return name.removesuffix(".cnv") not in converters
    if tree in ICU_DROPPED_TREES:
        return True
    if tree in ICU_ENGLISH_ONLY_TREES:
        return name not in _ICU_TREE_INFRA and not re.match(r"^en(_[A-Za-z0-9]+)*\.res$", name)
    # top level: the per-locale formatting bundles go; infrastructure (root, pool, res_index, likelySubtags,
    # keyTypeData, metadata, supplementalData, …), normalization and converter data stay
    return not tree and name not in _ICU_TREE_INFRA and _ICU_LOCALE_ITEM.match(name) is not None


def _server_encoding_converters() -> frozenset[str]:
    """ICU converters any server encoding's name can open (`uconv -l`: each converter with its aliases;
    an alias may be listed under several, all of them are kept)."""
    listing = run(["uconv", "-l"], quiet=True).stdout
    wanted = {name.lower() for name in ICU_SERVER_ENCODINGS}
    converters = frozenset(
        line.split()[0]
        for line in listing.splitlines()
        if line.split() and wanted & {alias.lower() for alias in line.split()}
    )
    if len(converters) < len(ICU_SERVER_ENCODINGS) // 2:
        raise RuntimeError(f"uconv -l named only {sorted(converters)} for the server encodings")
    return converters


def _reduce_icu_data(root: Path, work: Path) -> None:
    """Replace libicudata with a library holding only the ICU data items postgres can use (see above)."""
    libs = [p for p in (root / LIBDIR).glob("libicudata.so.*") if not p.is_symlink()]
    if not libs:
        return
    missing = [tool for tool in ("icupkg", "uconv", "gcc", "nm", "readelf") if which(tool) is None]
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
    converters = _server_encoding_converters()
    dropped = [item for item in items if _icu_item_dropped(item, converters)]
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


def assemble_postgres(stage: Path, root: Path) -> None:
    """Postgres 15 binaries, share files and zoneinfo, dash as /bin/sh, and the exact ldd closure."""
    merged = stage.parent / (stage.name + ".merged")
    usr_merge(stage, merged)
    for name in ("usr/bin", "usr/sbin", "usr/lib64", "usr/share", "usr/local/bin", LIBDIR):
        (root / name).mkdir(parents=True, exist_ok=True)
    for name in ("bin", "sbin", "lib", "lib64"):
        (root / name).symlink_to(f"usr/{name}")
    shutil.copytree(merged / "usr/lib/postgresql", root / "usr/lib/postgresql", symlinks=True)
    # LLVM JIT would pull ~110 MB of libLLVM; postgres runs with jit unavailable without it
    remove(root, "usr/lib/postgresql/15/lib/llvmjit*", "usr/lib/postgresql/15/lib/bitcode")
    pg = root / "usr/lib/postgresql/15"
    for module in (pg / "lib").glob("*.so"):
        if not POSTGRES_SERVER_MODULES.match(module.name):
            module.unlink()
    remove(root, "usr/lib/postgresql/15/lib/pgxs")
    for program in (pg / "bin").iterdir():
        if program.name not in POSTGRES_PROGRAMS:
            program.unlink()
    shutil.copytree(merged / "usr/share/postgresql", root / "usr/share/postgresql", symlinks=True)
    remove(root, "usr/share/postgresql/15/man")
    for script in (root / "usr/share/postgresql/15/extension").iterdir():
        if not script.name.startswith("plpgsql"):
            script.unlink()
    # built --with-system-tzdata: the server reads /usr/share/zoneinfo
    shutil.copytree(merged / "usr/share/zoneinfo", root / "usr/share/zoneinfo", symlinks=True)
    remove(root, "usr/share/zoneinfo/right")
    shutil.copy2(merged / "usr/bin/dash", root / "usr/bin/dash")
    (root / "usr/bin/sh").symlink_to("dash")
    shutil.copy2(
        resolve_in(merged, "/usr/lib64/ld-linux-x86-64.so.2"), root / "usr/lib64/ld-linux-x86-64.so.2"
    )
    wanted: set[str] = set()
    for path in sorted((root / "usr").rglob("*")):
        if path.is_file() and not path.is_symlink() and is_elf(path):
            found, missing = needed_libs(merged, "/" + str(path.relative_to(root)))
            if missing and "lib/postgresql" in str(path) and "/bin/" in str(path):
                raise RuntimeError(f"{path.name} needs libraries no package provided: {sorted(missing)}")
            wanted |= found
    for lib in sorted(wanted):
        real = resolve_in(merged, lib)
        shutil.copy2(real, root / LIBDIR / real.name)
        alias = root / LIBDIR / Path(lib).name
        if alias.name != real.name and not alias.exists():
            alias.symlink_to(real.name)
    shutil.rmtree(merged)
    _reduce_icu_data(root, stage.parent / "icu")
    system_files(
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
    check_closure(root, [p for p in (root / "usr/lib/postgresql/15/bin").iterdir()])
