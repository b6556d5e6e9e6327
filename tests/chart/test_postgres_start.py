"""The in-chart PostgreSQL's start script and setup SQL, as rendered, run against Debian's PostgreSQL 15 (the
image's server) with the image's own entrypoint: roles, schemas and pg_hba give least privilege, and a second
start (a restarted pod) keeps the data and applies a changed connection limit."""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from chart_manifests import IMAGE_TAGS, SECRETS, Render, named

from harness.devserver import free_port
from harness.pgserver import find_bin_dir
from harness.proc import Daemon, DaemonError
from harness.timeouts import DEFAULT_TIMEOUTS

pytestmark = pytest.mark.postgres


def _image_entrypoint() -> str:
    """The Postgres image's entrypoint script, wherever its recipe lives (the recipes were split up)."""
    for module in ("harness.images_recipes.postgres", "harness.images_recipes.rootfs"):
        try:
            return str(importlib.import_module(module).PG_ENTRYPOINT)
        except (ImportError, AttributeError):
            continue
    raise AssertionError("PG_ENTRYPOINT not found in harness.images_recipes")


@dataclass
class Server:
    port: int
    env: dict[str, str]
    daemon: Daemon  # start.sh, run by harness.proc.Daemon as every server the project starts
    log: Path


@dataclass
class Rendered:
    files: dict[str, str]  # the setup ConfigMap's data
    args: list[str]
    env: dict[str, str]  # the container's literal env plus the Secret's passwords


def _rendered(render: Render) -> Rendered:
    import base64

    objects = render([], {**IMAGE_TAGS, **SECRETS})
    setup = named(objects, "ConfigMap", "-postgres-setup")["data"]
    container = named(objects, "StatefulSet", "-postgres")["spec"]["template"]["spec"]["containers"][0]
    secret = next(o for o in objects if o["kind"] == "Secret")["data"]
    env = {}
    for entry in container["env"]:
        if "value" in entry:
            env[entry["name"]] = entry["value"]
        else:
            env[entry["name"]] = base64.b64decode(secret[entry["valueFrom"]["secretKeyRef"]["key"]]).decode()
    return Rendered(setup, container["args"], env)


def _as_postgres_user() -> list[str]:
    return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


@pytest.fixture
def workdir() -> Iterator[Path]:
    # not pytest's tmp_path: its parents are private to root, and the server runs as the postgres user
    base = Path(tempfile.mkdtemp(prefix="tcb-pgstart-"))
    base.chmod(0o755)
    for name in ("bin", "etc", "sock"):
        (base / name).mkdir()
    yield base
    shutil.rmtree(base, ignore_errors=True)


def _start(rendered: Rendered, work: Path, port: int, **env_overrides: str) -> Server:
    entrypoint = work / "bin" / "docker-entrypoint"
    entrypoint.write_text(_image_entrypoint())
    entrypoint.chmod(0o755)
    for name, text in rendered.files.items():
        (work / "etc" / name).write_text(text)
    args = [a.replace("/etc/todo-chatbot/postgres", str(work / "etc")) for a in rendered.args]
    # this machine's copy listens on its own port and socket directory, on loopback only
    args += ["-c", f"port={port}", "-c", f"unix_socket_directories={work / 'sock'}"]
    args += ["-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"]
    env = {
        **rendered.env,
        "PATH": f"{work / 'bin'}:{find_bin_dir()}:/usr/bin:/bin",
        "PGDATA": str(work / "data" / "pgdata"),
        "PGHOST": str(work / "sock"),
        "PGPORT": str(port),
        "PG_IMAGE_ENTRYPOINT": str(entrypoint),
        **env_overrides,
    }
    if os.geteuid() == 0:
        subprocess.run(["chown", "-R", "postgres", str(work)], check=True)
    log = work / f"server-{time.monotonic_ns()}.log"

    def ready() -> tuple[bool, str]:
        """Ready once start.sh's setup is done and the server it then starts accepts connections."""
        text = log.read_text()
        done = (
            "setup done" in text
            and "database system is ready to accept connections" in text.split("setup done")[-1]
        )
        return done, (text.strip().splitlines() or ["(no output yet)"])[-1]

    argv = [
        *_as_postgres_user(),
        "env",
        "-i",
        *(f"{k}={v}" for k, v in env.items()),
        "sh",
        str(work / "etc" / "start.sh"),
        *args,
    ]
    daemon = Daemon("PostgreSQL (start.sh)", argv, log, health=ready, append_log=False)
    daemon.start()
    try:
        daemon.wait_healthy(timeout=DEFAULT_TIMEOUTS.local_postgres)
    except DaemonError as exc:
        daemon.stop()
        raise AssertionError(f"{exc}\nthe whole log:\n{log.read_text()}") from None
    return Server(port, env, daemon, log)


def _stop(server: Server) -> None:
    process = server.daemon.process
    assert process is not None
    pid_file = Path(server.env["PGDATA"]) / "postmaster.pid"
    if process.poll() is None and pid_file.is_file():
        # to the postmaster itself (runuser does not pass SIGINT on): PostgreSQL's fast shutdown, which the
        # second start of a test relies on finding clean; then the daemon's group is reaped (or killed)
        os.kill(int(pid_file.read_text().split()[0]), signal.SIGINT)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(60)  # a fast shutdown's bound, not a wait
    server.daemon.stop()


