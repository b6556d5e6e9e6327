"""A loopback TLS server for tests: serves with a `harness.tls` bundle in a thread, reads each client's first
bytes and, if asked, answers them; a handshake the client refuses ends that connection quietly. Used by the
TLS bundle's tests and the shared SSL context's test."""

from __future__ import annotations

import socket
import ssl
import tempfile
import threading
from pathlib import Path

from harness.tls import TlsBundle

OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"


def serve(
    bundle: TlsBundle, port: list[int], ready: threading.Event, answers: int, reply: bytes = b""
) -> None:
    """Accept `answers` connections on 127.0.0.1 (the port is appended to `port`, then `ready` is set)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    with tempfile.TemporaryDirectory() as tmp:
        cert, key = Path(tmp, "tls.crt"), Path(tmp, "tls.key")
        cert.write_bytes(bundle.cert_pem)
        key.write_bytes(bundle.key_pem)
        context.load_cert_chain(cert, key)
    with socket.create_server(("127.0.0.1", 0)) as server:
        port.append(server.getsockname()[1])
        ready.set()
        for _ in range(answers):
            conn, _ = server.accept()
            try:
                with context.wrap_socket(conn, server_side=True) as tls:
                    tls.recv(4096)
                    if reply:
                        tls.sendall(reply)
            except (ssl.SSLError, OSError):
                pass
