"""The `helm test` pod's check script, as the chart renders it, run against real sockets on loopback: a
working service passes; a service that cannot be reached fails, after the whole retry window when nothing in
the pod has been answered yet (a new pod's address may not be in the NetworkPolicy sets) and within seconds
once another check of the same pod has had an HTTP answer; a wrong answer fails at once."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from chart_manifests import IMAGE_TAGS, SECRETS, Render, named


@pytest.fixture(scope="module")
def script(render: Render) -> str:
    pod = named(render([], {**IMAGE_TAGS, **SECRETS}), "Pod", "-test")
    (command,) = {tuple(c["command"][:3]) for c in pod["spec"]["containers"]}
    assert command[:2] == ("python3", "-c")
    return command[2]


def _server(answers: dict[str, tuple[int, dict[str, str]]], port: int = 0) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            status, body = answers.get(self.path, (404, {}))
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture
def working() -> Iterator[str]:
    server = _server(
        {
            "/api/health": (200, {"status": "ok", "service": "backend"}),
            "/api/ready": (200, {"status": "ready"}),
        }
    )
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture
def refusing() -> str:
    """An address nothing listens on: every connection is refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def _check(script: str, base: str, service: str, tmp: Path) -> tuple[int, str, float]:
    """Run one container's check with the pod's shared /tmp at `tmp`: (exit code, output, seconds)."""
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", script, base, service],
        env={"TMPDIR": str(tmp), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    return done.returncode, done.stdout + done.stderr, time.monotonic() - started


def test_a_working_service_passes_and_marks_the_pod_answered(
    script: str, working: str, tmp_path: Path
) -> None:
    code, out, _ = _check(script, working, "backend", tmp_path)
    assert code == 0, out
    assert (tmp_path / "tcb-test-answered").exists()


def test_a_service_answering_for_another_fails(script: str, working: str, tmp_path: Path) -> None:
    code, out, _ = _check(script, working, "chatbot", tmp_path)
    assert code == 1 and "expected service 'chatbot'" in out, out


def test_an_unreachable_service_fails_in_seconds_once_another_check_was_answered(
    script: str, working: str, refusing: str, tmp_path: Path
) -> None:
    assert _check(script, working, "backend", tmp_path)[0] == 0  # the pod's other check, answered
    code, out, _ = _check(script, refusing, "backend", tmp_path)
    assert code == 1, out
    retries = re.search(r"after (\d+) connection retries", out)
    assert retries and int(retries[1]) <= 4, (
        f"the 3 s left after another check's answer were not applied\n{out}"
    )
    assert "/api/ready not tried" in out, out


def test_an_unreachable_service_is_retried_for_the_whole_window_while_nothing_answered(
    script: str, working: str, refusing: str, tmp_path: Path
) -> None:
    """No answer yet in the pod: a refused connection may be the NetworkPolicy sync, so it is retried; an
    answer that comes within the window (here: the service starts listening) passes."""
    port = int(refusing.rsplit(":", 1)[1])
    late: list[ThreadingHTTPServer] = []

    def start_late() -> None:
        time.sleep(4)
        late.append(_server({"/api/health": (200, {"service": "backend"}), "/api/ready": (200, {})}, port))

    threading.Thread(target=start_late, daemon=True).start()
    code, out, took = _check(script, refusing, "backend", tmp_path)
    for server in late:
        server.shutdown()
    assert code == 0, out
    assert took >= 4 and "connection retries" in out, out
