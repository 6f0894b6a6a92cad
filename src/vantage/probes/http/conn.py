"""One non-blocking client socket driven by the running loop, with kernel receive timestamps.

Kept below asyncio's transports on purpose: transports call `recv`, which drops the ancillary data
carrying `SO_TIMESTAMPNS`, and they add a protocol/transport layer the probe does not need. Works
on any loop that implements `add_reader`/`add_writer` (the stdlib selector loop and uvloop).
"""

from __future__ import annotations

import asyncio
import errno
import socket
import ssl
import struct
import sys
import time
from typing import Any

from vantage.probes.http import errors

# Python 3.11 does not export these. On Linux SO_TIMESTAMPNS (the "old" variant, 35) yields a
# native `struct timespec`, which on the 64-bit platforms we run on is two int64s.
SO_TIMESTAMPNS: int | None = getattr(
    socket, "SO_TIMESTAMPNS", 35 if sys.platform == "linux" else None
)
_TIMESPEC = struct.Struct("@qq")
_ANC_SIZE = socket.CMSG_SPACE(_TIMESPEC.size)
_RECV_SIZE = 65536
# Linux `struct tcp_info`: tcpi_rtt (microseconds) and tcpi_total_retrans are u32 at these offsets.
_TCP_INFO = getattr(socket, "TCP_INFO", 11)
_TCP_INFO_SIZE = 104
_TCPI_RTT = 68
_TCPI_TOTAL_RETRANS = 100
_U32 = struct.Struct("=I")

_perf = time.perf_counter


def _wake(fut: asyncio.Future[None]) -> None:
    if not fut.done():
        fut.set_result(None)


