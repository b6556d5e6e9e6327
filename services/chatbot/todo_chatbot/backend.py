"""The one HTTP client to the backend: every task operation is a backend call with the user's own token.

Calls go through one pooled `aiohttp` session (about a quarter of the CPU of httpx per call: a chat turn makes
one or two, benchmarks/chat_bench.py). `transport` instead sends them through httpx to that transport (the
tests' in-process backend, `httpx.ASGITransport`). Both clients feed one resend rule (`BackendClient._send`)
through the two ways an attempt can fail: nothing of an answer came, or the answer was cut off."""

from __future__ import annotations

import time
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import aiohttp
import httpx
import orjson

Task = dict[str, Any]
IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
# seconds each backend write (POST/PATCH/DELETE) of the current chat turn took (the turn sets a fresh list)
TURN_WRITES: ContextVar[list[float] | None] = ContextVar("turn_writes", default=None)
# Pooled connections are dropped after 2 s idle, before uvicorn's own keep-alive timeout (5 s) closes them
# from its side (aiohttp's default, 15 s, would reuse connections the server is closing), as the frontend's.
KEEPALIVE_EXPIRY_S = 2.0
JSON = {"Content-Type": "application/json"}


class BackendUnauthorized(Exception):
    """The backend rejected the user's token (missing, expired or tampered)."""


class BackendNotFound(Exception):
    """No such task for this user (deleted meanwhile, or never existed)."""


class BackendRejected(Exception):
    """The backend refused the change (4xx); the message says why."""


class BackendUnavailable(Exception):
    """The backend could not be reached or failed (timeout, connection refused, 5xx)."""


class NoAnswer(Exception):
    """Not one byte of an answer came (refused, closed or reset): the request cannot have been processed."""


class CutOff(Exception):
    """The answer began and was cut off: the request was processed."""


@dataclass
class Reply:
    status_code: int
    content: bytes

    def json(self) -> Any:
        return orjson.loads(self.content)

    @property
    def text(self) -> str:
        return self.content.decode(errors="replace")


class _Aiohttp:
    """One attempt through the pooled aiohttp session (made on first use: it belongs to the running loop)."""

    def __init__(self, base_url: str, timeout: float) -> None:
        self.base_url = base_url
        # as httpx's `timeout=` was: each of the pool wait + connect and each read bounded, not the whole call
        self.timeout = aiohttp.ClientTimeout(
            total=None, connect=timeout, sock_connect=timeout, sock_read=timeout
        )
        self._session: aiohttp.ClientSession | None = None

    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                timeout=self.timeout,
                connector=aiohttp.TCPConnector(limit=100, keepalive_timeout=KEEPALIVE_EXPIRY_S),
                cookie_jar=aiohttp.DummyCookieJar(),  # users' calls share the pool: never their cookies
                skip_auto_headers=("Content-Type",),  # none unless a body says what it is
            )
            # the resend rule is BackendClient._send's alone: aiohttp would otherwise send an idempotent
            # request once more itself first (the switch aiohttp's own test client turns off the same way)
            self._session._retry_connection = False
        return self._session

    async def attempt(
        self,
        method: str,
        path: str,
        headers: dict[str, str],
        params: dict[str, str] | None,
        body: bytes | None,
        timeout: float | None = None,
    ) -> Reply:
        bound = aiohttp.ClientTimeout(total=timeout) if timeout else self.timeout
        try:
            response = await self.session().request(
                method,
                self.base_url + path,
                headers=headers,
                params=params,
                data=body,
                allow_redirects=False,
                timeout=bound,
            )
        except TimeoutError:  # aiohttp's timeouts are connection errors too, but never sent again
            raise
        except aiohttp.ClientConnectionError as exc:  # refused, closed or reset before an answer
            raise NoAnswer(f"{type(exc).__name__}: {exc}") from exc
        try:
            return Reply(response.status, await response.read())
        except TimeoutError:
            raise
        except (aiohttp.ClientPayloadError, aiohttp.ClientConnectionError) as exc:
            raise CutOff(f"{type(exc).__name__}: {exc}") from exc
        finally:
            response.release()

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()


class _Httpx:
    """One attempt through httpx to `transport` (tests: the backend app in-process)."""

    def __init__(self, base_url: str, timeout: float, transport: httpx.AsyncBaseTransport) -> None:
        self.client = httpx.AsyncClient(base_url=base_url, timeout=timeout, transport=transport)

    async def attempt(
        self,
        method: str,
        path: str,
        headers: dict[str, str],
        params: dict[str, str] | None,
        body: bytes | None,
        timeout: float | None = None,
    ) -> Reply:
        bound = httpx.Timeout(timeout) if timeout else self.client.timeout
        request = self.client.build_request(
            method, path, headers=headers, params=params, content=body, timeout=bound
        )
        try:
            response = await self.client.send(request, stream=True)
        except (httpx.ConnectError, httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError) as exc:
            raise NoAnswer(f"{type(exc).__name__}: {exc}") from exc
        try:
            return Reply(response.status_code, await response.aread())
        except (httpx.RemoteProtocolError, httpx.ReadError) as exc:
            raise CutOff(f"{type(exc).__name__}: {exc}") from exc
        finally:
            await response.aclose()

    async def aclose(self) -> None:
        await self.client.aclose()


