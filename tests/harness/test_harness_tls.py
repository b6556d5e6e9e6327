"""The self-signed TLS bundle: a real TLS server with it is trusted for its hosts and only for them."""

from __future__ import annotations

import socket
import ssl
import tempfile
import threading
from pathlib import Path

import pytest

from harness.tls import TlsBundle, self_signed, ssl_context


def _serve_once(bundle: TlsBundle, port_holder: list[int], ready: threading.Event) -> None:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    with tempfile.TemporaryDirectory() as tmp:
        cert, key = Path(tmp, "tls.crt"), Path(tmp, "tls.key")
        cert.write_bytes(bundle.cert_pem)
        key.write_bytes(bundle.key_pem)
        context.load_cert_chain(cert, key)
    with socket.create_server(("127.0.0.1", 0)) as server:
        port_holder.append(server.getsockname()[1])
        ready.set()
        for _ in range(2):
            conn, _ = server.accept()
            try:
                with context.wrap_socket(conn, server_side=True) as tls:
                    tls.recv(1)
            except (ssl.SSLError, OSError):
                pass


def _handshake(port: int, hostname: str, context: ssl.SSLContext) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        with context.wrap_socket(sock, server_hostname=hostname) as tls:
            tls.sendall(b"x")


def test_the_bundle_is_trusted_for_its_hosts_and_refused_for_others() -> None:
    bundle = self_signed("10.1.2.3")
    assert "10.1.2.3" in bundle.hosts and "127.0.0.1" in bundle.hosts
    port: list[int] = []
    ready = threading.Event()
    thread = threading.Thread(target=_serve_once, args=(bundle, port, ready), daemon=True)
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
    thread = threading.Thread(target=_serve_once, args=(ours, port, ready), daemon=True)
    thread.start()
    assert ready.wait(10)
    with pytest.raises(ssl.SSLCertVerificationError):
        _handshake(port[0], "127.0.0.1", ssl_context(theirs))
    _handshake(port[0], "127.0.0.1", ssl_context(ours))  # let the server's second accept finish
    thread.join(10)
