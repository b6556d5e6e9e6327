"""Small helpers the backend tests share: sign up, read a user's tasks."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

import httpx

from harness.pgserver import free_port
from harness.waits import wait_until

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
    full_env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "BETTER_AUTH_SECRET": SECRET,
        "ENVIRONMENT": "production",
        **env,
    }
    argv = [
        sys.executable,
        "-m",
        "uvicorn",
        "todo_backend.main:app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    base = f"http://127.0.0.1:{port}"
    with log_path.open("w") as log:
        server = subprocess.Popen(argv, env=full_env, stdout=log, stderr=subprocess.STDOUT)

    def ready() -> tuple[bool, str]:
        if server.poll() is not None:
            raise AssertionError(f"backend exited {server.returncode}: {log_path.read_text()[-3000:]}")
        response = httpx.get(f"{base}/api/ready", timeout=2)
        return response.status_code == 200, f"{response.status_code} {response.text}"

    try:
        wait_until(f"backend on {base} to be ready", ready, timeout=60, interval=0.2)
        yield RunningBackend(base, port, server)
    finally:
        server.terminate()
        server.wait(timeout=30)
