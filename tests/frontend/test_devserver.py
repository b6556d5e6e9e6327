"""`tcb dev`'s engine: the failures a developer meets are reported with their cause."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from harness.devserver import SERVICES, DevServerError, free_port, start_dev_stack


def test_a_busy_port_is_named_with_the_option_to_change_it(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(DevServerError, match=rf"frontend port {port} already in use.*--frontend-port"):
            start_dev_stack(
                tmp_path, ports={"backend": free_port(), "chatbot": free_port(), "frontend": port}
            )
    assert not (tmp_path / "logs").exists()  # nothing was started


def test_a_service_that_cannot_start_is_reported_with_its_log_and_the_rest_stopped(tmp_path: Path) -> None:
    ports = {name: free_port() for name in SERVICES}
    # production with a too-short secret: the backend refuses to start, by design
    broken = {"backend": {"ENVIRONMENT": "production", "BETTER_AUTH_SECRET": "short"}}
    with pytest.raises(DevServerError, match="backend failed to start") as failure:
        start_dev_stack(tmp_path, ports=ports, extra_env=broken, timeout=60)
    assert "BETTER_AUTH_SECRET" in str(failure.value)  # the backend's own reason, from its log
    for name in ("chatbot", "frontend"):
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"http://127.0.0.1:{ports[name]}/api/health", timeout=2)


def test_tcb_dev_serves_the_app_and_ctrl_c_stops_everything(tmp_path: Path) -> None:
    ports = {name: free_port() for name in SERVICES}
    argv = [
        str(Path(sys.executable).with_name("tcb")), "dev", "--state-dir", str(tmp_path),
        "--backend-port", str(ports["backend"]), "--chatbot-port", str(ports["chatbot"]),
        "--frontend-port", str(ports["frontend"]),
    ]  # fmt: skip
    dev = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert dev.stdout is not None
        printed = ""
        for line in dev.stdout:  # progress lines, then the URLs once every service answers
            printed += line
            if "press Ctrl-C to stop" in line:
                break
        assert f"App      http://localhost:{ports['frontend']}/" in printed, printed
        page = httpx.get(f"http://127.0.0.1:{ports['frontend']}/", follow_redirects=True)
        assert 'data-testid="login-form"' in page.text
        dev.send_signal(signal.SIGINT)
        assert dev.wait(timeout=30) == 0
    finally:
        if dev.poll() is None:
            dev.kill()
    for port in ports.values():
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=2)
    assert (tmp_path / "backend.db").exists()
