"""httpx for the harness, with one SSL context per process.

Unless it is given a context, httpx makes a new one for every `httpx.Client` and every module-level
`httpx.get()`: it loads certifi's CA bundle each time, 46 ms of CPU (httpx 0.28, this machine), even for a
plain-http URL. The harness makes thousands of short clients (each poll of a wait, each probe, each worker of
the load), and an acceptance run on 2 cores is CPU-bound, so every default-verifying client here verifies
against one context made once, with exactly httpx's default settings (certifi, or SSL_CERT_FILE/SSL_CERT_DIR).
Clients that verify against something else (the TLS scenarios' own CA) pass their own `verify`.
`tests/harness/test_http_client.py` keeps every httpx call of harness/ and steps/ on it.
"""

from __future__ import annotations

import functools
import ssl
from typing import Any

import httpx


@functools.cache
def default_verify() -> ssl.SSLContext:
    """httpx's default verification (`verify=True`), made once per process; an SSLContext is safe to share
    between threads."""
    return httpx.create_ssl_context()


def client(**kwargs: Any) -> httpx.Client:
    """`httpx.Client(**kwargs)`, verifying with the shared context unless `verify` is given."""
    kwargs.setdefault("verify", default_verify())
    return httpx.Client(**kwargs)


def get(url: str, **kwargs: Any) -> httpx.Response:
    """`httpx.get(url, **kwargs)`, verifying with the shared context unless `verify` is given."""
    kwargs.setdefault("verify", default_verify())
    return httpx.get(url, **kwargs)
