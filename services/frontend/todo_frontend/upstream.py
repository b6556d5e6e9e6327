"""The one HTTP client to the backend and the chatbot, shared by the pages and the /api proxy.

Requests go through one pooled `aiohttp` session (about a quarter of the CPU of httpx per request: every
chat turn and every page passes here, benchmarks/chat_bench.py); answers are handed on as `httpx.Response`
objects. `transport` instead sends them through httpx to that transport (tests: an in-process app or a mock).
Both feed one resend rule (`Upstreams.request`) through the two ways an attempt can fail: nothing of an
answer came, or the answer was cut off."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import aiohttp
import httpx
import orjson
from starlette.datastructures import ImmutableMultiDict

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


class NoAnswer(Exception):
    """Not one byte of an answer came (refused, closed or reset): the request cannot have been processed."""


class CutOff(Exception):
    """The answer began and was cut off: the request was processed."""


class _Aiohttp:
    """One attempt through the pooled aiohttp session (made on first use: it belongs to the running loop)."""

    def __init__(self, timeout: float) -> None:
        # as httpx.Timeout(timeout, connect=5) was: the pool wait and each read bounded by `timeout`, the
        # TCP connect by 5 s; not the whole request
        self.timeout = aiohttp.ClientTimeout(total=None, connect=timeout, sock_connect=5.0, sock_read=timeout)
        self._session: aiohttp.ClientSession | None = None

    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = new_session(
                self.timeout, aiohttp.TCPConnector(limit=100, keepalive_timeout=KEEPALIVE_EXPIRY_S)
            )
        return self._session

    async def attempt(
        self, method: str, url: str, headers: dict[str, str], params: Any, body: bytes | None
    ) -> httpx.Response:
        try:
            response = await self.session().request(
                method, url, headers=headers, params=params, data=body, allow_redirects=False
            )
        except TimeoutError:  # aiohttp's timeouts are connection errors too, but never sent again
            raise
        except aiohttp.ClientConnectionError as exc:  # refused, closed or reset before an answer
            raise NoAnswer(f"{type(exc).__name__}: {exc}") from exc
        try:
            content = await response.read()
        except TimeoutError:
            raise
        except (aiohttp.ClientPayloadError, aiohttp.ClientConnectionError) as exc:
            raise CutOff(f"{type(exc).__name__}: {exc}") from exc
        finally:
            response.release()
        # the raw header lines keep repeated headers (several Set-Cookie) in order
        return httpx.Response(response.status, headers=list(response.raw_headers), content=content)

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()


def new_session(timeout: aiohttp.ClientTimeout, connector: aiohttp.TCPConnector) -> aiohttp.ClientSession:
    session = aiohttp.ClientSession(
        timeout=timeout,
        connector=connector,
        cookie_jar=aiohttp.DummyCookieJar(),  # the users' requests share the pool: never their cookies
        auto_decompress=False,  # the answer goes on as it came (httpx.Response decodes it when read)
        skip_auto_headers=("Content-Type",),  # none unless the request's own headers say it
    )
    # the resend rule is Upstreams.request's alone: aiohttp would otherwise send an idempotent request once
    # more itself first (the switch aiohttp's own test client turns off the same way)
    session._retry_connection = False
    return session


class _Httpx:
    """One attempt through httpx to `transport` (tests: an in-process app or a mock of the upstreams)."""

    def __init__(self, timeout: float, transport: httpx.AsyncBaseTransport) -> None:
        self.client = httpx.AsyncClient(timeout=httpx.Timeout(timeout, connect=5.0), transport=transport)

    async def attempt(
        self, method: str, url: str, headers: dict[str, str], params: Any, body: bytes | None
    ) -> httpx.Response:
        request = self.client.build_request(method, url, params=params, headers=headers, content=body)
        try:
            response = await self.client.send(request, stream=True)
        except (httpx.ConnectError, httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError) as exc:
            raise NoAnswer(f"{type(exc).__name__}: {exc}") from exc
        try:
            await response.aread()
        except (httpx.RemoteProtocolError, httpx.ReadError) as exc:
            await response.aclose()
            raise CutOff(f"{type(exc).__name__}: {exc}") from exc
        return response

    async def aclose(self) -> None:
        await self.client.aclose()


class Upstreams:
    def __init__(self, settings: Settings, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.backend_url = settings.backend_url.rstrip("/")
        self.chatbot_url = settings.chatbot_url.rstrip("/")
        self.proxy_token = settings.proxy_token.get_secret_value()
        self._timeout = settings.upstream_timeout_seconds
        self._transport = transport
        self._http: _Aiohttp | _Httpx = (
            _Aiohttp(self._timeout) if transport is None else _Httpx(self._timeout, transport)
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
        if json is not None:
            content = orjson.dumps(json)
            all_headers["Content-Type"] = "application/json"
        # every value of a repeated query parameter (a Starlette QueryParams keeps them all)
        query = params.multi_items() if isinstance(params, ImmutableMultiDict) else params
        try:
            for attempt in (1, 2):
                try:
                    return await self._http.attempt(method, base + path, all_headers, query, content or None)
                except NoAnswer as exc:
                    # No byte of an answer came. A pod that is shutting down (a rollout, a scale-down)
                    # closes its pooled keep-alive connections, and a request sent on one that moment is
                    # never read: the server closes it (FIN: "disconnected without a response") or, with
                    # the request's bytes still unread in its socket, resets it (RST). Either way it was not
                    # processed, so it is sent once more, on a new connection, whatever its method (as
                    # browsers resend on a reused connection). A second failure is reported.
                    if attempt == 2:
                        raise
                    log.info("%s %s%s: %s before any answer, sent once more", method, base, path, exc)
                except CutOff:
                    # the answer began and was cut off: the request was processed; only an idempotent one
                    # may be sent again
                    if attempt == 2 or method.upper() not in IDEMPOTENT:
                        raise
                    log.info("%s %s%s: answer cut off, sent once more", method, base, path)
            raise AssertionError("unreachable: the second attempt returns or raises")  # pragma: no cover
        except (TimeoutError, httpx.TimeoutException) as exc:
            log.warning("%s %s%s: no answer in time", method, base, path)
            raise UpstreamUnavailable(service, "no answer in time", timed_out=True) from exc
        except (NoAnswer, CutOff, aiohttp.ClientError, httpx.TransportError) as exc:
            log.warning("%s %s%s: %s: %s", method, base, path, type(exc).__name__, exc)
            raise UpstreamUnavailable(service, "unreachable") from exc

    async def probe(self, path: str) -> httpx.Response:
        """GET on a new connection, as a new client would be served now: a pooled keep-alive connection can
        still reach a backend pod that has left the Service (unready, or replaced), so it would tell nothing
        about whether the Service can serve. Raises UpstreamUnavailable like `request`."""
        if self._transport is not None:  # an in-process app (tests): there is no Service to go through
            return await self.request("GET", path)
        service, base = self.service_for(path)
        timeout = aiohttp.ClientTimeout(
            total=None, connect=self._timeout, sock_connect=5.0, sock_read=self._timeout
        )
        try:
            async with (
                new_session(timeout, aiohttp.TCPConnector(force_close=True)) as session,
                session.get(base + path, allow_redirects=False) as response,
            ):
                content = await response.read()
                return httpx.Response(response.status, headers=list(response.raw_headers), content=content)
        except TimeoutError as exc:
            raise UpstreamUnavailable(service, "no answer in time", timed_out=True) from exc
        except aiohttp.ClientError as exc:
            raise UpstreamUnavailable(service, "unreachable") from exc

    async def aclose(self) -> None:
        await self._http.aclose()
