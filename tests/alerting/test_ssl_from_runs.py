"""SSL expiry alerts from the certificate the check's runs were served: a host only an agent
reaches (here: a loopback server that is stopped once the runs are done, or that the server is
never asked to connect to) still alerts, whichever agent ran the check, embedded or remote; a
result from an agent that predates the field leaves the server reading the host itself."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx2
import pytest

from tests.agentapi.conftest import item, new_agent
from tests.alerting.conftest import alerting_settings
from tests.alerting.flow import channel, run
from tests.alerting.receiver import Receiver
from tests.alerting.test_timers_and_sources import deliver
from tests.groups.test_runs import trigger
from tests.support.checks import api_check
from tests.support.harness import BASE, Harness, Persona
from tests.targets.tls_target import ExpiringTarget, expiring_target
from vantage.agent.client import AgentClient
from vantage.agent.loop import Agent, AgentOptions
from vantage.agent.outbox import Outbox
from vantage.alerting.ssl_expiry import SslWatcher
from vantage.app import create_app
from vantage.probes.certificate import days_left
from vantage.probes.target_policy import TargetPolicy
from vantage.timeutil import utcnow


@pytest.fixture
async def served(
    database_url: str, receiver: Receiver
) -> AsyncIterator[tuple[Harness, httpx2.ASGITransport]]:
    """The alerting tests' Vantage, with the transport a remote agent reaches it by. Its own
    watcher and deliverer do not run: a pass at startup would race the test's (which deliver)."""
    app = create_app(alerting_settings(database_url, receiver, alert_delivery=False))
    async with app.router.lifespan_context(app):
        transport = httpx2.ASGITransport(app=app)
        async with httpx2.AsyncClient(transport=transport, base_url=BASE, timeout=60) as client:
            yield Harness(app.state.runtime, client), transport


@pytest.fixture
def vantage(served: tuple[Harness, httpx2.ASGITransport]) -> Harness:
    return served[0]


@pytest.fixture
def internal() -> Iterator[ExpiringTarget]:
    """The internal host: HTTPS with a certificate that expires in five days."""
    with expiring_target(days=5) as target:
        yield target


async def ssl_check(
    alice: Persona, target: ExpiringTarget, receiver: Receiver, **fields: Any
) -> str:
    hook = await channel(
        alice, "WEBHOOK", {"url": receiver.url + "/ssl"}, sslExpiry=True, sslExpiryThreshold=14
    )
    subs = [{"alertChannelId": hook, "activated": True}]
    body = api_check(
        f"{target.url}/ok",
        request={"skipSSL": True},  # the agent trusts no test CA: only the date matters here
        alertChannelSubscriptions=subs,
        **fields,
    )
    response = await alice.post("/v1/checks/api", json=body)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def ssl_alert(vantage: Harness, receiver: Receiver, at: Any) -> dict[str, Any]:
    await deliver(vantage, at)
    [got] = await receiver.wait_for(1)
    assert got.path == "/ssl"
    body: dict[str, Any] = got.json()
    assert body["ALERT_TYPE"] == "ALERT_SSL"
    return body


async def test_the_embedded_agents_run_gives_the_expiry_without_the_server_connecting(
    vantage: Harness, alice: Persona, internal: ExpiringTarget, receiver: Receiver
) -> None:
    check_id = await ssl_check(alice, internal, receiver)
    assert await run(alice, check_id) == "PASSED"
    assert internal.server.accepted == 1  # the run's one connection

    now = utcnow()
    assert await SslWatcher(vantage.runtime).run_once(now) == 1
    assert internal.server.accepted == 1  # the server took the run's word, never connected

    body = await ssl_alert(vantage, receiver, now)
    assert body["SSL_DAYS_REMAINING"] == days_left(internal.not_after, now) == 4
    assert body["SSL_CHECK_DOMAIN"] == f"127.0.0.1:{internal.port}"
    assert body["SSL_NOT_AFTER"] == internal.not_after.isoformat().replace("+00:00", "Z")
    status = await alice.get(f"/v1/check-statuses/{check_id}")
    assert status.json()["sslDaysRemaining"] == 4
    assert await SslWatcher(vantage.runtime).run_once(now) == 0  # once per certificate


