"""`/mqtt` on a real uvicorn server: WebSocket upgrade with the `mqtt` subprotocol, API-key
authentication in CONNECT, subscriptions kept to the client's own account, and a test session's
`run-start` and `result` publications reaching its subscriber."""

from __future__ import annotations

import asyncio
import gzip
import json
import socket
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx2
import pytest
import uvicorn
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from tests.support.harness import settings_for
from tests.targets.http_target import HttpTarget
from vantage.accounts.service import create_account
from vantage.app import create_app
from vantage.mqtt import codec


@dataclass
class Live:
    url: str
    account_id: str
    api_key: str
    other_account_id: str


@pytest.fixture
async def live(database_url: str) -> AsyncIterator[Live]:
    async with serving(database_url) as server:
        yield server


@asynccontextmanager
async def serving(database_url: str, **settings: Any) -> AsyncIterator[Live]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    app = create_app(settings_for(database_url, public_url=f"http://127.0.0.1:{port}", **settings))
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.05)
    runtime = app.state.runtime
    async with runtime.db.write() as conn:
        mine = await create_account(conn, "mqtt")
        other = await create_account(conn, "other")
    try:
        yield Live(f"127.0.0.1:{port}", mine.account.id, mine.api_key, other.account.id)
    finally:
        server.should_exit = True
        await task


async def _open(live: Live) -> ClientConnection:
    return await connect(f"ws://{live.url}/mqtt", subprotocols=["mqtt"])  # type: ignore[list-item]


async def _recv(ws: ClientConnection) -> bytes:
    data = await asyncio.wait_for(ws.recv(), 10)
    assert isinstance(data, bytes), "MQTT travels in binary messages"
    return data


async def _packets(ws: ClientConnection, decoder: codec.Decoder) -> list[codec.Packet]:
    return decoder.feed(await _recv(ws))


def _connect(username: str, password: str) -> bytes:
    return codec.encode(codec.Connect("mqttjs_test", 60, True, username, password.encode()))


async def test_the_upgrade_echoes_the_mqtt_subprotocol(live: Live) -> None:
    async with await _open(live) as ws:
        assert ws.subprotocol == "mqtt"


async def test_a_wrong_api_key_gets_connack_bad_credentials(live: Live) -> None:
    async with await _open(live) as ws:
        await ws.send(_connect(live.account_id, "vtg_not-a-key"))
        reply = await _recv(ws)

    assert reply == codec.connack(codec.BAD_CREDENTIALS)


async def test_a_key_named_with_another_accounts_id_is_refused(live: Live) -> None:
    async with await _open(live) as ws:
        await ws.send(_connect(live.other_account_id, live.api_key))
        reply = await _recv(ws)

    assert reply == codec.connack(codec.BAD_CREDENTIALS)


async def test_it_grants_its_own_accounts_topics_and_refuses_anothers(live: Live) -> None:
    async with await _open(live) as ws:
        await ws.send(_connect(live.account_id, live.api_key))
        assert await _recv(ws) == codec.connack(codec.ACCEPTED)
        mine = f"account/{live.account_id}/ad-hoc-check-results/s/+/+/+"
        theirs = f"account/{live.other_account_id}/ad-hoc-check-results/s/+/+/+"
        await ws.send(codec.encode(codec.Subscribe(1, [(mine, 0), (theirs, 0), ("#", 0)])))
        reply = await _recv(ws)

    assert reply == codec.suback(1, [0, codec.SUBSCRIBE_FAILURE, codec.SUBSCRIBE_FAILURE])


async def test_a_test_session_publishes_run_start_then_its_result(
    live: Live, http_target: HttpTarget
) -> None:
    suite = str(uuid.uuid4())
    decoder = codec.Decoder()
    async with await _open(live) as ws:
        await ws.send(_connect(live.account_id, live.api_key))
        await asyncio.wait_for(ws.recv(), 10)  # CONNACK
        topic_filter = f"account/{live.account_id}/ad-hoc-check-results/{suite}/+/+/+"
        await ws.send(codec.encode(codec.Subscribe(1, [(topic_filter, 0)])))
        await asyncio.wait_for(ws.recv(), 10)  # SUBACK
        body = {
            "name": "Project",
            "runLocation": {"type": "PUBLIC", "region": "local"},
            "checkRunJobs": [
                {
                    "name": "probe",
                    "checkType": "API",
                    "logicalId": "probe",
                    "request": {"method": "GET", "url": http_target.base_url + "/status/200"},
                    "sourceInfo": {"checkRunSuiteId": suite, "checkRunId": "run-1"},
                }
            ],
        }
        async with httpx2.AsyncClient(base_url=f"http://{live.url}") as client:
            started = await client.post(
                "/v1/test-sessions/run",
                content=gzip.compress(json.dumps(body).encode()),
                headers={
                    "Authorization": f"Bearer {live.api_key}",
                    "Content-Type": "application/json",
                    "Content-Encoding": "gzip",
                },
            )
        assert started.status_code == 202, started.text
        sequence = started.json()["sequenceIds"]["probe"]
        received: list[codec.Publish] = []
        while len(received) < 2:
            received += [p for p in await _packets(ws, decoder) if isinstance(p, codec.Publish)]

    prefix = f"account/{live.account_id}/ad-hoc-check-results/{suite}/{sequence}/run-1/"
    assert [p.topic for p in received] == [prefix + "run-start", prefix + "result"]
    result = json.loads(received[1].payload)
    assert result["resultType"] == "FINAL"
    assert result["testResultId"] == started.json()["testResultIds"]["probe"]
    assert result["result"]["hasFailures"] is False
    assert result["result"]["checkRunData"]["response"]["status"] == 200


async def test_a_connection_past_the_accounts_limit_gets_connack_server_unavailable(
    database_url: str,
) -> None:
    limited = serving(database_url, mqtt_max_connections_per_account=1)
    async with limited as live, await _open(live) as held:
        await held.send(_connect(live.account_id, live.api_key))
        assert await _recv(held) == codec.connack(codec.ACCEPTED)
        async with await _open(live) as refused:
            await refused.send(_connect(live.account_id, live.api_key))
            reply = await _recv(refused)
            # the refused connection is closed by the server; the held one goes on
            with pytest.raises(ConnectionClosed):
                await asyncio.wait_for(refused.recv(), 10)
        await held.send(codec.encode(codec.Simple(codec.PINGREQ)))
        assert await _recv(held) == codec.pingresp()

    assert reply == codec.connack(codec.SERVER_UNAVAILABLE)
