"""The chatbot's backend client against a real socket that drops the first connection, as a backend pod that
is shutting down drops its keep-alive connections: the request is sent once more when it cannot have been
processed (no byte of an answer came: closed or reset), an answer cut off is sent again only for an idempotent
method, and a second failure is still BackendUnavailable (the chat turn's 503)."""

from __future__ import annotations

import asyncio

import pytest
from todo_chatbot.backend import BackendClient, BackendUnavailable

from tests.dropping_server import serve, serve_answer

pytestmark = pytest.mark.anyio


async def call(server: asyncio.Server, method: str) -> int:
    client = BackendClient(f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}")
    try:
        response = await client._call(method, "/api/tasks", "token", json={} if method == "POST" else None)
        return response.status_code
    finally:
        await client.aclose()


@pytest.mark.parametrize("how", ["close", "reset"])
@pytest.mark.parametrize("method", ["GET", "POST", "PATCH", "DELETE"])
async def test_a_request_no_byte_of_whose_answer_came_is_sent_once_more(method: str, how: str) -> None:
    server, seen = await serve(drops=1, how=how)
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
        with pytest.raises(BackendUnavailable):
            await call(server, "POST")  # processed, perhaps: never twice
    assert len(seen) == 1


async def test_a_second_failure_is_reported() -> None:
    server, seen = await serve(drops=2, how="close")
    async with server:
        with pytest.raises(BackendUnavailable):
            await call(server, "GET")
    assert len(seen) == 2


def _client_of(server: asyncio.Server, timeout: float = 5.0) -> BackendClient:
    # a host name, as in the cluster (a cookie jar keeps no cookies of a bare IP address)
    return BackendClient(f"http://localhost:{server.sockets[0].getsockname()[1]}", timeout)


async def test_a_timeout_is_reported_and_not_sent_again() -> None:
    """A backend that takes the request and never answers: one BackendUnavailable after the timeout, the
    request not sent a second time (aiohttp's timeouts are also connection errors: they must not be read
    as "no answer came")."""
    server, heads = await serve_answer(None)
    async with server:
        client = _client_of(server, timeout=0.3)
        try:
            with pytest.raises(BackendUnavailable):
                await client.list_tasks("token")
        finally:
            await client.aclose()
    assert len(heads) == 1


SET_COOKIE = (
    b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nset-cookie: session=of-user-one; Path=/\r\n"
    b"content-length: 2\r\n\r\n[]"
)


async def test_no_cookie_of_one_users_call_goes_with_anothers() -> None:
    """All users' calls share one pooled session: a cookie the backend sets on one answer is never sent back
    (each call carries only its own user's token)."""
    server, heads = await serve_answer(SET_COOKIE)
    async with server:
        client = _client_of(server)
        try:
            assert await client.list_tasks("token-of-user-one") == []
            assert await client.list_tasks("token-of-user-two") == []
        finally:
            await client.aclose()
    assert len(heads) == 2
    assert b"cookie" not in heads[1].lower().replace(b"set-cookie", b""), heads[1]
    assert b"Bearer token-of-user-two" in heads[1]