def _password(rendered: Rendered, role: str) -> str:
    return rendered.env[f"{role.removeprefix('todo_').upper()}_DB_PASSWORD"]


async def _connect(server: Server, rendered: Rendered, role: str, database: str = "todo", **kw: Any) -> Any:
    password = kw.pop("password", None) or _password(rendered, role)
    return await asyncpg.connect(
        host="127.0.0.1", port=server.port, user=role, password=password, database=database, **kw
    )


async def _isolation_problems(server: Server, rendered: Rendered) -> list[str]:
    """What a service may do beyond its own schema (empty when each role owns only its tables)."""
    problems = []
    backend = await _connect(server, rendered, "todo_backend")
    chatbot = await _connect(server, rendered, "todo_chatbot")
    try:
        await backend.execute("CREATE TABLE IF NOT EXISTS tasks (id int)")
        await chatbot.execute("CREATE TABLE IF NOT EXISTS chatbot_messages (id int)")
        for who, conn, other_table in (
            ("todo_chatbot", chatbot, "backend.tasks"),
            ("todo_backend", backend, "chatbot.chatbot_messages"),
        ):
            try:
                await conn.fetch(f"SELECT * FROM {other_table}")  # noqa: S608 - fixed names
                problems.append(f"{who} can read {other_table}")
            except asyncpg.InsufficientPrivilegeError:
                pass
            try:
                await conn.execute("CREATE TABLE public.stray (id int)")
                problems.append(f"{who} can create tables in public")
            except asyncpg.InsufficientPrivilegeError:
                pass
        owner = await backend.fetchval(
            "SELECT tableowner FROM pg_tables WHERE schemaname = 'backend' AND tablename = 'tasks'"
        )
        if owner != "todo_backend":
            problems.append(f"backend.tasks is owned by {owner}")
        if await backend.fetchval("SELECT rolsuper FROM pg_roles WHERE rolname = current_user"):
            problems.append("todo_backend is a superuser")
    finally:
        await backend.close()
        await chatbot.close()
    return problems


def test_each_service_owns_only_its_schema_and_the_superuser_has_no_network_login(
    render: Render, workdir: Path
) -> None:
    rendered = _rendered(render)
    server = _start(rendered, workdir, free_port())
    try:
        assert asyncio.run(_isolation_problems(server, rendered)) == []

        async def superuser_over_tcp() -> None:
            await asyncpg.connect(
                host="127.0.0.1",
                port=server.port,
                user="postgres",
                password=rendered.env["POSTGRES_PASSWORD"],
                database="todo",
            )

        with pytest.raises(asyncpg.InvalidAuthorizationSpecificationError, match=r"pg_hba\.conf rejects"):
            asyncio.run(superuser_over_tcp())

        async def chatbot_in_another_database() -> None:
            await _connect(server, rendered, "todo_chatbot", database="postgres")

        with pytest.raises(asyncpg.InvalidAuthorizationSpecificationError):
            asyncio.run(chatbot_in_another_database())
        assert "PASSWORD" not in server.log.read_text().upper().replace("POSTGRES_PASSWORD", "")
    finally:
        _stop(server)


def test_a_seeded_grant_across_schemas_is_caught(render: Render, workdir: Path) -> None:
    """The isolation check can fail: grant the chatbot the backend's tables and it reports it."""
    rendered = _rendered(render)
    server = _start(rendered, workdir, free_port())
    try:

        async def seed() -> list[str]:
            backend = await _connect(server, rendered, "todo_backend")
            await backend.execute("CREATE TABLE IF NOT EXISTS tasks (id int)")
            await backend.execute("GRANT USAGE ON SCHEMA backend TO todo_chatbot")
            await backend.execute("GRANT SELECT ON tasks TO todo_chatbot")
            await backend.close()
            return await _isolation_problems(server, rendered)

        assert asyncio.run(seed()) == ["todo_chatbot can read backend.tasks"]
    finally:
        _stop(server)


def test_a_restart_keeps_the_data_and_applies_a_new_connection_limit(render: Render, workdir: Path) -> None:
    rendered = _rendered(render)
    port = free_port()
    server = _start(rendered, workdir, port)
    try:

        async def write() -> None:
            backend = await _connect(server, rendered, "todo_backend")
            await backend.execute("CREATE TABLE tasks (title text); INSERT INTO tasks VALUES ('kept')")
            await backend.close()

        asyncio.run(write())
    finally:
        _stop(server)
    server = _start(rendered, workdir, port, BACKEND_CONNECTION_LIMIT="1")
    try:

        async def read_and_exceed() -> tuple[str, str]:
            first = await _connect(server, rendered, "todo_backend")
            title = await first.fetchval("SELECT title FROM tasks")
            try:
                second = await _connect(server, rendered, "todo_backend")
                await second.close()
                refused = "admitted"
            except asyncpg.TooManyConnectionsError as exc:
                refused = exc.sqlstate
            await first.close()
            return title, refused

        assert asyncio.run(read_and_exceed()) == ("kept", "53300")
    finally:
        _stop(server)
