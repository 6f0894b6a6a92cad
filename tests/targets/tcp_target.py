"""A real TCP server on loopback for probe tests, one behaviour per instance.

Modes:
- `echo`: sends back whatever arrives, until the client closes.
- `banner`: greets with `BANNER` on connect, then echoes.
- `slow`: waits `delay` seconds after connect, sends `SLOW_REPLY`, then echoes.
- `silent`: accepts and never says anything.
- `flood`: sends `FLOOD_BYTES` at once, then stays open.
- `closing`: accepts and closes at once (a clean FIN).
- `reset`: accepts and aborts the connection (an RST), for ECONNRESET.

It listens on 127.0.0.1 and, when the machine has IPv6 loopback, on ::1 with the same port.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import socket
import struct
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Literal

Mode = Literal["echo", "banner", "slow", "silent", "flood", "closing", "reset"]

BANNER = b"220 vantage-test ESMTP ready\r\n"
SLOW_REPLY = b"slow hello\n"
FLOOD_BYTES = 1024 * 1024


@dataclass(slots=True)
class TcpTarget:
    port: int
    ipv6: bool
    host: str = "127.0.0.1"
    connections: int = 0
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)


@contextlib.asynccontextmanager
async def tcp_target(mode: Mode, *, delay: float = 0.5) -> AsyncIterator[TcpTarget]:
    sockets = _listening_sockets()
    target = TcpTarget(port=sockets[0].getsockname()[1], ipv6=len(sockets) > 1)

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        target.connections += 1
        task = asyncio.current_task()
        assert task is not None
        target._tasks.add(task)
        try:
            await _serve(mode, delay, reader, writer)
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            target._tasks.discard(task)
            writer.close()

    servers = [await asyncio.start_server(handle, sock=sock) for sock in sockets]
    try:
        yield target
    finally:
        for server in servers:
            server.close()
        for task in list(target._tasks):
            task.cancel()
        for server in servers:
            await server.wait_closed()


@contextlib.contextmanager
def refusing_port(host: str = "127.0.0.1") -> Iterator[int]:
    """A port that is bound but not listening: connects are refused, and nobody else can take it."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        yield int(sock.getsockname()[1])


async def _serve(
    mode: Mode, delay: float, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    if mode == "closing":
        return
    if mode == "reset":
        sock = writer.get_extra_info("socket")
        # SO_LINGER with a zero timeout makes close() send RST instead of FIN.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        writer.transport.abort()
        return
    if mode == "silent":
        await reader.read()
        return
    if mode == "flood":
        writer.write(b"x" * FLOOD_BYTES)
    if mode == "banner":
        writer.write(BANNER)
    if mode == "slow":
        await asyncio.sleep(delay)
        writer.write(SLOW_REPLY)
    await writer.drain()
    while chunk := await reader.read(65536):
        writer.write(chunk)
        await writer.drain()


def _listening_sockets() -> list[socket.socket]:
    """127.0.0.1 on a free port, plus ::1 on the same port when IPv6 loopback works."""
    for _ in range(20):
        v4 = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        v4.bind(("127.0.0.1", 0))
        v4.listen(64)
        v6 = _bind_v6(v4.getsockname()[1])
        if v6 is not False:
            return [v4] if v6 is None else [v4, v6]
        v4.close()
    raise RuntimeError("no port free on both 127.0.0.1 and ::1")


def _bind_v6(port: int) -> socket.socket | None | Literal[False]:
    """The ::1 socket; None when the machine has no IPv6 loopback; False when the port is taken."""
    if not socket.has_ipv6:
        return None
    try:
        v6 = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    except OSError:
        return None
    try:
        v6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        v6.bind(("::1", port))
        v6.listen(64)
    except OSError as exc:
        v6.close()
        return False if exc.errno == errno.EADDRINUSE else None
    return v6
