"""A loopback HTTP server whose first connections fail the way a pod that is shutting down fails its pooled
keep-alive connections; used by the frontend's and the chatbot's resend tests (one rule in two clients)."""

from __future__ import annotations

import asyncio
import socket
import struct

OK = b'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 11\r\n\r\n{"ok": 1}\r\n'


async def serve(drops: int, how: str) -> tuple[asyncio.Server, list[int]]:
    """A server whose first `drops` connections read the request's head and then close ("close": no answer at
    all), reset ("reset": RST, the body unread, as a shutting-down uvicorn does) or answer half and reset
    ("cut": the head of a 200 and part of its body); later connections answer 200. Returns the server and
    a list that grows by one per request seen."""
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

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    return server, seen


async def serve_answer(answer: bytes | None) -> tuple[asyncio.Server, list[bytes]]:
    """A server that records each request's head and answers every request with `answer` (raw HTTP, on a
    connection it keeps open), or never answers (None). Returns the server and the list of heads seen."""
    heads: list[bytes] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                heads.append(head)
                length = next(
                    (
                        int(line.split(b":")[1])
                        for line in head.lower().split(b"\r\n")
                        if line.startswith(b"content-length:")
                    ),
                    0,
                )
                await reader.readexactly(length)
                if answer is None:
                    await reader.read()  # until the client gives up and closes
                    return
                writer.write(answer)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    return server, heads
