"""One MQTT client's conversation, and the fan-out of publications to this process's clients.

The server only publishes (the results of ad-hoc runs); a client connects, authenticates with
its account id as username and an API key as password, subscribes under its own account's topics
and reads. A client's own PUBLISH is acknowledged (QoS 1) and dropped: nothing here listens to
clients. Messages are QoS 0 and not retained: a client sees what is published while it is
subscribed, which is why the CLI subscribes before it starts a run.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol

import structlog

from vantage.mqtt import codec, topics

log = structlog.get_logger(__name__)

# Messages waiting for one slow client; past this it is disconnected rather than let grow.
MAX_PENDING = 1000
# MQTT §3.1.2.10: the server may close a connection silent for 1.5 keep-alive periods.
KEEPALIVE_GRACE = 1.5
# A client must say CONNECT this soon after the WebSocket opens.
CONNECT_TIMEOUT_SECONDS = 10.0

Authenticate = Callable[[str, bytes], Awaitable[str | None]]


class Transport(Protocol):
    """The byte stream under MQTT: a WebSocket's binary messages (or a test's queue)."""

    async def receive(self) -> bytes | None:
        """The next bytes, or None once the peer closed."""
        ...

    async def send(self, data: bytes) -> None: ...


@dataclass(eq=False)
class Subscriber:
    account_id: str
    filters: set[str] = field(default_factory=set)
    outbox: asyncio.Queue[bytes | None] = field(default_factory=lambda: asyncio.Queue(MAX_PENDING))

    def offer(self, topic: str, packet: bytes) -> None:
        if not any(topics.matches(f, topic) for f in self.filters):
            return
        try:
            self.outbox.put_nowait(packet)
        except asyncio.QueueFull:
            log.warning("mqtt client too slow, disconnecting", account_id=self.account_id)
            self.close()

    def close(self) -> None:
        # The writer ends at None; a full queue makes room for it first.
        while self.outbox.full():
            self.outbox.get_nowait()
        self.outbox.put_nowait(None)


# Connections one account may hold on one process unless the server says otherwise
# (Settings.mqtt_max_connections_per_account).
MAX_CONNECTIONS_PER_ACCOUNT = 50


class Hub:
    """This process's subscribers; `publish` reaches those whose filters match."""

    def __init__(self, max_per_account: int = MAX_CONNECTIONS_PER_ACCOUNT) -> None:
        self._subscribers: set[Subscriber] = set()
        self.max_per_account = max_per_account

    def add(self, subscriber: Subscriber) -> None:
        self._subscribers.add(subscriber)

    def admit(self, subscriber: Subscriber) -> bool:
        """Add a connection unless its account already holds `max_per_account` here."""
        held = sum(1 for s in self._subscribers if s.account_id == subscriber.account_id)
        if held >= self.max_per_account:
            return False
        self._subscribers.add(subscriber)
        return True

    def remove(self, subscriber: Subscriber) -> None:
        self._subscribers.discard(subscriber)

    def subscribed(self) -> bool:
        """Someone here subscribed to something: only then is a message worth building."""
        return any(s.filters for s in self._subscribers)

    def publish(self, topic: str, payload: bytes) -> int:
        """Send to every matching subscriber here; how many subscribers it was offered to."""
        packet = codec.publish(topic, payload)
        account = topic.split("/", 2)[1] if topic.startswith("account/") else None
        offered = 0
        for subscriber in list(self._subscribers):
            if subscriber.account_id == account:
                subscriber.offer(topic, packet)
                offered += 1
        return offered

    def close_all(self) -> None:
        for subscriber in list(self._subscribers):
            subscriber.close()


