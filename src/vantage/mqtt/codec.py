"""MQTT 3.1.1 packets (pure): the subset the Checkly CLI (mqtt.js) sends and expects.

CONNECT/CONNACK, SUBSCRIBE/SUBACK, UNSUBSCRIBE/UNSUBACK, PUBLISH at QoS 0 and 1 with PUBACK,
PINGREQ/PINGRESP and DISCONNECT. Anything else (QoS 2, a will, a malformed length) is a
`ProtocolError`, after which MQTT says the server closes the connection.

A WebSocket message may carry part of a packet or several: `Decoder.feed` buffers bytes and
returns every whole packet received so far.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

CONNECT = 1
CONNACK = 2
PUBLISH = 3
PUBACK = 4
SUBSCRIBE = 8
SUBACK = 9
UNSUBSCRIBE = 10
UNSUBACK = 11
PINGREQ = 12
PINGRESP = 13
DISCONNECT = 14

# CONNACK return codes.
ACCEPTED = 0
UNACCEPTABLE_PROTOCOL = 1
SERVER_UNAVAILABLE = 3
BAD_CREDENTIALS = 4
NOT_AUTHORIZED = 5

SUBSCRIBE_FAILURE = 0x80
# What a packet may hold. The CLI's packets are a few hundred bytes; MQTT allows 256 MiB.
MAX_PACKET_BYTES = 1 << 20
PROTOCOL_LEVEL = 4


class ProtocolError(Exception):
    """The peer broke MQTT 3.1.1 (or used what this server does not implement)."""


@dataclass(frozen=True, slots=True)
class Connect:
    client_id: str
    keepalive: int
    clean_session: bool
    username: str | None
    password: bytes | None
    protocol_level: int = PROTOCOL_LEVEL


@dataclass(frozen=True, slots=True)
class Publish:
    topic: str
    payload: bytes
    qos: int = 0
    packet_id: int | None = None
    retain: bool = False
    dup: bool = False


@dataclass(frozen=True, slots=True)
class Subscribe:
    packet_id: int
    filters: list[tuple[str, int]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Unsubscribe:
    packet_id: int
    filters: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Simple:
    """A packet with no payload the server reads: PUBACK, PINGREQ, DISCONNECT."""

    kind: int
    packet_id: int | None = None


Packet = Connect | Publish | Subscribe | Unsubscribe | Simple


# --------------------------------------------------------------------------- encoding


def _remaining_length(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n % 128, n // 128
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _string(text: str) -> bytes:
    raw = text.encode()
    return struct.pack("!H", len(raw)) + raw


def _packet(kind: int, flags: int, body: bytes) -> bytes:
    return bytes([kind << 4 | flags]) + _remaining_length(len(body)) + body


def connack(return_code: int, *, session_present: bool = False) -> bytes:
    return _packet(CONNACK, 0, bytes([int(session_present), return_code]))


def suback(packet_id: int, granted: list[int]) -> bytes:
    return _packet(SUBACK, 0, struct.pack("!H", packet_id) + bytes(granted))


def unsuback(packet_id: int) -> bytes:
    return _packet(UNSUBACK, 0, struct.pack("!H", packet_id))


def puback(packet_id: int) -> bytes:
    return _packet(PUBACK, 0, struct.pack("!H", packet_id))


def pingresp() -> bytes:
    return _packet(PINGRESP, 0, b"")


def publish(topic: str, payload: bytes, *, qos: int = 0, packet_id: int | None = None) -> bytes:
    if qos not in (0, 1):
        raise ValueError("only QoS 0 and 1 are implemented")
    if qos and packet_id is None:
        raise ValueError("a QoS 1 publish needs a packet id")
    body = _string(topic) + (struct.pack("!H", packet_id) if qos else b"") + payload
    return _packet(PUBLISH, qos << 1, body)


def encode(packet: Packet) -> bytes:
    """Any packet this module reads, as bytes: what the tests (and a client) send."""
    if isinstance(packet, Connect):
        flags = 0x02 if packet.clean_session else 0
        payload = _string(packet.client_id)
        if packet.username is not None:
            flags |= 0x80
            payload += _string(packet.username)
        if packet.password is not None:
            flags |= 0x40
            payload += struct.pack("!H", len(packet.password)) + packet.password
        header = _string("MQTT") + bytes([packet.protocol_level, flags])
        return _packet(CONNECT, 0, header + struct.pack("!H", packet.keepalive) + payload)
    if isinstance(packet, Publish):
        return publish(packet.topic, packet.payload, qos=packet.qos, packet_id=packet.packet_id)
    if isinstance(packet, Subscribe):
        body = struct.pack("!H", packet.packet_id)
        body += b"".join(_string(f) + bytes([q]) for f, q in packet.filters)
        return _packet(SUBSCRIBE, 0x02, body)
    if isinstance(packet, Unsubscribe):
        body = struct.pack("!H", packet.packet_id) + b"".join(_string(f) for f in packet.filters)
        return _packet(UNSUBSCRIBE, 0x02, body)
    body = struct.pack("!H", packet.packet_id) if packet.packet_id is not None else b""
    return _packet(packet.kind, 0, body)


# --------------------------------------------------------------------------- decoding


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.at = 0

    def take(self, n: int) -> bytes:
        if self.at + n > len(self.data):
            raise ProtocolError("packet shorter than its fields")
        chunk = self.data[self.at : self.at + n]
        self.at += n
        return chunk

    def u16(self) -> int:
        value: int = struct.unpack("!H", self.take(2))[0]
        return value

    def binary(self) -> bytes:
        return self.take(self.u16())

    def string(self) -> str:
        try:
            return self.binary().decode()
        except UnicodeDecodeError:
            raise ProtocolError("a string is not UTF-8") from None

    def rest(self) -> bytes:
        chunk = self.data[self.at :]
        self.at = len(self.data)
        return chunk

    @property
    def done(self) -> bool:
        return self.at >= len(self.data)


def parse(first: int, body: bytes) -> Packet:
    """One packet from its first byte and its body (the bytes after the remaining length)."""
    kind, flags = first >> 4, first & 0x0F
    r = _Reader(body)
    if kind == CONNECT:
        if r.string() != "MQTT":
            raise ProtocolError("not MQTT 3.1.1 (protocol name)")
        level = r.take(1)[0]
        connect_flags = r.take(1)[0]
        keepalive = r.u16()
        client_id = r.string()
        if connect_flags & 0x04:
            raise ProtocolError("a will message is not supported")
        username = r.string() if connect_flags & 0x80 else None
        password = r.binary() if connect_flags & 0x40 else None
        return Connect(client_id, keepalive, bool(connect_flags & 0x02), username, password, level)
    if kind == PUBLISH:
        qos = (flags >> 1) & 0x03
        if qos > 1:
            raise ProtocolError("QoS 2 is not supported")
        topic = r.string()
        packet_id = r.u16() if qos else None
        return Publish(topic, r.rest(), qos, packet_id, bool(flags & 0x01), bool(flags & 0x08))
    if kind == SUBSCRIBE:
        if flags != 0x02:
            raise ProtocolError("SUBSCRIBE with wrong flags")
        packet_id = r.u16()
        filters: list[tuple[str, int]] = []
        while not r.done:
            filters.append((r.string(), r.take(1)[0] & 0x03))
        if not filters:
            raise ProtocolError("SUBSCRIBE without a topic filter")
        return Subscribe(packet_id, filters)
    if kind == UNSUBSCRIBE:
        packet_id = r.u16()
        names: list[str] = []
        while not r.done:
            names.append(r.string())
        return Unsubscribe(packet_id, names)
    if kind == PUBACK:
        return Simple(PUBACK, r.u16())
    if kind in (PINGREQ, DISCONNECT):
        return Simple(kind)
    raise ProtocolError(f"packet type {kind} is not supported")


class Decoder:
    """Turns a byte stream into packets, whatever the WebSocket messages' boundaries."""

    def __init__(self, max_packet_bytes: int = MAX_PACKET_BYTES) -> None:
        self._buffer = bytearray()
        self._max = max_packet_bytes

    def feed(self, data: bytes) -> list[Packet]:
        self._buffer += data
        packets: list[Packet] = []
        while True:
            header = self._header()
            if header is None:
                return packets
            used, length = header
            if len(self._buffer) < used + length:
                return packets
            first = self._buffer[0]
            body = bytes(self._buffer[used : used + length])
            del self._buffer[: used + length]
            packets.append(parse(first, body))

    def _header(self) -> tuple[int, int] | None:
        """(bytes of fixed header, remaining length), or None while incomplete."""
        length, multiplier = 0, 1
        for i in range(1, 5):
            if i >= len(self._buffer):
                return None
            byte = self._buffer[i]
            length += (byte & 0x7F) * multiplier
            if not byte & 0x80:
                if length > self._max:
                    raise ProtocolError(f"packet of {length} bytes is over {self._max}")
                return i + 1, length
            multiplier *= 128
        raise ProtocolError("remaining length longer than 4 bytes")
