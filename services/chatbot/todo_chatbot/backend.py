"""The one HTTP client to the backend: every task operation is a backend call with the user's own token."""

from __future__ import annotations

import time
from contextvars import ContextVar
from typing import Any

import httpx

Task = dict[str, Any]
IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
# seconds each backend write (POST/PATCH/DELETE) of the current chat turn took (the turn sets a fresh list)
TURN_WRITES: ContextVar[list[float] | None] = ContextVar("turn_writes", default=None)


class BackendUnauthorized(Exception):
    """The backend rejected the user's token (missing, expired or tampered)."""


class BackendNotFound(Exception):
    """No such task for this user (deleted meanwhile, or never existed)."""


class BackendRejected(Exception):
    """The backend refused the change (4xx); the message says why."""


class BackendUnavailable(Exception):
    """The backend could not be reached or failed (timeout, connection refused, 5xx)."""


class BackendClient:
    def __init__(
        self, base_url: str, timeout: float = 5.0, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        # one shared client pools connections; `transport` lets tests run the backend in-process
        self._client = httpx.AsyncClient(base_url=base_url.rstrip("/"), timeout=timeout, transport=transport)

    async def aclose(self) -> None:
        await self._client.aclose()

    async def _call(self, method: str, path: str, token: str, **kwargs: Any) -> httpx.Response:
        started = time.perf_counter()
        try:
            response = await self._send(method, path, headers={"Authorization": f"Bearer {token}"}, **kwargs)
        except httpx.HTTPError as exc:
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

    async def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """The request, sent once more when it cannot have been processed. A backend pod that is shutting
        down (a rollout, a scale-down) closes its pooled keep-alive connections, and a request sent on one
        that moment is never read: the server closes it ("disconnected without a response") or resets it with
        the request unread. Sent again on a new connection whatever its method; an answer that began and was
        cut off was processed, so only an idempotent request is sent again. The frontend's rule, the same
        reason (a chat turn once failed with 503 when a scale-down's old pod closed the connection)."""
        request = self._client.build_request(method, path, **kwargs)
        for attempt in (1, 2):
            try:
                response = await self._client.send(request, stream=True)
            except (httpx.ConnectError, httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError):
                if attempt == 2:
                    raise
                continue
            try:
                await response.aread()
            except (httpx.RemoteProtocolError, httpx.ReadError):
                await response.aclose()
                if attempt == 2 or method.upper() not in IDEMPOTENT:
                    raise
                continue
            return response
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
            response = await self._client.get("/api/health", timeout=2.0)
        except httpx.HTTPError as exc:
            return f"unreachable: {type(exc).__name__}"
        return "ok" if response.status_code == 200 else f"answered {response.status_code}"


def _detail(response: httpx.Response) -> str:
    try:
        detail = response.json().get("detail")
    except ValueError:
        return response.text[:200]
    if isinstance(detail, list):  # FastAPI validation errors
        return "; ".join(str(item.get("msg", item)) for item in detail if isinstance(item, dict)) or str(
            detail
        )
    return str(detail)
