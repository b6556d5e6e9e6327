"""Helpers the security probes share."""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from harness.pgserver import PostgresServer

SECRET = "security-tests-0123456789abcdefghijklmnopqrstuvwxyz"  # pragma: allowlist secret
# What the chart gives the frontend and chatbot (and what the backend derives): sha256 of this text.
PROXY_TOKEN = hashlib.sha256(f"forwarded-for:{SECRET}".encode()).hexdigest()
_addresses = itertools.count(1)


def via(address: str) -> dict[str, str]:
    """Headers of a request relayed by a trusted proxy (the frontend) for a client at `address`."""
    return {"X-Forwarded-For": address, "X-Proxy-Token": PROXY_TOKEN}


def new_address() -> str:
    """A client address no other probe has used (TEST-NET-3, never routed)."""
    n = next(_addresses)
    return f"203.0.{n // 250}.{n % 250 + 1}"


@dataclass
class Services:
    backend: str  # replica A
    backend_b: str  # replica B, same database
    chatbot: str
    frontend: str
    database: str  # the asyncpg URL both services use
    pg: PostgresServer


PASSWORD = "correct horse 1"


def sign_up(base: str, email: str, password: str = PASSWORD, address: str | None = None) -> str:
    """A new account's token (from its own fresh address unless one is given)."""
    response = httpx.post(
        f"{base}/api/auth/signup",
        json={"email": email, "password": password},
        headers=via(address or new_address()),
    )
    assert response.status_code == 201, response.text
    return str(response.json()["access_token"])


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def first_refusal(send: Callable[[int], httpx.Response], limit: int) -> tuple[int, httpx.Response]:
    """Sends until the first 429 (at most 2 x limit + 1 requests); returns how many were admitted before it
    and the 429. A fixed window admits `limit` requests, or up to 2 x limit when the probe straddles the
    end of a window, so callers assert limit <= admitted <= 2 x limit."""
    for i in range(2 * limit + 1):
        response = send(i)
        if response.status_code == 429:
            return i, response
    raise AssertionError(
        f"no 429 after {2 * limit + 1} requests (limit {limit}); last: {response.status_code}"
    )
