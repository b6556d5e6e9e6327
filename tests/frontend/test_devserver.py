"""`tcb dev`'s engine: the failures a developer meets are reported with their cause."""

from __future__ import annotations

import socket
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
