"""harness/tcp_proxy.py, the proxy the backend's restart tests put between the app and Postgres. Its one
job is to hold back a server's EOF while passing its last bytes; these tests show it does that and no more."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from harness.tcp_proxy import ClosingDelayProxy

pytestmark = pytest.mark.anyio

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def _says_bye_and_closes(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await reader.readexactly(5)  # "hello"
    writer.write(b"bye")
    await writer.drain()
    writer.close()


async def _proxied(handler: Handler) -> AsyncIterator[tuple[ClosingDelayProxy, asyncio.Server]]:
    server = await asyncio.start_server(handler, "127.0.0.1", 0)
    async with ClosingDelayProxy(("127.0.0.1", server.sockets[0].getsockname()[1])) as proxy:
        yield proxy, server
    server.close()


async def _eof_within(reader: asyncio.StreamReader, seconds: float) -> bool:
    try:
        return await asyncio.wait_for(reader.read(1), seconds) == b""
    except TimeoutError:
        return False


async def test_without_a_hold_the_servers_bytes_and_eof_pass_at_once() -> None:
    async for proxy, _ in _proxied(_says_bye_and_closes):
        reader, writer = await asyncio.open_connection("127.0.0.1", proxy.port)
        writer.write(b"hello")
        assert await asyncio.wait_for(reader.readexactly(3), 5) == b"bye"
        assert await _eof_within(reader, 2)
        assert proxy.held == 0
        writer.close()


async def test_a_held_eof_comes_when_the_client_writes_again_or_at_release() -> None:
    async for proxy, _ in _proxied(_says_bye_and_closes):
        proxy.hold_closes()
        first, second = [await asyncio.open_connection("127.0.0.1", proxy.port) for _ in range(2)]
        for reader, writer in (first, second):
            writer.write(b"hello")
            assert await asyncio.wait_for(reader.readexactly(3), 5) == b"bye"  # the last bytes pass
        assert not await _eof_within(first[0], 0.5)  # the EOF does not
        assert proxy.held == 2
        first[1].write(b"next query")
        assert await _eof_within(first[0], 2)  # writing again brings it, as from a server that is gone
        assert not await _eof_within(second[0], 0.3)
        proxy.release_closes()
        assert await _eof_within(second[0], 2)
        for _, writer in (first, second):
            writer.close()


async def test_a_client_that_closes_ends_its_server_session() -> None:
    ended = asyncio.Event()

    async def waits_for_eof(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()  # until EOF
        ended.set()
        writer.close()

    async for proxy, _ in _proxied(waits_for_eof):
        _, writer = await asyncio.open_connection("127.0.0.1", proxy.port)
        writer.close()
        await asyncio.wait_for(ended.wait(), 5)