# everything else an attempt can raise: a timeout, or a transport failure that is no NoAnswer or CutOff
FAILURES = (aiohttp.ClientError, httpx.HTTPError, TimeoutError)


class BackendClient:
    def __init__(
        self, base_url: str, timeout: float = 5.0, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        base_url = base_url.rstrip("/")
        # one shared session pools connections; `transport` lets tests run the backend in-process
        self._http: _Aiohttp | _Httpx = (
            _Aiohttp(base_url, timeout) if transport is None else _Httpx(base_url, timeout, transport)
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _call(
        self, method: str, path: str, token: str, json: Any = None, params: dict[str, str] | None = None
    ) -> Reply:
        started = time.perf_counter()
        headers = {"Authorization": f"Bearer {token}"}
        if json is not None:
            headers.update(JSON)
        try:
            response = await self._send(
                method, path, headers, params, orjson.dumps(json) if json is not None else None
            )
        except (NoAnswer, CutOff, *FAILURES) as exc:
            raise BackendUnavailable(f"{type(exc).__name__}: {exc}") from exc
        finally:
            writes = TURN_WRITES.get()
            if method != "GET" and writes is not None:
                writes.append(time.perf_counter() - started)
        if response.status_code == 401:
            raise BackendUnauthorized(_detail(response))
        if response.status_code == 404:
            raise BackendNotFound(_detail(response))
        if response.status_code >= 500:
            raise BackendUnavailable(f"backend answered {response.status_code} to {method} {path}")
        if response.status_code >= 400:
            raise BackendRejected(_detail(response))
        return response

    async def _send(
        self,
        method: str,
        path: str,
        headers: dict[str, str],
        params: dict[str, str] | None,
        body: bytes | None,
    ) -> Reply:
        """The request, sent once more when it cannot have been processed. A backend pod that is shutting
        down (a rollout, a scale-down) closes its pooled keep-alive connections, and a request sent on one
        that moment is never read: the server closes it ("disconnected without a response") or resets it with
        the request unread. Sent again on a new connection whatever its method; an answer that began and was
        cut off was processed, so only an idempotent request is sent again. The frontend's rule, the same
        reason (a chat turn once failed with 503 when a scale-down's old pod closed the connection)."""
        for attempt in (1, 2):
            try:
                return await self._http.attempt(method, path, headers, params, body)
            except NoAnswer:
                if attempt == 2:
                    raise
            except CutOff:
                if attempt == 2 or method.upper() not in IDEMPOTENT:
                    raise
        raise AssertionError("unreachable: the second attempt returns or raises")  # pragma: no cover

    async def me(self, token: str) -> dict[str, Any]:
        return (await self._call("GET", "/api/auth/me", token)).json()

    async def list_tasks(self, token: str) -> list[Task]:
        """All the user's tasks: the chatbot filters them itself, as it needs the whole list to resolve."""
        return (await self._call("GET", "/api/tasks", token, params={"status": "all"})).json()

    async def create_task(self, token: str, **fields: Any) -> Task:
        return (await self._call("POST", "/api/tasks", token, json=fields)).json()

    async def update_task(self, token: str, number: int, **fields: Any) -> Task:
        return (await self._call("PATCH", f"/api/tasks/{number}", token, json=fields)).json()

    async def restore_task(self, token: str, number: int, **fields: Any) -> Task:
        """Put a deleted task back under its own number (undo); the backend refuses a number in use."""
        return (await self._call("POST", f"/api/tasks/{number}/restore", token, json=fields)).json()

    async def delete_task(self, token: str, number: int) -> None:
        await self._call("DELETE", f"/api/tasks/{number}", token)

    async def clear_completed(self, token: str) -> list[int]:
        response = await self._call("DELETE", "/api/tasks", token, params={"status": "completed"})
        return list(response.json().get("deleted", []))

    async def health(self) -> str:
        """'ok', or why the backend is not reachable (for the readiness report)."""
        try:
            response = await self._http.attempt("GET", "/api/health", {}, None, None, timeout=2.0)
        except (NoAnswer, CutOff, *FAILURES) as exc:
            cause = exc.__cause__ if isinstance(exc, NoAnswer | CutOff) and exc.__cause__ else exc
            return f"unreachable: {type(cause).__name__}"
        return "ok" if response.status_code == 200 else f"answered {response.status_code}"


def _detail(response: Reply) -> str:
    try:
        detail = response.json().get("detail")
    except (ValueError, AttributeError):
        return response.text[:200]
    if isinstance(detail, list):  # FastAPI validation errors
        return "; ".join(str(item.get("msg", item)) for item in detail if isinstance(item, dict)) or str(
            detail
        )
    return str(detail)
