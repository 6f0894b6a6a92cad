"""A real authoritative DNS server for `vantage.test.` on 127.0.0.1, over UDP and TCP (same port).

Built on dnspython's message API. Behaviour by name:

- the records in `RECORDS` (every type the DNS check supports), CNAMEs chased like a server does;
- `slow.vantage.test.` answers after `slow_delay` seconds;
- `big.vantage.test.` has a TXT answer too large for a datagram, so UDP answers are truncated (TC);
- `servfail.vantage.test.` answers SERVFAIL;
- other names in the zone get NXDOMAIN (a known name without the asked type: NOERROR, no answer),
  with the SOA in the authority section; names outside the zone get REFUSED.

Every query is logged in `DnsTarget.queries` as `(protocol, name, type)`.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import socket
import struct
from collections.abc import AsyncIterator, Coroutine, Iterator
from dataclasses import dataclass, field
from typing import Any, cast

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset

ZONE = dns.name.from_text("vantage.test.")
SLOW_NAME = dns.name.from_text("slow.vantage.test.")
SERVFAIL_NAME = dns.name.from_text("servfail.vantage.test.")
_LONG_TEXT = " ".join(f'"{"v" * 200}{i}"' for i in range(8))

# (name, ttl, type, rdatas)
RECORDS: list[tuple[str, int, str, list[str]]] = [
    (
        "vantage.test.",
        3600,
        "SOA",
        ["ns1.vantage.test. hostmaster.vantage.test. 1 7200 900 86400 60"],
    ),
    ("vantage.test.", 3600, "NS", ["ns1.vantage.test.", "ns2.vantage.test."]),
    ("vantage.test.", 300, "MX", ["10 mail.vantage.test.", "20 backup.vantage.test."]),
    ("vantage.test.", 300, "TXT", ['"v=spf1 -all"']),
    ("vantage.test.", 300, "HTTPS", ['1 . alpn="h2,h3"']),
    ("www.vantage.test.", 300, "A", ["192.0.2.10", "192.0.2.11"]),
    ("www.vantage.test.", 300, "AAAA", ["2001:db8::10"]),
    ("alias.vantage.test.", 120, "CNAME", ["www.vantage.test."]),
    ("mail.vantage.test.", 300, "A", ["192.0.2.25"]),
    ("slow.vantage.test.", 300, "A", ["192.0.2.99"]),
    ("servfail.vantage.test.", 300, "A", ["192.0.2.1"]),
    ("big.vantage.test.", 300, "TXT", [_LONG_TEXT]),
]


def _zone() -> dict[tuple[dns.name.Name, int], dns.rrset.RRset]:
    zone = {}
    for name, ttl, rdtype, rdatas in RECORDS:
        rrset = dns.rrset.from_text_list(name, ttl, "IN", rdtype, rdatas)
        zone[(rrset.name, int(rrset.rdtype))] = rrset
    return zone


@dataclass(slots=True)
class DnsTarget:
    port: int
    slow_delay: float
    host: str = "127.0.0.1"
    queries: list[tuple[str, str, str]] = field(default_factory=list)
    _zone: dict[tuple[dns.name.Name, int], dns.rrset.RRset] = field(default_factory=_zone)
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    async def respond(self, query: dns.message.Message, protocol: str) -> dns.message.Message:
        question = query.question[0]
        self.queries.append(
            (protocol, question.name.to_text(), dns.rdatatype.to_text(question.rdtype))
        )
        if question.name == SLOW_NAME:
            await asyncio.sleep(self.slow_delay)
        return self.answer(query)

    def answer(self, query: dns.message.Message) -> dns.message.Message:
        response = dns.message.make_response(query)
        question = query.question[0]
        name, rdtype = question.name, int(question.rdtype)
        if not name.is_subdomain(ZONE):
            response.set_rcode(dns.rcode.REFUSED)
            return response
        response.flags |= dns.flags.AA
        if name == SERVFAIL_NAME:
            response.set_rcode(dns.rcode.SERVFAIL)
            return response
        if not any(known == name for known, _ in self._zone):
            response.set_rcode(dns.rcode.NXDOMAIN)
            response.authority.append(self._soa())
            return response
        while True:
            rrset = self._zone.get((name, rdtype))
            if rrset is not None:
                response.answer.append(rrset)
                return response
            cname = self._zone.get((name, dns.rdatatype.CNAME))
            if cname is None:
                response.authority.append(self._soa())
                return response
            response.answer.append(cname)
            name = cname[0].target

    def _soa(self) -> dns.rrset.RRset:
        return self._zone[(ZONE, dns.rdatatype.SOA)]

    def spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


class _UdpProtocol(asyncio.DatagramProtocol):
    def __init__(self, target: DnsTarget) -> None:
        self.target = target
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str | int, int]) -> None:
        self.target.spawn(self._reply(data, addr))

    async def _reply(self, data: bytes, addr: tuple[str | int, int]) -> None:
        query = dns.message.from_wire(data)
        response = await self.target.respond(query, "UDP")
        limit = query.payload if query.edns >= 0 else 512
        assert self.transport is not None
        self.transport.sendto(_datagram(response, limit), addr)


def _datagram(response: dns.message.Message, limit: int) -> bytes:
    """The answer as one datagram; an answer that does not fit goes out empty with TC set."""
    try:
        return response.to_wire(max_size=limit)
    except dns.exception.TooBig:
        response.answer.clear()
        response.authority.clear()
        response.additional.clear()
        response.flags |= dns.flags.TC
        return response.to_wire(max_size=limit)


async def _serve_tcp(
    target: DnsTarget, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    # RFC 7766: each message carries a two-byte length; a client may send several per connection.
    try:
        while True:
            (length,) = struct.unpack("!H", await reader.readexactly(2))
            query = dns.message.from_wire(await reader.readexactly(length))
            # A TCP answer may use the whole 64 KiB, whatever the EDNS payload size says.
            wire = (await target.respond(query, "TCP")).to_wire(max_size=65535)
            writer.write(struct.pack("!H", len(wire)) + wire)
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


@contextlib.asynccontextmanager
async def dns_target(*, slow_delay: float = 0.5) -> AsyncIterator[DnsTarget]:
    tcp_sock, udp_sock = _sockets()
    target = DnsTarget(port=tcp_sock.getsockname()[1], slow_delay=slow_delay)
    loop = asyncio.get_running_loop()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        target._tasks.add(task)
        try:
            await _serve_tcp(target, reader, writer)
        except asyncio.CancelledError:
            # Ending quietly: asyncio's stream callback logs a cancelled handler as an error.
            pass
        finally:
            target._tasks.discard(task)

    server = await asyncio.start_server(handle, sock=tcp_sock)
    transport, _ = await loop.create_datagram_endpoint(lambda: _UdpProtocol(target), sock=udp_sock)
    try:
        yield target
    finally:
        transport.close()
        server.close()
        for task in list(target._tasks):
            task.cancel()
        await asyncio.gather(*target._tasks, return_exceptions=True)
        await server.wait_closed()


def _sockets() -> tuple[socket.socket, socket.socket]:
    """A listening TCP socket and a UDP socket on the same free port of 127.0.0.1."""
    for _ in range(20):
        tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        tcp.bind(("127.0.0.1", 0))
        tcp.listen(64)
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            udp.bind(("127.0.0.1", tcp.getsockname()[1]))
        except OSError as exc:
            udp.close()
            tcp.close()
            if exc.errno != errno.EADDRINUSE:
                raise
            continue
        return tcp, udp
    raise RuntimeError("no port free for both UDP and TCP on 127.0.0.1")


@contextlib.contextmanager
def black_hole() -> Iterator[int]:
    """A UDP port that takes queries and never answers (the datagrams just queue up)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        yield int(sock.getsockname()[1])
