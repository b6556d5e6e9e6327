"""The frontend's upstream client against a real socket that drops the first connection, as a pod that is
shutting down drops its keep-alive connections: the request is sent once more when it cannot have been
processed (no byte of an answer came: closed or reset), an answer cut off is sent again only for an
idempotent method, and a second failure is still a 502."""

from __future__ import annotations

import asyncio

import pytest
from todo_frontend.config import Settings
from todo_frontend.upstream import Upstreams, UpstreamUnavailable

from tests.dropping_server import serve, serve_answer

pytestmark = pytest.mark.anyio


async def call(server: asyncio.Server, method: str) -> int:
    port = server.sockets[0].getsockname()[1]
    upstreams = Upstreams(Settings(backend_url=f"http://127.0.0.1:{port}", chatbot_url="http://unused:1"))
    try:
        response = await upstreams.request(method, "/api/tasks", json={} if method == "POST" else None)
        return response.status_code
    finally:
        await upstreams.aclose()


@pytest.mark.parametrize("method", ["GET", "POST", "DELETE"])
async def test_a_connection_closed_without_an_answer_is_sent_once_more(method: str) -> None:
    server, seen = await serve(drops=1, how="close")
    async with server:
        assert await call(server, method) == 200
    assert len(seen) == 2


@pytest.mark.parametrize("method", ["GET", "POST", "DELETE"])
async def test_a_reset_before_any_answer_is_sent_once_more(method: str) -> None:
    """The server reset the connection with the request unread (what a shutting-down pod does to a request
    sent on a pooled connection that moment): it was not processed, so even a POST is sent again."""
    server, seen = await serve(drops=1, how="reset")
    async with server:
        assert await call(server, method) == 200
    assert len(seen) == 2


async def test_an_answer_cut_off_is_sent_once_more_only_for_idempotent_methods() -> None:
    server, seen = await serve(drops=1, how="cut")
    async with server:
        assert await call(server, "GET") == 200
    assert len(seen) == 2
    server, seen = await serve(drops=1, how="cut")
    async with server:
        with pytest.raises(UpstreamUnavailable, match="unreachable"):
            await call(server, "POST")  # its answer had begun: it was processed, so it is not sent twice
    assert len(seen) == 1


async def test_a_second_failure_is_reported_not_retried_again() -> None:
    server, seen = await serve(drops=5, how="close")
    async with server:
        with pytest.raises(UpstreamUnavailable, match="unreachable"):
            await call(server, "GET")
    assert len(seen) == 2


def _upstreams_of(server: asyncio.Server, timeout: float = 60.0) -> Upstreams:
    # a host name, as in the cluster (a cookie jar keeps no cookies of a bare IP address)
    url = f"http://localhost:{server.sockets[0].getsockname()[1]}"
    return Upstreams(Settings(backend_url=url, chatbot_url=url, upstream_timeout_seconds=timeout))


async def test_a_timeout_is_a_504_and_not_sent_again() -> None:
    server, heads = await serve_answer(None)  # takes the request, never answers
    async with server:
        upstreams = _upstreams_of(server, timeout=0.3)
        try:
            with pytest.raises(UpstreamUnavailable) as raised:
                await upstreams.request("GET", "/api/tasks")
        finally:
            await upstreams.aclose()
    assert raised.value.timed_out and raised.value.reason == "no answer in time"
    assert len(heads) == 1


REDIRECT = (
    b"HTTP/1.1 302 Found\r\nlocation: /api/elsewhere\r\n"
    b"set-cookie: a=1; Path=/\r\nset-cookie: b=2; Path=/\r\ncontent-length: 0\r\n\r\n"
)


async def test_an_answer_goes_on_as_it_came_redirects_and_repeated_headers_included() -> None:
    """A redirect is the browser's to follow (not the proxy's), every Set-Cookie of an answer is handed on,
    and no cookie of one user's answer is sent with the next request (the pool is shared by all users)."""
    server, heads = await serve_answer(REDIRECT)
    async with server:
        upstreams = _upstreams_of(server)
        try:
            first = await upstreams.request("GET", "/api/tasks", token="user-one")
            await upstreams.request("POST", "/api/chat", token="user-two", json={"message": "hi"})
        finally:
            await upstreams.aclose()
    assert first.status_code == 302 and first.headers["location"] == "/api/elsewhere"
    assert first.headers.get_list("set-cookie") == ["a=1; Path=/", "b=2; Path=/"]
    assert len(heads) == 2, heads  # the redirect was not followed
    assert heads[1].startswith(b"POST /api/chat ")
    assert b"cookie" not in heads[1].lower(), heads[1]
    assert b"Bearer user-two" in heads[1] and b"application/json" in heads[1]
