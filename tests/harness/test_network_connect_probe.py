"""The network scenarios' connection probe (steps/network_steps.CONNECT), run here as the pods run it
(`python3 -c`): an open port is "connected" (exit 0), a refused one "denied" (1), and a name that does not
resolve is "not tested" (2): a "cannot open a connection" check must not pass on a probe that could not have
connected anywhere. The probe before this (every OSError counted as denied) answered exit 1 "not connected:
gaierror" for the unresolvable name, so the last test fails on it."""

from __future__ import annotations

import socket
import subprocess
import sys

from steps.network_steps import CONNECT, DENIED, UNTESTED


def _probe(host: str, port: int) -> tuple[int, str]:
    done = subprocess.run(
        [sys.executable, "-c", CONNECT.format(host=host, port=port, timeout=2.0)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    return done.returncode, done.stdout.strip()


def test_an_open_port_is_connected() -> None:
    with socket.create_server(("127.0.0.1", 0)) as server:
        assert _probe("127.0.0.1", server.getsockname()[1]) == (0, "connected")


def test_a_refused_connection_is_denied() -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]  # bound, not listening: the kernel refuses
        code, output = _probe("127.0.0.1", port)
    assert code == DENIED, output
    assert output.startswith("not connected: ConnectionRefusedError")


def test_a_name_that_does_not_resolve_is_not_tested_and_not_denied() -> None:
    code, output = _probe("tcb-no-such-service.invalid", 5432)
    assert code == UNTESTED, output
    assert output.startswith("not tested: gaierror")
