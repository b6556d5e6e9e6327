"""The security probes run against the real services: two backend replicas, the chatbot and the frontend as
uvicorn processes (as in their images) on loopback, sharing one real PostgreSQL (harness.pgserver).

The limits are set low (SECURITY_ENV) so each probe reaches them in a few requests. Every probe sends its own
client address in X-Forwarded-For, which uvicorn honours from 127.0.0.1 (its default FORWARDED_ALLOW_IPS),
so probes do not share per-address counters; through the frontend the address is the frontend's peer."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from security_support import PROXY_TOKEN, SECRET, Services

from harness.devserver import free_port
from harness.pgserver import PostgresServer
from harness.proc import Daemon, uvicorn_argv
from harness.timeouts import DEFAULT_TIMEOUTS

SECURITY_ENV = {
    "SIGNUP_LIMIT_PER_ADDRESS": "5/3600",
    "LOGIN_LIMIT_PER_ADDRESS": "12/60",
    "LOGIN_FREE_FAILURES": "3",
    "LOGIN_LOCKOUT_MAX_SECONDS": "4",
    "LOGIN_ACCOUNT_FAILURE_BUDGET": "8",
    "MAX_TASKS_PER_USER": "5",
    "CHAT_LIMIT_PER_ACCOUNT": "5/60",
    "CHAT_LIMIT_PER_ADDRESS": "8/60",
    "MAX_CONVERSATIONS_PER_USER": "3",
}


def _serve(module: str, env: dict[str, str], logs: Path, name: str) -> tuple[str, Daemon]:
    """The service as its image runs it (harness.proc's uvicorn command line), healthy on a free port."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"

    def health() -> tuple[bool, str]:
        response = httpx.get(f"{url}/api/health", timeout=2)  # one probe of the start wait
        return response.status_code == 200, response.text

    argv = uvicorn_argv(module, "127.0.0.1", port)
    daemon = Daemon(name, argv, logs / f"{name}.log", health=health, env=env, append_log=False)
    daemon.start()
    daemon.wait_healthy(DEFAULT_TIMEOUTS.dev_servers)  # an exit while starting ends it, with the log tail
    return url, daemon


@pytest.fixture(scope="session")
def services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    logs = tmp_path_factory.mktemp("security-logs")
    processes: list[Daemon] = []
    with PostgresServer() as pg:
        database = pg.create_database("security")
        # The backend and chatbot believe X-Forwarded-For only with the proxy token (uvicorn's own trust of
        # loopback peers is moved to an address nobody has); the frontend keeps trusting loopback, standing
        # in for an ingress, so each browser-like client can have its own address.
        common = {
            "DATABASE_URL": database,
            "ENVIRONMENT": "production",
            "FORWARDED_ALLOW_IPS": "192.0.2.1",
            **SECURITY_ENV,
        }
        try:
            backend_env = {**common, "BETTER_AUTH_SECRET": SECRET}
            backend, process = _serve("todo_backend.main:app", backend_env, logs, "backend-a")
            processes.append(process)
            backend_b, process = _serve("todo_backend.main:app", backend_env, logs, "backend-b")
            processes.append(process)
            chatbot_env = {**common, "BACKEND_URL": backend, "PROXY_TOKEN": PROXY_TOKEN}
            chatbot, process = _serve("todo_chatbot.main:app", chatbot_env, logs, "chatbot")
            processes.append(process)
            frontend_env = {
                "BACKEND_URL": backend,
                "CHATBOT_URL": chatbot,
                "ENVIRONMENT": "production",
                "PROXY_TOKEN": PROXY_TOKEN,
            }
            frontend, process = _serve("todo_frontend.main:app", frontend_env, logs, "frontend")
            processes.append(process)
            yield Services(backend, backend_b, chatbot, frontend, database, pg)
        finally:
            for process in processes:
                process.stop(timeout=30)
