"""A benchmark target that knows when each request really arrived: uvloop, raw non-blocking sockets,
`recvmsg` + `SO_TIMESTAMPNS`, one fresh connection per request (`Connection: close`).

- `GET /ok`: `{"ok":true}` at once.
- `GET /hold?ms=N`: answers N ms after the request's first bytes reached the kernel, never early,
  with `X-Held-Ms` = its own `time.time()` right before `send` minus that kernel receive time
  (`X-Held-Clock: kernel`; `user` if the kernel gave no timestamp). Timer lateness does not matter:
  the header says how long the request was really held.
- `GET /stats`: `{"served": N}`, the requests answered so far (not counting `/stats`).

Event-driven on purpose (asyncio transports call `recv`, which drops the timestamp): every
connection is a file descriptor with a reader callback, so hundreds in flight cost no threads.

    python -m benchmarks.hold_target --port 9000 [--cpu 1]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import socket
import struct
import sys
import time

import uvloop

SO_TIMESTAMPNS: int | None = getattr(
    socket, "SO_TIMESTAMPNS", 35 if sys.platform == "linux" else None
)
_TIMESPEC = struct.Struct("@qq")
_ANC_SIZE = socket.CMSG_SPACE(_TIMESPEC.size)
_OK_BODY = b'{"ok":true}'
_HOLD_BODY = b'{"held":true}'


def _response(body: bytes, extra: str = "") -> bytes:
    head = (
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n{extra}Connection: close\r\n\r\n"
    )
    return head.encode("latin-1") + body


_OK = _response(_OK_BODY)
_NOT_FOUND = b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"


class _Conn:
    __slots__ = ("buf", "received", "sock", "stamped")

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buf = b""
        self.received = 0.0  # CLOCK_REALTIME seconds of the request's first bytes
        self.stamped = False


class HoldServer:
    def __init__(self, loop: asyncio.AbstractEventLoop, listener: socket.socket) -> None:
        self.loop = loop
        self.listener = listener
        self.conns: dict[int, _Conn] = {}
        self.served = 0

    def start(self) -> None:
        self.loop.add_reader(self.listener.fileno(), self._accept)

    def _accept(self) -> None:
        while True:
            try:
                sock, _addr = self.listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                return  # EMFILE and friends: the client sees a refused or reset connection
            sock.setblocking(False)
            if SO_TIMESTAMPNS is not None:
                sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
            fd = sock.fileno()
            self.conns[fd] = _Conn(sock)
            self.loop.add_reader(fd, self._readable, fd)

    def _close(self, fd: int) -> None:
        conn = self.conns.pop(fd, None)
        if conn is not None:
            self.loop.remove_reader(fd)
            conn.sock.close()

    def _readable(self, fd: int) -> None:
        conn = self.conns.get(fd)
        if conn is None:
            return
        try:
            data, anc, _flags, _addr = conn.sock.recvmsg(65536, _ANC_SIZE)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            self._close(fd)
            return
        if not data:
            self._close(fd)
            return
        if not conn.buf:
            conn.received = time.time()
            for _level, _type, cdata in anc:
                if len(cdata) >= _TIMESPEC.size:
                    sec, nsec = _TIMESPEC.unpack_from(cdata)
                    conn.received = sec + nsec * 1e-9
                    conn.stamped = True
        conn.buf += data
        if b"\r\n\r\n" not in conn.buf:
            return
        self.loop.remove_reader(fd)
        line = conn.buf.split(b"\r\n", 1)[0].split(b" ")
        target = line[1] if len(line) > 1 else b"/"
        path, _, query = target.partition(b"?")
        if path == b"/hold":
            ms = 100.0
            for pair in query.split(b"&"):
                key, _, value = pair.partition(b"=")
                if key == b"ms":
                    ms = float(value)
            delay = conn.received + ms / 1000.0 - time.time()
            self.loop.call_later(max(0.0, delay), self._answer_held, fd)
        elif path == b"/ok":
            self._send(fd, _OK)
        elif path == b"/stats":
            self._send(fd, _response(f'{{"served":{self.served}}}'.encode()), count=False)
        else:
            self._send(fd, _NOT_FOUND)

    def _answer_held(self, fd: int) -> None:
        conn = self.conns.get(fd)
        if conn is None:
            return
        now = time.time()
        held_ms = (now - conn.received) * 1000.0
        clock = "kernel" if conn.stamped else "user"
        extra = f"X-Held-Ms: {held_ms:.4f}\r\nX-Held-Clock: {clock}\r\n"
        self._send(fd, _response(_HOLD_BODY, extra))

    def _send(self, fd: int, payload: bytes, *, count: bool = True) -> None:
        conn = self.conns.get(fd)
        if conn is None:
            return
        self.served += count
        try:
            sent = conn.sock.send(payload)
        except OSError:
            self._close(fd)
            return
        if sent == len(payload):
            self._close(fd)
            return
        # a small answer on a fresh connection always fits; finish it blocking if it ever does not
        conn.sock.setblocking(True)
        with contextlib.suppress(OSError):
            conn.sock.sendall(payload[sent:])
        self._close(fd)


async def serve(port: int) -> None:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if SO_TIMESTAMPNS is not None:
        listener.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
    listener.bind(("127.0.0.1", port))
    listener.listen(4096)
    listener.setblocking(False)
    server = HoldServer(asyncio.get_running_loop(), listener)
    server.start()
    print(f"hold target listening on 127.0.0.1:{port}", flush=True)
    await asyncio.Event().wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=9000)
    parser.add_argument("--cpu", type=int, default=None, help="pin to this CPU")
    args = parser.parse_args()
    if args.cpu is not None and (os.cpu_count() or 1) > args.cpu:
        os.sched_setaffinity(0, {args.cpu})
    uvloop.run(serve(args.port))


if __name__ == "__main__":
    main()
