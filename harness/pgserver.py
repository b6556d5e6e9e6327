"""A throwaway PostgreSQL server from Debian's packages, for component tests and benchmarks.

    with PostgresServer() as pg:             # initdb + start on a free 127.0.0.1 port, in a temp dir
        pg.url                               # postgresql+asyncpg://tcb:…@127.0.0.1:PORT/postgres
        url = pg.create_database("case1")    # a fresh empty database, its URL
        pg.drop_database("case1")
    # stopped and deleted

start()/stop() do the same without the `with`. The server runs as the `postgres` system user when we are
root (PostgreSQL refuses to run as root), listens only on loopback with password (scram) auth, and trades
durability for speed (fsync off): it is for tests, never for data anyone keeps.
Binaries: $TCB_PG_BIN, else the newest /usr/lib/postgresql/<version>/bin.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import tempfile
from pathlib import Path
from types import TracebackType

from harness.devserver import free_port
from harness.log import get_logger
from harness.proc import CommandError, run
from harness.timeouts import DEFAULT_TIMEOUTS

log = get_logger("pgserver")

SUPERUSER = "tcb"
_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")


class PostgresError(RuntimeError):
    pass


def find_bin_dir() -> Path:
    """The directory holding initdb/pg_ctl/psql: $TCB_PG_BIN or the newest Debian PostgreSQL."""
    if override := os.environ.get("TCB_PG_BIN"):
        return Path(override)
    candidates = sorted(
        (p.parent for p in Path("/usr/lib/postgresql").glob("*/bin/initdb")),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
    )
    if not candidates:
        raise PostgresError("PostgreSQL server binaries not found: run scripts/setup (installs postgresql)")
    return candidates[-1]


class PostgresServer:
    def __init__(self, port: int | None = None, bin_dir: Path | None = None) -> None:
        self.bin_dir = bin_dir or find_bin_dir()
        self.port = port or free_port()
        self.password = secrets.token_urlsafe(16)
        self.host = "127.0.0.1"
        self.dir: Path | None = None

    # -- lifecycle -------------------------------------------------------------------------------------
    def start(self) -> PostgresServer:
        base = Path(tempfile.mkdtemp(prefix="tcb-pg-"))
        self.dir = base
        try:
            self._as_owner_prepare(base)
            pwfile = base / "pwfile"
            pwfile.write_text(self.password + "\n")
            self._chown(pwfile)
            log.info("initdb PostgreSQL %s in %s", self.bin_dir.parent.name, base)
            self._run_server_tool(
                "initdb",
                "-D", base / "data", "-U", SUPERUSER, f"--pwfile={pwfile}", "--auth=scram-sha-256",
                "--encoding=UTF8", "--locale=C", "--no-sync",
            )  # fmt: skip
            pwfile.unlink()
            options = (
                f"-c listen_addresses={self.host} -c port={self.port} -c unix_socket_directories={base} "
                "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
            )
            self._run_server_tool(
                "pg_ctl", "start", "-D", base / "data", "-l", base / "server.log",
                "-w", "-t", "60", "-o", options,
            )  # fmt: skip
        except (CommandError, OSError) as exc:
            tail = self.log_tail()
            self._remove_dir()
            raise PostgresError(f"PostgreSQL did not start: {exc}\nserver log:\n{tail}") from exc
        log.info("PostgreSQL listening on %s:%d", self.host, self.port)
        return self

    def stop(self) -> None:
        if self.dir is None:
            return
        try:
            self._run_server_tool("pg_ctl", "stop", "-D", self.dir / "data", "-m", "fast", "-w", "-t", "30")
        except CommandError as exc:
            log.warning("pg_ctl stop failed (deleting the data anyway): %s", exc)
        self._remove_dir()

    def __enter__(self) -> PostgresServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # -- databases -------------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        """SQLAlchemy async URL of the default `postgres` database."""
        return self.url_for("postgres")

    def url_for(self, database: str, driver: str = "postgresql+asyncpg") -> str:
        return f"{driver}://{SUPERUSER}:{self.password}@{self.host}:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        """Create an empty database (dropping any of that name) and return its asyncpg URL."""
        self.drop_database(name)
        self.sql(f'CREATE DATABASE "{_checked(name)}"')
        return self.url_for(name)

    def drop_database(self, name: str) -> None:
        self.sql(f'DROP DATABASE IF EXISTS "{_checked(name)}" WITH (FORCE)')

    def sql(self, statement: str, database: str = "postgres") -> str:
        """Run one SQL statement with psql and return its unaligned output."""
        result = run(
            [self.bin_dir / "psql", "-h", self.host, "-p", str(self.port), "-U", SUPERUSER, "-d", database,
             "-v", "ON_ERROR_STOP=1", "-At", "-c", statement],
            env={"PGPASSWORD": self.password},
            quiet=True,
            timeout=DEFAULT_TIMEOUTS.command,
        )  # fmt: skip
        return result.stdout.strip()

    def log_tail(self, lines: int = 30) -> str:
        path = self.dir / "server.log" if self.dir else None
        if path is None or not path.exists():
            return "(no server log)"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])

    # -- running as the postgres user when we are root ------------------------------------------------
    def _run_server_tool(self, tool: str, *args: str | os.PathLike[str]) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        run([*prefix, self.bin_dir / tool, *args], timeout=DEFAULT_TIMEOUTS.local_postgres)

    def _as_owner_prepare(self, base: Path) -> None:
        base.chmod(0o700)
        self._chown(base)

    @staticmethod
    def _chown(path: Path) -> None:
        if os.geteuid() == 0:
            shutil.chown(path, "postgres", "postgres")

    def _remove_dir(self) -> None:
        if self.dir is not None:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None


def _checked(name: str) -> str:
    if not _NAME.fullmatch(name):
        raise ValueError(f"database name {name!r}: use lowercase letters, digits and _ (max 63)")
    return name
