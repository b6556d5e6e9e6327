"""The frontend's upstream client against a real socket that drops the first connection, as a pod that is
shutting down drops its keep-alive connections: the request is sent once more when it cannot have been
processed (no byte of an answer came: closed or reset), an answer cut off is sent again only for an
idempotent method, and a second failure is still a 502."""

from __future__ import annotations

import asyncio

import pytest
from todo_frontend.config import Settings
from todo_frontend.upstream import Upstreams, UpstreamUnavailable

from tests.dropping_server import serve

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
