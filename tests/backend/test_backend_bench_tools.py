"""The measuring tools of benchmarks/backend_bench.py: the reference endpoint's token check refuses what the
backend refuses (else the floor would skip work the backend does); wrk's output parses or fails loudly."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import jwt
import pytest
from backend_api import SECRET

from benchmarks import backend_bench, backend_reference
from harness.pgserver import free_port

KEY = SECRET.encode()


def _header(claims: dict[str, object], secret: str = SECRET) -> bytes:
    return f"Bearer {jwt.encode(claims, secret, algorithm='HS256')}".encode()


def _signed_with_header(header: dict[str, str]) -> bytes:
    """A token whose HS256 signature is right but whose header says something else."""
    parts = [json.dumps(part).encode() for part in (header, {"sub": "7", "exp": int(time.time()) + 3600})]
    signing_input = b".".join(base64.urlsafe_b64encode(part).rstrip(b"=") for part in parts)
    signature = base64.urlsafe_b64encode(hmac.new(KEY, signing_input, hashlib.sha256).digest()).rstrip(b"=")
    return b"Bearer " + signing_input + b"." + signature


def _claims(**changes: object) -> dict[str, object]:
    claims: dict[str, object] = {"sub": "7", "ver": 3, "exp": datetime.now(UTC) + timedelta(hours=1)}
    claims.update(changes)
    return {key: value for key, value in claims.items() if value is not None}


def test_the_reference_accepts_a_valid_token() -> None:
    assert backend_reference.token_user(_header(_claims()), KEY) == (7, 3)
    assert backend_reference.token_user(_signed_with_header({"alg": "HS256", "typ": "JWT"}), KEY) == (7, 0)
    assert backend_reference.token_user(_header(_claims(ver=None)), KEY) == (7, 0)  # tokens before versions


@pytest.mark.parametrize(
    "authorization",
    [
        pytest.param(
            _header(_claims(), secret="another-secret-0123456789abcdefghijklmnop"), id="other-secret"
        ),
        pytest.param(_header(_claims())[:-3] + b"abc", id="tampered-signature"),
        pytest.param(_header(_claims(exp=int(time.time()) - 1)), id="expired"),
        pytest.param(_header(_claims(exp=None)), id="no-exp"),
        pytest.param(_header(_claims(sub="x7")), id="sub-not-a-number"),
        pytest.param(_header(_claims(sub=str(2**31))), id="sub-out-of-range"),
        pytest.param(_header(_claims(ver=True)), id="ver-a-boolean"),
        pytest.param(_signed_with_header({"alg": "none", "typ": "JWT"}), id="alg-none"),
        pytest.param(_header(_claims()).replace(b"Bearer", b"Basic"), id="not-bearer"),
        pytest.param(b"Bearer not.a.token", id="garbage"),
        pytest.param(b"", id="missing"),
    ],
)
def test_the_reference_refuses_what_the_backend_refuses(authorization: bytes) -> None:
    assert backend_reference.token_user(authorization, KEY) is None


WRK_OUTPUT = """Running 5s test @ http://127.0.0.1:1234/api/tasks
  2 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    30.10ms   12.00ms 200.00ms   80.00%
  5210 requests in 5.01s, 98.76MB read
  Socket errors: connect 0, read 0, write 0, timeout 3
  Non-2xx or 3xx responses: 2
Requests/sec:   1039.92
Transfer/sec:     19.71MB
PERCENTILES-US 28123 45001 61234
"""


def test_wrk_output_parses() -> None:
    result = backend_bench.parse_wrk(WRK_OUTPUT)
    assert result == {
        "rps": 1039.92,
        "requests": 5210.0,
        "p50_ms": 28.123,
        "p95_ms": 45.001,
        "p99_ms": 61.234,
        "non_2xx": 2.0,
        "socket_errors": 3.0,
    }


def test_wrk_output_without_percentiles_is_an_error() -> None:
    with pytest.raises(ValueError, match="percentiles"):
        backend_bench.parse_wrk(WRK_OUTPUT.replace("PERCENTILES-US", "P"))


PROBED_APP = """
import asyncio, gc

async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    if scope["path"] == "/collect":
        gc.collect()  # a full collection inside a request: the probe must see a generation-2 pause
    await asyncio.sleep(0.02)  # 20 ms inside the app
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})
"""


@pytest.mark.parametrize("path", ["/collect", "/plain"])
def test_the_latency_probe_sees_time_in_the_app_and_full_collections(tmp_path: Path, path: str) -> None:
    """benchmarks/latency_probe inside a real uvicorn: 20 ms in the app show as the app's time, and a full
    collection per request as generation-2 pauses; a server that collects nothing shows none (so the GC
    column can tell the two apart)."""
    (tmp_path / "probed_app.py").write_text(PROBED_APP)
    server = backend_bench.start_server(
        "probed", "probed_app:app", free_port(), {}, tmp_path, ["--app-dir", str(tmp_path)], "/", probe=True
    )
    try:
        backend_bench.probe_reset(server)
        for _ in range(5):
            assert httpx.get(f"{server.base}{path}", timeout=10).status_code == 200
        figures = backend_bench.probe_read(server, seconds=1.0)
    finally:
        server.daemon.stop(timeout=30)
    assert 19 <= figures["app_p50_ms"] < 1000, figures
    if path == "/collect":
        assert figures["gc2_per_s"] >= 5, figures
        assert figures["gc2_max_ms"] > 0, figures
    else:
        assert figures["gc2_per_s"] == 0, figures
