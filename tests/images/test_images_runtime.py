"""What a user of the images notices: each service answers /api/health as uid 1001 on a read-only root,
the runtime images carry no shell or package tools, and the Postgres image keeps its data across a restart."""

from __future__ import annotations

import asyncio
import secrets
import uuid

import asyncpg
import docker
import pytest

from harness import components
from harness.images import REGISTRY_BASE, ImageRef, image_files, image_user, resolve_bases
from harness.waits import wait_until
from tests.images.conftest import host_port, process_uids, running, wait_for_http

pytestmark = pytest.mark.docker

SERVICE_ENV = {
    "backend": {"DATABASE_URL": "sqlite+aiosqlite:////tmp/todo.db"},
    "chatbot": {"DATABASE_URL": "sqlite+aiosqlite:////tmp/chat.db", "BACKEND_URL": "http://127.0.0.1:9"},
    "frontend": {"BACKEND_URL": "http://127.0.0.1:9", "CHATBOT_URL": "http://127.0.0.1:9"},
}
# what an attacker or a careless operator could use inside a container; none of it belongs in a runtime image
FORBIDDEN = {
    "bin/sh", "usr/bin/sh", "bin/bash", "usr/bin/bash", "usr/bin/dash", "bin/dash", "usr/bin/busybox",
    "usr/bin/apt", "usr/bin/apt-get", "usr/bin/dpkg", "usr/bin/pip", "usr/bin/pip3",
    "usr/bin/gcc", "usr/bin/cc", "usr/bin/ld", "usr/bin/strip", "usr/bin/curl", "usr/bin/wget",
}  # fmt: skip


@pytest.mark.parametrize("service", ["backend", "chatbot", "frontend"])
def test_service_answers_health_as_uid_1001_on_a_read_only_root(
    docker_client: docker.DockerClient, app_images: dict[str, ImageRef], service: str
) -> None:
    ref = app_images[service].ref
    assert image_user(ref) == "1001:1001"
    port = f"{components.container_port(service)}/tcp"  # the chart's port: the image listens there
    with running(
        docker_client, ref,
        environment={"ENVIRONMENT": "development", **SERVICE_ENV[service]},
        read_only=True, tmpfs={"/tmp": ""}, ports={port: ("127.0.0.1", None)},
    ) as container:  # fmt: skip
        health = wait_for_http(f"http://127.0.0.1:{host_port(container, port)}/api/health", container).json()
        assert health["status"] == "ok"
        assert health["service"] == service
        assert health["environment"] == "development"
        assert process_uids(container) == {"1001"}


@pytest.mark.parametrize("service", ["backend", "chatbot", "frontend"])
def test_runtime_image_has_no_shell_package_manager_or_compiler(
    docker_client: docker.DockerClient, app_images: dict[str, ImageRef], service: str
) -> None:
    if resolve_bases(docker_client)[0] == REGISTRY_BASE:
        pytest.skip(f"built on {REGISTRY_BASE}, which has a shell and pip by design")
    files = image_files(app_images[service].ref)
    assert "usr/bin/python3.11" in files  # the listing is real: the interpreter is there
    assert sorted(FORBIDDEN & files) == []
    pip = sorted(f for f in files if f.endswith("/pip/__init__.pyc") or f.endswith("/pip/__init__.py"))
    assert pip == []
    assert not [f for f in files if f.startswith("wheels/") or f.startswith("src/")]


def test_postgres_accepts_connections_and_keeps_data_across_a_restart(
    docker_client: docker.DockerClient, app_images: dict[str, ImageRef]
) -> None:
    ref = app_images["postgres"].ref
    assert image_user(ref) == "1001:1001"
    password = secrets.token_hex(12)
    volume = docker_client.volumes.create(f"tcb-test-pg-{uuid.uuid4().hex[:8]}")
    try:
        with running(
            docker_client, ref,
            environment={"POSTGRES_PASSWORD": password, "POSTGRES_USER": "todo", "POSTGRES_DB": "todo"},
            volumes={volume.name: {"bind": "/var/lib/postgresql/data", "mode": "rw"}},
            read_only=True, tmpfs={"/tmp": ""}, ports={"5432/tcp": ("127.0.0.1", None)},
        ) as container:  # fmt: skip
            port = host_port(container, "5432/tcp")
            _wait_ready(container)
            assert process_uids(container) == {"1001"}
            _sql(
                port, password, "CREATE TABLE kept (note text); INSERT INTO kept VALUES ('survives restarts')"
            )
            container.restart(timeout=20)
            _wait_ready(container)
            port = host_port(container, "5432/tcp")
            assert _sql(port, password, "SELECT note FROM kept") == [("survives restarts",)]
            assert "database system is shut down" in container.logs().decode(errors="replace")
    finally:
        volume.remove(force=True)


def _wait_ready(container: docker.models.containers.Container) -> None:
    def ready() -> tuple[bool, str]:
        result = container.exec_run(["pg_isready", "-h", "127.0.0.1", "-U", "todo", "-d", "todo"])
        return result.exit_code == 0, result.output.decode(errors="replace").strip()

    wait_until("postgres to accept connections", ready, timeout=60)


def _sql(port: int, password: str, statement: str) -> list[tuple[object, ...]]:
    async def go() -> list[tuple[object, ...]]:
        conn = await asyncpg.connect(
            host="127.0.0.1", port=port, user="todo", password=password, database="todo"
        )
        try:
            if statement.lstrip().upper().startswith("SELECT"):
                return [tuple(r) for r in await conn.fetch(statement)]
            await conn.execute(statement)
            return []
        finally:
            await conn.close()

    return asyncio.run(go())
