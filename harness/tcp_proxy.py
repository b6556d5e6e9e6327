"""A loopback TCP proxy that can hold back the end of a connection, for component tests of what a client
does with a connection its server has just ended.

    async with ClosingDelayProxy(("127.0.0.1", pg.port)) as proxy:   # listens on 127.0.0.1:proxy.port
        proxy.hold_closes()      # a connection the server closes: its last bytes reach the client, its
        ...                      # EOF only when the client writes again: it sees Postgres's FATAL alone
        proxy.release_closes()   # the held EOFs reach their clients

When PostgreSQL ends a session (a restart, `pg_terminate_backend`) it sends an ErrorResponse and closes the
socket. A pooled connection whose event loop has read the message but not yet the EOF is not "closed" to the
driver, yet cannot run a query. In a real run that window is one event-loop turn wide; the proxy makes it as
wide as a test needs, so the test fails every time on code that does not handle it. The EOF still comes as
soon as the client writes to the connection again (a new query, or closing it), as it would from a real
server that has gone. asyncio's streams are
enough for this; a general fault-injection proxy (toxiproxy) would be one more binary to build for one case.
"""

from __future__ import annotations

import asyncio
import contextlib
from types import TracebackType

_CHUNK = 65536


class ClosingDelayProxy:
    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.port = 0
        self._server: asyncio.Server | None = None
        self._released = asyncio.Event()
        self._released.set()
        self._tasks: set[asyncio.Task[None]] = set()
        self.held = 0  # connections whose server side ended while closes were held

    def hold_closes(self) -> None:
        self._released.clear()

    def release_closes(self) -> None:
        self._released.set()

    async def __aenter__(self) -> ClosingDelayProxy:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(
        self, _type: type[BaseException] | None, _exc: BaseException | None, _tb: TracebackType | None
    ) -> None:
        self.release_closes()
        assert self._server is not None
        self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._server.wait_closed()

    async def _serve(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        try:
            server_reader, server_writer = await asyncio.open_connection(*self.upstream)
        except OSError:
            client_writer.close()
            return
        server_ended = asyncio.Event()
        client_spoke_after = asyncio.Event()  # the client wrote after the server had ended: the EOF is due

        async def to_server() -> None:
            with contextlib.suppress(ConnectionError):
                while data := await client_reader.read(_CHUNK):
                    if server_ended.is_set():
                        client_spoke_after.set()
                        return
                    server_writer.write(data)
                    await server_writer.drain()
            server_writer.close()  # the client went away: so does its server session

        async def to_client() -> None:
            with contextlib.suppress(ConnectionError):
                while data := await server_reader.read(_CHUNK):
                    client_writer.write(data)
                    await client_writer.drain()
            server_ended.set()
            if not self._released.is_set():
                self.held += 1
                released = asyncio.create_task(self._released.wait())
                spoke = asyncio.create_task(client_spoke_after.wait())
                try:
                    await asyncio.wait((released, spoke), return_when=asyncio.FIRST_COMPLETED)
                finally:
                    released.cancel()
                    spoke.cancel()

        pumps = (asyncio.create_task(to_server()), asyncio.create_task(to_client()))
        self._tasks.update(pumps)
        try:
            # the proxy closing cancels the pumps: not an error of the session
            with contextlib.suppress(asyncio.CancelledError):
                await pumps[1]  # the client's side ends when the server's has (after any hold)
        finally:
            pumps[0].cancel()
            for writer in (server_writer, client_writer):
                writer.close()
            self._tasks.difference_update(pumps)
