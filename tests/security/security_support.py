"""Helpers the security probes share."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import httpx

from harness.pgserver import PostgresServer

SECRET = "security-tests-0123456789abcdefghijklmnopqrstuvwxyz"
_addresses = itertools.count(1)


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


def sign_up(base: str, email: str, password: str = "correct horse 1", address: str | None = None) -> str:
    """A new account's token (from its own fresh address unless one is given)."""
    response = httpx.post(
        f"{base}/api/auth/signup",
        json={"email": email, "password": password},
        headers={"X-Forwarded-For": address or new_address()},
    )
    assert response.status_code == 201, response.text
    return str(response.json()["access_token"])


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
