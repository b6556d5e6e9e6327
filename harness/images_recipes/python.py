"""The Python recipes: python-base (the runtime, distroless-style) and python-build (the builder stage)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from harness.images_recipes.debian import (
    DOC_JUNK,
    LIBDIR,
    ca_bundle,
    check_closure,
    needed_libs,
    remove,
    system_files,
    usr_merge,
)
from harness.log import get_logger
from harness.proc import run

log = get_logger("baseimages")

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

PYTHON_ENV = (
    "PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8 PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 "
    "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt"
)


# stdlib packages and modules for protocols and tools no service uses (mail, news, FTP, telnet, XML-RPC,
# terminal UIs, dbm files, venv creation); each was checked absent from the services' and their
# dependencies' imports (tests/images/test_images_runtime.py runs the images' real tests)
UNUSED_STDLIB = (
    "xmlrpc",
    "mailbox.py",
    "imaplib.py",
    "nntplib.py",
    "poplib.py",
    "smtplib.py",
    "ftplib.py",
    "telnetlib.py",
    "tabnanny.py",
    "curses",
    "dbm",
    "venv",
)
UNLINKED_GLIBC_LIBS = (
    "libmvec.so*",
    "libBrokenLocale.so*",
    "libc_malloc_debug.so*",
    "libmemusage.so",
    "libpcprofile.so",
    "libthread_db.so*",
    "libnss_hesiod.so*",
)

_APP_USERS = (
    "root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n"
    "app:x:1001:1001:app:/home/app:/sbin/nologin\n"
)
_APP_GROUPS = "root:x:0:\nnogroup:x:65534:\napp:x:1001:\n"


def assemble_python(stage: Path, root: Path, *, builder: bool) -> None:
    usr_merge(stage, root)
    remove(root, *DOC_JUNK)
    if not builder:
        remove(
            root,
            f"{LIBDIR}/gconv",
            f"{LIBDIR}/audit",
            f"{LIBDIR}/libformw.so*",
            f"{LIBDIR}/libmenuw.so*",
            f"{LIBDIR}/libpanelw.so*",
            f"{LIBDIR}/libtic.so*",
            # only for _curses and readline (left out below); libexpatw is the wide-char build pyexpat
            # does not link; the rest are glibc's debugging and profiling helpers and vector math nobody links
            f"{LIBDIR}/libncursesw.so*",
            f"{LIBDIR}/libtinfo.so*",
            f"{LIBDIR}/libexpatw.so*",
            *(f"{LIBDIR}/{lib}" for lib in UNLINKED_GLIBC_LIBS),
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
        remove(
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
                    *UNUSED_STDLIB,
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
    ca_bundle(root)
    python3 = root / "usr/bin/python3"
    python3.unlink(missing_ok=True)
    python3.symlink_to("python3.11")
    system_files(root, _APP_USERS, _APP_GROUPS)
    (root / "home/app").mkdir(parents=True, exist_ok=True)
    os.chown(root / "home/app", 1001, 1001)
    (root / "app").mkdir(exist_ok=True)
    # stdlib modules whose libraries were left out (e.g. _dbm without libdb) go, so nothing half-works
    for module in sorted((root / "usr/lib/python3.11/lib-dynload").glob("*.so")):
        _, missing = needed_libs(root, "/" + str(module.relative_to(root)))
        if missing:
            log.info("  dropping %s (needs %s)", module.name, ", ".join(sorted(missing)))
            module.unlink()
    check_closure(root, [root / "usr/bin/python3.11", *((root / "usr/bin").iterdir() if builder else ())])
    if not builder:
        _zip_stdlib(root)


def _zip_stdlib(root: Path) -> None:
    """The stdlib's Python code (sources and precompiled bytecode) into /usr/lib/python311.zip, which is on
    Python's default sys.path before /usr/lib/python3.11: 21 MB of files become a 7 MB zip and tracebacks
    still show source lines. Run with the image's own interpreter (chroot), so the bytecode is its own."""
    stdlib = root / "usr/lib/python3.11"
    shutil.copyfile(Path(__file__).with_name("pypack.py"), root / "root/pypack.py")
    run(
        ["chroot", root, "/usr/bin/python3.11", "-I", "/root/pypack.py", "/usr/lib/python3.11",
         "/usr/lib/python311.zip", "--keep", "lib-dynload", "site-packages", "dist-packages"],
        quiet=True,
    )  # fmt: skip
    (root / "root/pypack.py").unlink()
    # getpath's landmark: without lib/python3.11/os.py (or os.pyc) Python warns it cannot find its prefix
    (stdlib / "os.py").write_text(
        "# landmark for Python's getpath: the standard library is in python311.zip\n"
    )
    imported = run(
        [
            "chroot",
            root,
            "/usr/bin/python3.11",
            "-c",
            "import asyncio, ssl, sqlite3, json; print(json.__file__)",
        ],
        quiet=True,
    ).stdout.strip()
    if not imported.startswith("/usr/lib/python311.zip/"):
        raise RuntimeError(f"the stdlib is not imported from python311.zip (json from {imported})")
