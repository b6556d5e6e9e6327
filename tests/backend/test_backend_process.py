"""The backend as a process: it waits for a database that starts after it, and requests in flight when
uvicorn gets SIGTERM (what Kubernetes sends) still complete."""

from __future__ import annotations

import signal
import subprocess
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from backend_api import running_backend

from harness.pgserver import PostgresServer
from harness.waits import wait_until

IN_FLIGHT = 6


def _established(port: int) -> int:
    out = subprocess.run(
        ["ss", "-Htn", "state", "established", f"( sport = :{port} )"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return len(out.splitlines())


@pytest.mark.postgres
def test_sigterm_lets_in_flight_requests_finish(pg_server: PostgresServer, tmp_path: Path) -> None:
    url = pg_server.create_database("shutdown")
    with running_backend(url, tmp_path / "backend.log") as backend, ThreadPoolExecutor(IN_FLIGHT) as pool:
        # Signups are slow on purpose (argon2, two at a time), so these are still running at SIGTERM.
        futures = [
            pool.submit(
                httpx.post,
                f"{backend.url}/api/auth/signup",
                json={"email": f"drain{i}@example.com", "password": "drain-pass"},
                timeout=60,
            )
            for i in range(IN_FLIGHT)
        ]
        wait_until(
            f"{IN_FLIGHT} connections in flight",
            lambda: (_established(backend.port) >= IN_FLIGHT, f"{_established(backend.port)} established"),
            timeout=30,
            interval=0.05,
        )
        backend.process.send_signal(signal.SIGTERM)
        statuses = [future.result().status_code for future in futures]
        backend.process.wait(timeout=60)
    assert statuses == [201] * IN_FLIGHT
    assert pg_server.sql("SELECT count(*) FROM users", database="shutdown") == str(IN_FLIGHT)
    assert "Waiting for connections to close" in (tmp_path / "backend.log").read_text()


@pytest.mark.postgres
def test_backend_started_before_postgres_waits_for_it(tmp_path: Path) -> None:
    database = PostgresServer()  # its URL is known before it runs, as with a Postgres pod still starting
    starter = threading.Timer(4.0, database.start)
    starter.start()
    try:
        with running_backend(database.url, tmp_path / "backend.log") as backend:
            assert httpx.get(f"{backend.url}/api/ready").status_code == 200
        assert "waiting for the database" in (tmp_path / "backend.log").read_text()
    finally:
        starter.join()
        database.stop()
