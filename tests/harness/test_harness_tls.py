"""The self-signed TLS bundle: a real TLS server with it is trusted for its hosts and only for them."""

from __future__ import annotations

import socket
import ssl
import threading

import pytest

from harness.tls import self_signed, ssl_context
from tests.tls_server import serve


def _handshake(port: int, hostname: str, context: ssl.SSLContext) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        with context.wrap_socket(sock, server_hostname=hostname) as tls:
            tls.sendall(b"x")


def test_the_bundle_is_trusted_for_its_hosts_and_refused_for_others() -> None:
    bundle = self_signed("10.1.2.3")
    assert "10.1.2.3" in bundle.hosts and "127.0.0.1" in bundle.hosts
    port: list[int] = []
    ready = threading.Event()
    thread = threading.Thread(target=serve, args=(bundle, port, ready, 2), daemon=True)
    thread.start()
    assert ready.wait(10)
    _handshake(port[0], "127.0.0.1", ssl_context(bundle))
    # seeded: a name the certificate does not carry must fail the hostname check
    with pytest.raises(ssl.SSLCertVerificationError):
        _handshake(port[0], "todo.example.invalid", ssl_context(bundle))
    thread.join(10)


def test_another_runs_ca_does_not_trust_this_certificate() -> None:
    ours, theirs = self_signed("10.1.2.3"), self_signed("10.1.2.3")
    port: list[int] = []
    ready = threading.Event()
    thread = threading.Thread(target=serve, args=(ours, port, ready, 2), daemon=True)
    thread.start()
    assert ready.wait(10)
    with pytest.raises(ssl.SSLCertVerificationError):
        _handshake(port[0], "127.0.0.1", ssl_context(theirs))
    _handshake(port[0], "127.0.0.1", ssl_context(ours))  # let the server's second accept finish
    thread.join(10)
