"""Issue 12 item 2: every public entry point answers 413 before reading an oversized body in full."""

from __future__ import annotations

import select
import socket
import time
from urllib.parse import urlsplit

import httpx
from security_support import Services, bearer, sign_up

MiB = 1024 * 1024


def _stream_chunked(
    url: str,
    path: str,
    total: int,
    headers: dict[str, str] | None = None,
    content_type: str = "application/json",
) -> tuple[int, int]:
    """POST `total` bytes as chunked transfer encoding (no Content-Length) over a raw socket, stopping once
    the server answers; returns (status, bytes sent before the answer came)."""
    parts = urlsplit(url)
    sock = socket.create_connection((parts.hostname, parts.port), timeout=30)
    head = [f"POST {path} HTTP/1.1", f"Host: {parts.netloc}", "Transfer-Encoding: chunked",
            f"Content-Type: {content_type}"]  # fmt: skip
    head += [f"{k}: {v}" for k, v in (headers or {}).items()]
    sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
    chunk = b"a" * 65536
    sent = 0
    answer = b""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and b"\r\n" not in answer:
        readable, _, _ = select.select([sock], [], [], 0 if sent < total else 0.1)
        if readable:
            data = sock.recv(65536)
            if not data:
                break
            answer += data
            continue
        if sent < total:
            try:
                sock.sendall(
                    b"%x\r\n%s\r\n" % (len(chunk), chunk)
                )  # blocking: a chunk goes whole or not at all
            except ConnectionError:
                answer += sock.recv(65536)
                break
            sent += len(chunk)
    sock.close()
    status = int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/1.1 ") else 0
    return status, sent


def test_the_frontend_proxy_caps_a_streamed_body_without_a_session(services: Services) -> None:
    status, sent = _stream_chunked(services.frontend, "/api/tasks", 64 * MiB)
    assert status == 413
    assert sent < 8 * MiB, f"{sent} bytes went in before the 413"


def test_the_frontend_caps_declared_and_form_bodies(services: Services) -> None:
    big = httpx.post(f"{services.frontend}/api/auth/signup", content=b"x" * (2 * MiB))
    assert big.status_code == 413
    assert "limit is 1048576 bytes" in big.json()["detail"]
    form = httpx.post(f"{services.frontend}/login", data={"email": "a" * (2 * MiB), "password": "x"})
    assert form.status_code == 413
    status, _ = _stream_chunked(
        services.frontend, "/login", 4 * MiB, content_type="application/x-www-form-urlencoded"
    )
    assert status == 413


def test_the_chatbot_caps_its_body(services: Services) -> None:
    token = sign_up(services.backend, "chat-size@example.test")
    declared = httpx.post(f"{services.chatbot}/api/chat", content=b"x" * (128 * 1024), headers=bearer(token))
    assert declared.status_code == 413
    status, sent = _stream_chunked(services.chatbot, "/api/chat", 16 * MiB, bearer(token))
    assert status == 413 and sent < 8 * MiB


def test_the_backend_caps_its_body(services: Services) -> None:
    status, sent = _stream_chunked(services.backend, "/api/tasks", 16 * MiB)
    assert status == 413 and sent < 8 * MiB
