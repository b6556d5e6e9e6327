"""The backend as a process: it waits for a database that starts after it, and requests in flight when
uvicorn gets SIGTERM (what Kubernetes sends) still complete."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from backend_api import running_backend, sign_up_sync

from harness.pgserver import PostgresServer
from harness.waits import wait_until

IN_FLIGHT = 6


def _in_progress(base: str) -> int:
    """Requests the server is handling, not counting the /metrics request asking."""
    metrics = httpx.get(f"{base}/metrics", timeout=10).text
    line = next(row for row in metrics.splitlines() if row.startswith("http_requests_in_progress "))
    return int(float(line.split()[1])) - 1


@pytest.mark.postgres
def test_sigterm_lets_in_flight_requests_finish(pg_server: PostgresServer, tmp_path: Path) -> None:
    url = pg_server.create_database("shutdown")
    release = threading.Event()

    def half_sent_body() -> Iterator[bytes]:
        yield b'{"title": "sent across a shutdown'
        release.wait(60)  # the rest of the body arrives only after SIGTERM
        yield b'"}'

    with running_backend(url, tmp_path / "backend.log") as backend, ThreadPoolExecutor(IN_FLIGHT) as pool:
        auth = sign_up_sync(backend.url, "drain@example.com")
        headers = {**auth, "Content-Type": "application/json"}
        futures = [
            pool.submit(
                httpx.post, f"{backend.url}/api/tasks", content=half_sent_body(), headers=headers, timeout=60
            )
            for _ in range(IN_FLIGHT)
        ]
        wait_until(
            f"{IN_FLIGHT} requests in progress",
            lambda: (_in_progress(backend.url) >= IN_FLIGHT, f"{_in_progress(backend.url)} in progress"),
            timeout=30,
            interval=0.1,
        )
        backend.process.send_signal(signal.SIGTERM)
        wait_until(
            "the server to stop accepting new connections",
            lambda: (_refuses_connections(backend.url), "still accepting"),
            timeout=30,
            interval=0.1,
        )
        release.set()
        statuses = [future.result().status_code for future in futures]
        backend.process.wait(timeout=60)
    assert statuses == [201] * IN_FLIGHT
    assert pg_server.sql("SELECT count(*) FROM tasks", database="shutdown") == str(IN_FLIGHT)
    # a graceful exit, not a kill ("Waiting for connections to close" is logged only if the timing allows)
    assert "Finished server process" in (tmp_path / "backend.log").read_text()


def _refuses_connections(base: str) -> bool:
    try:
        httpx.get(f"{base}/api/health", timeout=2)
    except httpx.ConnectError:
        return True
    return False


@pytest.mark.postgres
def test_backend_started_before_postgres_waits_for_it(tmp_path: Path) -> None:
    database = PostgresServer()  # its URL is known before it runs, as with a Postgres pod still starting
    log_path = tmp_path / "backend.log"

    def start_once_the_backend_waits() -> None:
        wait_until(
            "the backend to report it is waiting for the database",
            lambda: (log_path.exists() and "waiting for the database" in log_path.read_text(), "not yet"),
            timeout=60,
        )
        database.start()

    starter = threading.Thread(target=start_once_the_backend_waits)
    starter.start()
    try:
        with running_backend(database.url, log_path) as backend:
            assert httpx.get(f"{backend.url}/api/ready").status_code == 200
    finally:
        starter.join()
        database.stop()
