"""harness/http_client.py: one SSL context per process, still verifying like httpx's default, and every httpx
call of harness/ and steps/ goes through it (or names its own `verify`)."""

from __future__ import annotations

import ast
import ssl
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest

from harness import http_client
from harness.paths import REPO
from harness.tls import self_signed, ssl_context
from tests.tls_server import OK, serve

# module-level httpx calls that build a client (and so an SSL context) of their own
CLIENT_MAKERS = {
    "Client",
    "AsyncClient",
    "get",
    "post",
    "put",
    "patch",
    "delete",
    "head",
    "options",
    "request",
}
CLIENT_MAKERS |= {"stream"}
SOURCES = [
    path
    for layer in ("harness", "steps")
    for path in sorted((REPO / layer).rglob("*.py"))
    if path != Path(http_client.__file__)
]


def unshared_clients(source: str, name: str = "<source>") -> list[str]:
    """Each call of an httpx client maker without a `verify=` keyword: `name:line: httpx.maker`. The maker is
    reached through the module under any name (`import httpx as hx`; `hx.get(...)`) or imported by name under
    any alias (`from httpx import Client as C`; `C(...)`)."""
    tree = ast.parse(source)
    modules: set[str] = set()  # names bound to the httpx module
    makers: dict[str, str] = {}  # names bound to one of its client makers -> the maker
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules |= {alias.asname or alias.name for alias in node.names if alias.name == "httpx"}
        elif isinstance(node, ast.ImportFrom) and node.module == "httpx":
            makers |= {
                alias.asname or alias.name: alias.name for alias in node.names if alias.name in CLIENT_MAKERS
            }
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or any(k.arg == "verify" for k in node.keywords):
            continue
        func = node.func
        if (
            isinstance(func, ast.Attribute)
            and isinstance(func.value, ast.Name)
            and func.value.id in modules
            and func.attr in CLIENT_MAKERS
        ):
            found.append(f"{name}:{node.lineno}: httpx.{func.attr}")
        elif isinstance(func, ast.Name) and func.id in makers:
            found.append(f"{name}:{node.lineno}: httpx.{makers[func.id]}")
    return found


def test_no_httpx_call_of_the_harness_makes_an_ssl_context_of_its_own() -> None:
    found = [
        hit for path in SOURCES for hit in unshared_clients(path.read_text(), str(path.relative_to(REPO)))
    ]
    assert not found, "use harness.http_client (or pass verify=): " + "; ".join(found)


@pytest.mark.parametrize(
    "seeded",
    [
        "import httpx\nhttpx.get('http://127.0.0.1:1/')\n",
        "import httpx\nwith httpx.Client(timeout=3) as c:\n    pass\n",
        "import httpx\nhttpx.AsyncClient()\n",
        "import httpx\nhttpx.post('http://x', json={})\n",
        "import httpx as hx\nhx.Client()\n",
        "from httpx import Client\nClient(timeout=1)\n",
        "from httpx import AsyncClient as Async\nAsync()\n",
        "from httpx import get as fetch\nfetch('http://x')\n",
    ],
)
def test_the_scan_finds_a_client_that_makes_its_own_context(seeded: str) -> None:
    assert unshared_clients(seeded), seeded


def test_the_scan_passes_clients_that_name_their_verification() -> None:
    assert not unshared_clients("import httpx\nhttpx.get('https://x', verify=ctx)\nhttpx.Response(200)\n")
    assert not unshared_clients("from httpx import Client, Response\nClient(verify=ctx)\nResponse(200)\n")
    # a name that is not bound to httpx is not httpx's, whatever it is called
    assert not unshared_clients("import requests\nrequests.get('http://x')\nClient()\n")


def test_the_context_is_made_once_for_any_number_of_clients(monkeypatch: pytest.MonkeyPatch) -> None:
    http_client.default_verify.cache_clear()
    made: list[int] = []
    real = httpx.create_ssl_context

    def counting(*args: Any, **kwargs: Any) -> ssl.SSLContext:
        made.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(httpx, "create_ssl_context", counting)
    try:
        for _ in range(5):
            http_client.client(timeout=1).close()
        assert len(made) == 1, f"{len(made)} SSL contexts for 5 clients"
    finally:
        http_client.default_verify.cache_clear()


def test_the_shared_context_still_refuses_a_certificate_no_public_ca_signed() -> None:
    """Seeded: a server whose certificate only the run's own CA signed. The shared context (httpx's default
    verification) refuses it; the same request with that CA gets its answer."""
    bundle = self_signed("127.0.0.1")
    port: list[int] = []
    ready = threading.Event()
    thread = threading.Thread(target=serve, args=(bundle, port, ready, 2, OK), daemon=True)
    thread.start()
    assert ready.wait(10)
    url = f"https://127.0.0.1:{port[0]}/"
    with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        http_client.get(url, timeout=5)
    assert http_client.get(url, timeout=5, verify=ssl_context(bundle)).text == "ok"
    thread.join(10)
