"""The wait-for-database init container's script, as rendered: it waits for a real PostgreSQL, not for any
listener (on the local cluster an unprogrammed Service address can be answered by something else)."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading

import pytest
from chart_manifests import IMAGE_TAGS, SECRETS, Render, named

from harness.pgserver import PostgresServer


def _script(render: Render) -> str:
    pod = named(render([], {**IMAGE_TAGS, **SECRETS}), "Deployment", "-backend")["spec"]["template"]["spec"]
    (init,) = [c for c in pod["initContainers"] if c["name"] == "wait-for-database"]
    assert init["command"][:2] == ["python3", "-c"]
    return str(init["command"][2])


def test_a_listener_that_is_not_postgresql_keeps_it_waiting(render: Render) -> None:
    """Seeded: something that accepts the connection and answers like an HTTP server is not the database."""
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]

    def answer_like_http() -> None:
        while True:
            conn, _ = server.accept()
            conn.sendall(b"HTTP/1.1 404 Not Found\r\n\r\n")
            conn.close()

    threading.Thread(target=answer_like_http, daemon=True).start()
    with pytest.raises(subprocess.TimeoutExpired) as waited:
        subprocess.run(
            [sys.executable, "-c", _script(render), "127.0.0.1", str(port)], capture_output=True, timeout=2
        )
    assert b"not PostgreSQL" in (waited.value.stdout or b"")
    server.close()


@pytest.mark.postgres
def test_a_postgresql_server_ends_the_wait(render: Render) -> None:
    with PostgresServer() as pg:
        done = subprocess.run(
            [sys.executable, "-c", _script(render), pg.host, str(pg.port)],
            capture_output=True,
            text=True,
            timeout=20,
        )
    assert done.returncode == 0, done.stderr
    assert f"PostgreSQL at {pg.host}:{pg.port} answers after" in done.stdout