class Conn:
    """A connected (or connecting) TCP socket, optionally wrapped in TLS through memory BIOs.

    `last_kernel_ts` is the CLOCK_REALTIME arrival time of the newest bytes handed out by `read`,
    or None when the kernel gave no timestamp; `last_user_ts` is `perf_counter()` when `read`
    got them.
    """

    __slots__ = (
        "_fd",
        "_incoming",
        "_loop",
        "_outer",
        "_outgoing",
        "_raw_kernel_ts",
        "_tls",
        "last_kernel_ts",
        "last_user_ts",
        "sock",
    )

    def __init__(self, loop: asyncio.AbstractEventLoop, sock: socket.socket) -> None:
        self._loop = loop
        self.sock = sock
        self._fd = sock.fileno()
        self._tls: ssl.SSLObject | None = None
        self._incoming: ssl.MemoryBIO | None = None
        self._outgoing: ssl.MemoryBIO | None = None
        # The TLS session with an HTTPS proxy, under the target's (TLS in TLS): None without one
        self._outer: Conn | None = None
        self._raw_kernel_ts: float | None = None
        self.last_kernel_ts: float | None = None
        self.last_user_ts = 0.0

    @staticmethod
    def open(family: int) -> socket.socket:
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.setblocking(False)
            if SO_TIMESTAMPNS is not None:
                sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        except BaseException:
            sock.close()
            raise
        return sock

    async def _wait_readable(self) -> None:
        fut: asyncio.Future[None] = self._loop.create_future()
        self._loop.add_reader(self._fd, _wake, fut)
        try:
            await fut
        finally:
            self._loop.remove_reader(self._fd)

    async def _wait_writable(self) -> None:
        fut: asyncio.Future[None] = self._loop.create_future()
        self._loop.add_writer(self._fd, _wake, fut)
        try:
            await fut
        finally:
            self._loop.remove_writer(self._fd)

    async def connect(self, addr: Any) -> None:
        """Non-blocking connect; our own rather than `loop.sock_connect`, which on uvloop
        resolves the address again even when it is already numeric."""
        try:
            rc = self.sock.connect_ex(addr)
            if rc in (errno.EINPROGRESS, errno.EAGAIN, errno.EALREADY):
                await self._wait_writable()
                rc = self.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if rc != 0:
                # OSError(errno, ...) builds the specific subclass (ConnectionRefusedError, ...)
                raise OSError(rc, errno.errorcode.get(rc, str(rc)))
        except OSError as exc:
            raise errors.connect_error(addr, exc) from None

    def handshake_rtt(self) -> float | None:
        """The kernel's round-trip time of the TCP handshake, in seconds, or None when it has no
        trustworthy one (not Linux, or the SYN was retransmitted)."""
        try:
            info = self.sock.getsockopt(socket.IPPROTO_TCP, _TCP_INFO, _TCP_INFO_SIZE)
        except (OSError, AttributeError):
            return None
        if len(info) < _TCP_INFO_SIZE:
            return None
        rtt_us = _U32.unpack_from(info, _TCPI_RTT)[0]
        retransmitted = _U32.unpack_from(info, _TCPI_TOTAL_RETRANS)[0]
        if rtt_us == 0 or retransmitted:
            return None
        return float(rtt_us) / 1e6

    # -- raw socket -----------------------------------------------------------------------------

    async def _recv_raw(self, wait: bool = False) -> bytes:
        """Next bytes from the socket (b"" at EOF); records their kernel arrival time."""
        sock = self.sock
        if wait:
            await self._wait_readable()
        while True:
            try:
                data, anc, _flags, _addr = sock.recvmsg(_RECV_SIZE, _ANC_SIZE)
            except (BlockingIOError, InterruptedError):
                await self._wait_readable()
                continue
            except OSError as exc:
                raise errors.io_error("read", exc) from None
            ts: float | None = None
            for _level, _type, cdata in anc:
                if len(cdata) >= _TIMESPEC.size:
                    sec, nsec = _TIMESPEC.unpack_from(cdata)
                    ts = sec + nsec * 1e-9
            self._raw_kernel_ts = ts
            return data

    async def _send_raw(self, data: bytes | memoryview) -> None:
        view = memoryview(data)
        sock = self.sock
        while view:
            try:
                n = sock.send(view)
            except (BlockingIOError, InterruptedError):
                await self._wait_writable()
                continue
            except OSError as exc:
                raise errors.io_error("write", exc) from None
            view = view[n:]

    # -- TLS ------------------------------------------------------------------------------------

    async def start_tls(self, context: ssl.SSLContext, server_hostname: str) -> None:
        """TLS over the connection; on one that already speaks TLS (to an HTTPS proxy, whose
        CONNECT tunnel now leads to the target) the new session runs inside the first."""
        if self._tls is not None:
            outer = Conn(self._loop, self.sock)
            outer._tls, outer._incoming, outer._outgoing = self._tls, self._incoming, self._outgoing
            self._outer = outer
            self._tls = self._incoming = self._outgoing = None
        incoming = ssl.MemoryBIO()
        outgoing = ssl.MemoryBIO()
        tls = context.wrap_bio(
            incoming, outgoing, server_side=False, server_hostname=server_hostname
        )
        # The client's Finished and the request go out as separate writes: without NODELAY the
        # second waits for the server's delayed ACK
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        while True:
            try:
                tls.do_handshake()
                break
            except ssl.SSLWantReadError:
                await self._flush_tls(outgoing)
                data = await self._recv_below()
                if data:
                    incoming.write(data)
                else:
                    incoming.write_eof()
            except ssl.SSLError as exc:
                raise errors.tls_error(exc) from None
        await self._flush_tls(outgoing)
        self._tls, self._incoming, self._outgoing = tls, incoming, outgoing

    async def _flush_tls(self, outgoing: ssl.MemoryBIO) -> None:
        if outgoing.pending:
            await self._send_below(outgoing.read())

    async def _recv_below(self, wait: bool = False) -> bytes:
        """What lies under this TLS session: the socket, or the proxy's TLS session."""
        outer = self._outer
        if outer is None:
            return await self._recv_raw(wait)
        data = await outer.read(wait)
        self._raw_kernel_ts = outer._raw_kernel_ts
        return data

    async def _send_below(self, data: bytes | memoryview) -> None:
        outer = self._outer
        if outer is None:
            await self._send_raw(data)
        else:
            await outer.send(bytes(data))

    # -- plaintext API --------------------------------------------------------------------------

    async def send(self, data: bytes) -> None:
        tls = self._tls
        if tls is None:
            await self._send_raw(data)
            return
        assert self._outgoing is not None
        try:
            tls.write(data)
        except ssl.SSLError as exc:
            raise errors.tls_error(exc) from None
        await self._flush_tls(self._outgoing)

    async def read(self, wait: bool = False) -> bytes:
        """Next plaintext bytes, b"" at EOF; stamps `last_kernel_ts` / `last_user_ts`.

        `wait` first waits for readability, for callers that know nothing can have arrived yet.
        """
        tls = self._tls
        if tls is None:
            data = await self._recv_raw(wait)
            self.last_user_ts = _perf()
            self.last_kernel_ts = self._raw_kernel_ts
            return data
        incoming, outgoing = self._incoming, self._outgoing
        assert incoming is not None and outgoing is not None
        while True:
            try:
                data = tls.read(_RECV_SIZE)
            except ssl.SSLWantReadError:
                raw = await self._recv_below(wait)
                wait = False
                if raw:
                    incoming.write(raw)
                else:
                    incoming.write_eof()
                continue
            except (ssl.SSLZeroReturnError, ssl.SSLEOFError):
                # Many servers close without close_notify once the response is complete
                data = b""
            except ssl.SSLError as exc:
                raise errors.tls_error(exc) from None
            if outgoing.pending:
                # Post-handshake messages (key update) may need an answer
                await self._flush_tls(outgoing)
            # The TLS record that produced these bytes finished arriving with the last raw read
            self.last_user_ts = _perf()
            self.last_kernel_ts = self._raw_kernel_ts
            return data

    def peer_certificate(self) -> bytes | None:
        """The DER of the certificate the TLS peer presented (the target's, not a proxy's), as
        the handshake left it: read, never verified again (a `skipSSL` run has one too)."""
        if self._tls is None:
            return None
        try:
            return self._tls.getpeercert(binary_form=True)
        except (ValueError, ssl.SSLError):
            # A session the peer broke off after the handshake (TLS 1.3: a client certificate
            # refused once the client thought it was done) no longer says.
            return None

    def close(self) -> None:
        self.sock.close()
