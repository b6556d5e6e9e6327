"""Small helpers the backend tests share: sign up, read a user's tasks."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

import httpx

from harness import components
from harness.pgserver import free_port
from harness.proc import Daemon, uvicorn_argv

# Long and random-looking enough for production settings; only ever used by tests.
SECRET = "test-secret-0123456789abcdefghijklmnopqrstuvwxyz"


TEST_PASSWORD = "correct horse"  # a throwaway test account


async def sign_up(client: httpx.AsyncClient, email: str, password: str = TEST_PASSWORD) -> dict[str, str]:
    """Create an account and return the Authorization header for it."""
    response = await client.post("/api/auth/signup", json={"email": email, "password": password})
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def sign_up_sync(base_url: str, email: str) -> dict[str, str]:
    """sign_up against a running server."""
    response = httpx.post(f"{base_url}/api/auth/signup", json={"email": email, "password": TEST_PASSWORD})
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def task_list(client: httpx.AsyncClient, headers: dict[str, str]) -> list[dict[str, object]]:
    response = await client.get("/api/tasks", headers=headers)
    assert response.status_code == 200, response.text
    tasks: list[dict[str, object]] = response.json()
    return tasks


class RunningBackend(NamedTuple):
    url: str
    port: int
    process: subprocess.Popen[bytes]


@contextmanager
def running_backend(database_url: str, log_path: Path, **env: str) -> Iterator[RunningBackend]:
    """The backend as it runs in its image (`python -m uvicorn todo_backend.main:app`) on a free loopback
    port, its output in log_path; yields once /api/ready answers 200, stops it (SIGTERM) afterwards."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"

    def ready() -> tuple[bool, str]:
        response = httpx.get(f"{base}/api/ready", timeout=2)
        return response.status_code == 200, f"{response.status_code} {response.text}"

    environment = {
        "DATABASE_URL": database_url,
        "BETTER_AUTH_SECRET": SECRET,
        "ENVIRONMENT": "production",
        **env,
    }
    argv = uvicorn_argv(str(components.component("backend").app_module), "127.0.0.1", port)
    server = Daemon("backend", argv, log_path, health=ready, env=environment, append_log=False)
    server.start()
    try:
        server.wait_healthy(timeout=60)
        assert server.process is not None
        yield RunningBackend(base, port, server.process)
    finally:
        server.stop(timeout=30)
