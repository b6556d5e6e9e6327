"""Fixtures for the harness's own tests: a tiny task API served by uvicorn on loopback."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI, Header, HTTPException


def tiny_app() -> FastAPI:
    """Just enough of the backend's task API for the load generator: list and create, behind a token. Every
    token starting "good-token" is a user of its own, with its own task numbers (as the backend numbers
    each user's tasks from 1)."""
    app = FastAPI()
    tasks: dict[str, list[dict[str, Any]]] = {}
    lock = threading.Lock()

    def check(authorization: str | None) -> str:
        if not (authorization or "").startswith("Bearer good-token"):
            raise HTTPException(401, "bad token")
        return str(authorization)

    @app.get("/api/tasks")
    def list_tasks(authorization: str | None = Header(None)) -> list[dict[str, Any]]:
        user = check(authorization)
        return tasks.get(user, [])[-5:]

    @app.post("/api/tasks", status_code=201)
    def create(body: dict[str, Any], authorization: str | None = Header(None)) -> dict[str, Any]:
        user = check(authorization)
        with lock:
            own = tasks.setdefault(user, [])
            task = {"number": len(own) + 1, "title": body["title"]}
            own.append(task)
        return task

    return app


class LoopbackServer:
    """uvicorn in a thread on a fixed loopback port, so a test can stop and restart it mid-run."""

    def __init__(self, app: Any = None) -> None:
        self.app = app or tiny_app()
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.server: uvicorn.Server | None = None
        self.thread: threading.Thread | None = None

    def start(self) -> None:
        config = uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start within 10 s")
            time.sleep(0.02)

    def stop(self) -> None:
        if self.server is not None and self.thread is not None:
            self.server.should_exit = True
            self.thread.join(10)
            self.server = None


@pytest.fixture
def loopback_server() -> Iterator[LoopbackServer]:
    server = LoopbackServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def serve_app() -> Iterator[Callable[[Any], LoopbackServer]]:
    """serve_app(app): the ASGI app on a loopback port (uvicorn runs its lifespan), stopped after the test."""
    servers: list[LoopbackServer] = []

    def start(app: Any) -> LoopbackServer:
        server = LoopbackServer(app)
        server.start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()