async def serve(transport: Transport, hub: Hub, authenticate: Authenticate) -> None:
    """Run one client's conversation until it disconnects or breaks the protocol."""
    decoder = codec.Decoder()
    try:
        connect = await _connect(transport, decoder)
    except (TimeoutError, codec.ProtocolError) as exc:
        log.info("mqtt connect refused", reason=str(exc))
        return
    if connect is None:
        return
    if connect.protocol_level != codec.PROTOCOL_LEVEL:
        await transport.send(codec.connack(codec.UNACCEPTABLE_PROTOCOL))
        return
    account_id = None
    if connect.username is not None and connect.password is not None:
        account_id = await authenticate(connect.username, connect.password)
    if account_id is None:
        await transport.send(codec.connack(codec.BAD_CREDENTIALS))
        return
    subscriber = Subscriber(account_id)
    if not hub.admit(subscriber):
        # MQTT 3.1.1 §3.2.2.3: "server unavailable"; mqtt.js reports it and the CLI prints it.
        log.warning("mqtt connections per account exhausted", account_id=account_id)
        await transport.send(codec.connack(codec.SERVER_UNAVAILABLE))
        return
    await transport.send(codec.connack(codec.ACCEPTED))
    # The conversation ends with whichever side ends first: the client leaving (or breaking the
    # protocol), or its outbox closed (too slow, or the server stopping).
    reader = asyncio.create_task(
        _read(transport, decoder, subscriber, connect.keepalive), name="mqtt-reader"
    )
    writer = asyncio.create_task(_write(transport, subscriber.outbox), name="mqtt-writer")
    try:
        done, _ = await asyncio.wait({reader, writer}, return_when=asyncio.FIRST_COMPLETED)
        if reader in done and not reader.cancelled():
            error = reader.exception()
            if isinstance(error, codec.ProtocolError):
                log.info("mqtt client broke the protocol", reason=str(error), account_id=account_id)
    finally:
        hub.remove(subscriber)
        subscriber.close()
        reader.cancel()
        # Let the writer send what was queued before the close (a SUBACK, a last result).
        with contextlib.suppress(Exception):
            async with asyncio.timeout(5):
                await writer
        writer.cancel()
        await asyncio.gather(reader, writer, return_exceptions=True)


async def _connect(transport: Transport, decoder: codec.Decoder) -> codec.Connect | None:
    async with asyncio.timeout(CONNECT_TIMEOUT_SECONDS):
        while True:
            data = await transport.receive()
            if data is None:
                return None
            packets = decoder.feed(data)
            if not packets:
                continue
            if not isinstance(packets[0], codec.Connect):
                raise codec.ProtocolError("the first packet must be CONNECT")
            if len(packets) > 1:
                # A client waits for CONNACK before it says more (mqtt.js does).
                raise codec.ProtocolError("packets before CONNACK")
            return packets[0]


async def _read(
    transport: Transport, decoder: codec.Decoder, subscriber: Subscriber, keepalive: int
) -> None:
    silence = keepalive * KEEPALIVE_GRACE if keepalive else None
    while True:
        try:
            async with asyncio.timeout(silence):
                data = await transport.receive()
        except TimeoutError:
            log.info("mqtt client silent past its keep-alive", account_id=subscriber.account_id)
            return
        if data is None:
            return
        for packet in decoder.feed(data):
            if not _answer(packet, subscriber):
                return


def _answer(packet: codec.Packet, subscriber: Subscriber) -> bool:
    """Queue the reply to one packet; False when the client said goodbye."""
    reply: bytes | None = None
    if isinstance(packet, codec.Subscribe):
        granted = []
        for topic_filter, qos in packet.filters:
            if topics.may_subscribe(subscriber.account_id, topic_filter):
                subscriber.filters.add(topic_filter)
                granted.append(0)  # every publication is QoS 0, whatever was asked (§3.8.4)
            else:
                granted.append(codec.SUBSCRIBE_FAILURE)
            del qos
        reply = codec.suback(packet.packet_id, granted)
    elif isinstance(packet, codec.Unsubscribe):
        subscriber.filters.difference_update(packet.filters)
        reply = codec.unsuback(packet.packet_id)
    elif isinstance(packet, codec.Publish):
        if packet.qos == 1 and packet.packet_id is not None:
            reply = codec.puback(packet.packet_id)
    elif isinstance(packet, codec.Connect):
        raise codec.ProtocolError("a second CONNECT")
    elif packet.kind == codec.PINGREQ:
        reply = codec.pingresp()
    elif packet.kind == codec.DISCONNECT:
        return False
    if reply is not None:
        try:
            subscriber.outbox.put_nowait(reply)
        except asyncio.QueueFull:
            subscriber.close()
            return False
    return True


async def _write(transport: Transport, outbox: asyncio.Queue[bytes | None]) -> None:
    while True:
        packet = await outbox.get()
        if packet is None:
            return
        await transport.send(packet)
