"""One client's conversation with the broker, over an in-memory byte stream (pure logic: the
WebSocket route itself is tested against a real server in test_endpoint.py)."""

from __future__ import annotations

import asyncio

from vantage.mqtt import broker, codec

ACCOUNT = "acct"
TOPIC = f"account/{ACCOUNT}/ad-hoc-check-results/s/q/r/result"


class Pipe:
    def __init__(self) -> None:
        self.incoming: asyncio.Queue[bytes | None] = asyncio.Queue()
        self.sent: list[bytes] = []
        self.written = asyncio.Event()

    async def receive(self) -> bytes | None:
        return await self.incoming.get()

    async def send(self, data: bytes) -> None:
        self.sent.append(data)
        self.written.set()

    async def next_sent(self) -> bytes:
        while not self.sent:
            self.written.clear()
            await asyncio.wait_for(self.written.wait(), 5)
        return self.sent.pop(0)


async def authenticate(username: str, password: bytes) -> str | None:
    return ACCOUNT if (username, password) == (ACCOUNT, b"key") else None


def connect(password: bytes = b"key") -> bytes:
    return codec.encode(codec.Connect("c", 60, True, ACCOUNT, password))


async def test_a_subscriber_gets_what_is_published_and_pings_are_answered() -> None:
    hub, pipe = broker.Hub(), Pipe()
    task = asyncio.create_task(broker.serve(pipe, hub, authenticate))
    await pipe.incoming.put(connect())
    assert await pipe.next_sent() == codec.connack(codec.ACCEPTED)
    await pipe.incoming.put(
        codec.encode(codec.Subscribe(3, [(f"account/{ACCOUNT}/ad-hoc-check-results/s/+/+/+", 0)]))
    )
    assert await pipe.next_sent() == codec.suback(3, [0])

    hub.publish(TOPIC, b'{"ok":true}')
    await pipe.incoming.put(codec.encode(codec.Simple(codec.PINGREQ)))

    assert await pipe.next_sent() == codec.publish(TOPIC, b'{"ok":true}')
    assert await pipe.next_sent() == codec.pingresp()
    await pipe.incoming.put(codec.encode(codec.Simple(codec.DISCONNECT)))
    await asyncio.wait_for(task, 5)
    assert not hub.subscribed()


async def test_a_wrong_password_gets_connack_4_and_the_end() -> None:
    hub, pipe = broker.Hub(), Pipe()
    await pipe.incoming.put(connect(b"nope"))

    await asyncio.wait_for(broker.serve(pipe, hub, authenticate), 5)

    assert pipe.sent == [codec.connack(codec.BAD_CREDENTIALS)]


async def test_a_client_that_reads_too_slowly_is_disconnected() -> None:
    hub, pipe = broker.Hub(), Pipe()
    blocked = asyncio.Event()

    async def stuck_send(data: bytes) -> None:
        if data.startswith(bytes([codec.PUBLISH << 4])):
            await blocked.wait()  # the client stopped reading
        pipe.sent.append(data)
        pipe.written.set()

    pipe.send = stuck_send  # type: ignore[method-assign]
    task = asyncio.create_task(broker.serve(pipe, hub, authenticate))
    await pipe.incoming.put(connect())
    await pipe.next_sent()
    await pipe.incoming.put(codec.encode(codec.Subscribe(1, [(f"account/{ACCOUNT}/#", 0)])))
    await pipe.next_sent()

    for _ in range(broker.MAX_PENDING + 2):
        hub.publish(TOPIC, b"{}")
    blocked.set()

    await asyncio.wait_for(task, 10)
    assert not hub.subscribed()


async def _connected(hub: broker.Hub, password: bytes = b"key") -> tuple[Pipe, asyncio.Task[None]]:
    pipe = Pipe()
    task = asyncio.create_task(broker.serve(pipe, hub, authenticate))
    await pipe.incoming.put(connect(password))
    assert await pipe.next_sent() == codec.connack(codec.ACCEPTED)
    return pipe, task


async def test_connections_past_the_accounts_limit_get_connack_3_until_one_leaves() -> None:
    hub = broker.Hub(max_per_account=2)
    first, first_task = await _connected(hub)
    second, second_task = await _connected(hub)
    refused = Pipe()
    await refused.incoming.put(connect())

    await asyncio.wait_for(broker.serve(refused, hub, authenticate), 5)

    assert refused.sent == [codec.connack(codec.SERVER_UNAVAILABLE)]
    # the refusal ends that conversation only: the two held go on
    await first.incoming.put(codec.encode(codec.Simple(codec.PINGREQ)))
    assert await first.next_sent() == codec.pingresp()
    await first.incoming.put(codec.encode(codec.Simple(codec.DISCONNECT)))
    await asyncio.wait_for(first_task, 5)
    third, third_task = await _connected(hub)
    for pipe in (second, third):
        await pipe.incoming.put(None)
    await asyncio.wait_for(asyncio.gather(second_task, third_task), 5)


async def test_the_limit_is_per_account() -> None:
    async def either(username: str, password: bytes) -> str | None:
        return username

    hub = broker.Hub(max_per_account=1)
    held = Pipe()
    held_task = asyncio.create_task(broker.serve(held, hub, either))
    await held.incoming.put(codec.encode(codec.Connect("a", 60, True, "one", b"k")))
    assert await held.next_sent() == codec.connack(codec.ACCEPTED)
    other = Pipe()
    other_task = asyncio.create_task(broker.serve(other, hub, either))
    await other.incoming.put(codec.encode(codec.Connect("b", 60, True, "two", b"k")))

    assert await other.next_sent() == codec.connack(codec.ACCEPTED)
    for pipe in (held, other):
        await pipe.incoming.put(None)
    await asyncio.wait_for(asyncio.gather(held_task, other_task), 5)
