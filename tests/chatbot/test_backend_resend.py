"""The chatbot's backend client against a real socket that drops the first connection, as a backend pod that
is shutting down drops its keep-alive connections: the request is sent once more when it cannot have been
processed (no byte of an answer came: closed or reset), an answer cut off is sent again only for an idempotent
method, and a second failure is still BackendUnavailable (the chat turn's 503)."""

from __future__ import annotations

import asyncio
import socket
import struct

import pytest
from todo_chatbot.backend import BackendClient, BackendUnavailable

pytestmark = pytest.mark.anyio

OK = b'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 11\r\n\r\n{"ok": 1}\r\n'


async def serve(drops: int, how: str) -> tuple[asyncio.Server, list[int]]:
    """The first `drops` connections read the request's head, then close ("close"), reset ("reset": RST with
    the request unread) or send half an answer and reset ("cut"); later ones answer 200."""
    seen: list[int] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        seen.append(1)
        if len(seen) <= drops:
            if how == "cut":
                writer.write(OK[:-6])
                await writer.drain()
            if how in ("reset", "cut"):
                sock = writer.get_extra_info("socket")
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            writer.close()
            return
        writer.write(OK)
        await writer.drain()
        writer.close()

    return await asyncio.start_server(handle, "127.0.0.1", 0), seen


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