async def test_a_remote_agents_run_alerts_for_a_host_the_server_cannot_reach(
    served: tuple[Harness, httpx2.ASGITransport],
    alice: Persona,
    internal: ExpiringTarget,
    receiver: Receiver,
    tmp_path: Path,
) -> None:
    vantage, transport = served
    key = (await new_agent(vantage, "edge-1")).key
    check_id = await ssl_check(alice, internal, receiver, locations=["edge-1"])
    client = AgentClient(BASE, key=key, location="edge-1", agent_id="edge-a", transport=transport)
    outbox = Outbox(tmp_path / "outbox")
    options = AgentOptions(
        concurrency=2,
        browser_concurrency=-1,
        wait_seconds=0.5,
        heartbeat_seconds=1,
        drain_seconds=2,
        flush_seconds=5,
        max_backoff_seconds=0.2,
        policy=TargetPolicy.parse(""),  # its host's loopback is its internal network
    )
    agent = Agent(client, outbox, options)
    running = asyncio.create_task(agent.run())
    try:
        assert await run(alice, check_id) == "PASSED"
    finally:
        agent.stop()
        await running
        await client.aclose()
        outbox.close()
    internal.server.stop()  # from now on, nothing answers there

    # Two days on, the run's sighting is no longer fresh: the server tries the host itself,
    # cannot reach it, and takes the run's word after all.
    at = utcnow() + timedelta(days=2)
    assert await SslWatcher(vantage.runtime).run_once(at) == 1
    body = await ssl_alert(vantage, receiver, at)
    assert body["SSL_DAYS_REMAINING"] == days_left(internal.not_after, at) == 2
    assert body["SSL_CHECK_DOMAIN"] == f"127.0.0.1:{internal.port}"


async def test_an_older_agents_result_leaves_the_server_reading_the_host_itself(
    vantage: Harness, alice: Persona, internal: ExpiringTarget, receiver: Receiver
) -> None:
    berlin = await new_agent(vantage, "berlin")
    check_id = await ssl_check(alice, internal, receiver, locations=["berlin"])
    [session] = await trigger(alice, checkId=[check_id])
    [job] = await berlin.lease()
    older = item(job)  # the result as an agent that predates `certificate` sends it
    assert "certificate" not in older["result"]
    [status] = await berlin.submit(older)
    assert status["status"] == "accepted"
    assert (await alice.get(f"/v1/check-statuses/{check_id}")).json()["sslDaysRemaining"] is None

    now = utcnow()
    assert await SslWatcher(vantage.runtime).run_once(now) == 1
    assert internal.server.accepted == 1  # the server's own connection, as before
    body = await ssl_alert(vantage, receiver, now)
    assert body["SSL_DAYS_REMAINING"] == 4
    assert session["checkSessionId"]


async def test_a_run_without_a_certificate_keeps_the_one_seen_before(
    vantage: Harness, alice: Persona, internal: ExpiringTarget, receiver: Receiver
) -> None:
    berlin = await new_agent(vantage, "berlin")
    check_id = await ssl_check(alice, internal, receiver, locations=["berlin"])
    seen = {
        "host": "127.0.0.1",
        "port": internal.port,
        "notAfter": internal.not_after.isoformat(),
        "subject": "CN=internal",
        "issuer": "CN=Internal CA",
    }
    for result in ({"certificate": seen}, {"hasFailures": True}):
        await trigger(alice, checkId=[check_id])
        [job] = await berlin.lease()
        [status] = await berlin.submit(item(job, **result))
        assert status["status"] == "accepted"
    status_row = (await alice.get(f"/v1/check-statuses/{check_id}")).json()
    assert status_row["hasFailures"] is True
    assert status_row["sslDaysRemaining"] == 4
