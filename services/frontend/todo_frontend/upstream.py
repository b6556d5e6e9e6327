"""The one HTTP client to the backend and the chatbot, shared by the pages and the /api proxy."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import httpx

from todo_frontend.config import Settings

log = logging.getLogger("todo_frontend.upstream")

# Pooled connections are dropped after 2 s idle, before uvicorn's own keep-alive timeout (5 s) closes them
# from its side: otherwise a request sent on a connection the server is closing that moment fails.
KEEPALIVE_EXPIRY_S = 2.0
# Methods sent once more when their answer was cut off (see `request`)
IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})


class UpstreamUnavailable(Exception):
    """The backend or chatbot could not be reached (connection refused, DNS, timeout) or failed.

    `reason` is for people and may be shown: it never names internal URLs or driver errors (those go to the
    log)."""

    def __init__(self, service: str, reason: str, *, timed_out: bool = False) -> None:
        self.service = service
        self.reason = reason
        self.timed_out = timed_out
        super().__init__(f"{service} unavailable: {reason}")


def client_headers(client_host: str | None, proxy_token: str) -> dict[str, str]:
    """X-Forwarded-For naming only the address this frontend saw (uvicorn already resolved trusted proxies
    in front of it), with the proxy token that makes the backend and chatbot believe it: a client's own
    X-Forwarded-For is never passed on, so their per-address limits cannot be dodged by sending one."""
    if not client_host:
        return {}
    headers = {"x-forwarded-for": client_host}
    if proxy_token:
        headers["x-proxy-token"] = proxy_token
    return headers


class Upstreams:
    def __init__(self, settings: Settings, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.backend_url = settings.backend_url.rstrip("/")
        self.chatbot_url = settings.chatbot_url.rstrip("/")
        self.proxy_token = settings.proxy_token.get_secret_value()
        self._timeout = httpx.Timeout(settings.upstream_timeout_seconds, connect=5.0)
        self._transport = transport
        self.client = httpx.AsyncClient(
            timeout=self._timeout,
            transport=transport,
            limits=httpx.Limits(
                max_connections=100, max_keepalive_connections=20, keepalive_expiry=KEEPALIVE_EXPIRY_S
            ),  # httpx's defaults, but the expiry
        )

    def service_for(self, path: str) -> tuple[str, str]:
        """(name, base URL) of the service owning an /api path: /api/chat… goes to the chatbot."""
        if path == "/api/chat" or path.startswith("/api/chat/"):
            return "chatbot", self.chatbot_url
        return "backend", self.backend_url

    async def request(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        client_host: str | None = None,
        json: Any = None,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        content: bytes | None = None,
    ) -> httpx.Response:
        service, base = self.service_for(path)
        all_headers = {**(headers or {}), **client_headers(client_host, self.proxy_token)}
        if token and not any(k.lower() == "authorization" for k in all_headers):
            all_headers["Authorization"] = f"Bearer {token}"
        request = self.client.build_request(
            method, base + path, json=json, params=params, headers=all_headers, content=content
        )
        try:
            for attempt in (1, 2):
                try:
                    response = await self.client.send(request, stream=True)
                except (
                    httpx.ConnectError,
                    httpx.RemoteProtocolError,
                    httpx.ReadError,
                    httpx.WriteError,
                ) as exc:
                    # No byte of an answer came. A pod that is shutting down (a rollout, a scale-down)
                    # closes its pooled keep-alive connections, and a request sent on one that moment is
                    # never read: the server closes it (FIN: "disconnected without a response") or, with
                    # the request's bytes still unread in its socket, resets it (RST). Either way it was not
                    # processed, so it is sent once more, on a new connection, whatever its method (as
                    # browsers resend on a reused connection). A second failure is reported.
                    if attempt == 2:
                        raise
                    log.info(
                        "%s %s%s: %s before any answer, sent once more",
                        method,
                        base,
                        path,
                        type(exc).__name__,
                    )
                    continue
                try:
                    await response.aread()
                except (httpx.RemoteProtocolError, httpx.ReadError):
                    # the answer began and was cut off: the request was processed; only an idempotent one
                    # may be sent again
                    await response.aclose()
                    if attempt == 2 or method.upper() not in IDEMPOTENT:
                        raise
                    log.info("%s %s%s: answer cut off, sent once more", method, base, path)
                    continue
                return response
            raise AssertionError("unreachable: the second attempt returns or raises")  # pragma: no cover
        except httpx.TimeoutException as exc:
            log.warning("%s %s%s: no answer in time", method, base, path)
            raise UpstreamUnavailable(service, "no answer in time", timed_out=True) from exc
        except httpx.TransportError as exc:
            log.warning("%s %s%s: %s: %s", method, base, path, type(exc).__name__, exc)
            raise UpstreamUnavailable(service, "unreachable") from exc

    async def probe(self, path: str) -> httpx.Response:
        """GET on a new connection, as a new client would be served now: a pooled keep-alive connection can
        still reach a backend pod that has left the Service (unready, or replaced), so it would tell nothing
        about whether the Service can serve. Raises UpstreamUnavailable like `request`."""
        if self._transport is not None:  # an in-process app (tests): there is no Service to go through
            return await self.request("GET", path)
        service, base = self.service_for(path)
        try:
            async with httpx.AsyncClient(timeout=self._timeout) as client:
                return await client.get(base + path, headers={"connection": "close"})
        except httpx.TimeoutException as exc:
            raise UpstreamUnavailable(service, "no answer in time", timed_out=True) from exc
        except httpx.TransportError as exc:
            raise UpstreamUnavailable(service, "unreachable") from exc

    async def aclose(self) -> None:
        await self.client.aclose()
