"""A fast HTTP/1.1 target for benchmarks: uvloop, `Connection: close`, answers `/ok` at once and
`/delay?ms=N` after N ms. Run: python -m benchmarks.target --port 9000 [--cpu 1]."""

from __future__ import annotations

import argparse
import asyncio
import os
from typing import cast

import uvloop

OK = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n"
    b'Connection: close\r\n\r\n{"ok":true}'
)


class Handler(asyncio.Protocol):
    def __init__(self) -> None:
        self.buffer = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses, but behave as one.
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if b"\r\n\r\n" not in self.buffer:
            return
        line = self.buffer.split(b"\r\n", 1)[0]
        path = line.split(b" ")[1] if b" " in line else b"/"
        if path.startswith(b"/delay"):
            ms = int(path.rsplit(b"=", 1)[-1] or b"0")
            asyncio.get_running_loop().call_later(ms / 1000, self._answer)
        else:
            self._answer()

    def _answer(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(OK)
            self.transport.close()


async def serve(port: int) -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(Handler, "127.0.0.1", port, backlog=4096)
    print(f"target listening on 127.0.0.1:{port}", flush=True)
    async with server:
        await server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=9000)
    parser.add_argument("--cpu", type=int, default=None, help="pin to this CPU")
    args = parser.parse_args()
    if args.cpu is not None:
        os.sched_setaffinity(0, {args.cpu})
    uvloop.run(serve(args.port))


if __name__ == "__main__":
    main()
