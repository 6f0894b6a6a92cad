"""Browser jobs go only to agents that can run them: an agent states its browser capacity with
each lease, and one with none is leased no BROWSER, MULTI_STEP or PLAYWRIGHT job, on SQLite and
PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.agentapi.conftest import Agent, start_session
from tests.support.harness import Harness, Persona
from tests.targets.http_target import HttpTarget
from vantage.db.tables import jobs
from vantage.locations.service import by_slug
from vantage.queue import service as queue
from vantage.timeutil import utcnow

SPEC = "const { test } = require('@playwright/test'); test('home', async () => {})"


async def start_browser_session(persona: Persona, location: str, kind: str = "browser") -> str:
    check = await persona.post(
        f"/v1/checks/{kind}", json={"name": "shop", "script": SPEC, "locations": [location]}
    )
    assert check.status_code == 201, check.text
    response = await persona.post(
        "/v1/check-sessions/trigger", json={"target": {"checkId": [check.json()["id"]]}}
    )
    assert response.status_code == 201, response.text
    return str(response.json()["sessions"][0]["checkSessionId"])


def types_of(leased: list[dict[str, Any]]) -> list[str]:
    return sorted(job["checkType"] for job in leased)


async def test_an_agent_without_browser_capacity_is_leased_only_protocol_jobs(
    berlin: Agent, alice: Persona, http_target: HttpTarget
) -> None:
    await start_browser_session(alice, "berlin")
    await start_browser_session(alice, "berlin", "multistep")
    await start_session(alice, http_target, "berlin")
    assert types_of(await berlin.lease(browserCapacity=0)) == ["API"]
    assert await berlin.lease(browserCapacity=0) == []
    browsers = Agent("berlin", berlin.key, berlin.client, "agent-2")
    assert types_of(await browsers.lease(browserCapacity=1)) == ["BROWSER", "MULTI_STEP"]


async def test_an_agent_that_states_no_capacity_is_leased_every_kind(
    berlin: Agent, alice: Persona, http_target: HttpTarget
) -> None:
    # Agents that predate `browserCapacity` keep working as they did.
    await start_browser_session(alice, "berlin")
    await start_session(alice, http_target, "berlin")
    assert types_of(await berlin.lease()) == ["API", "BROWSER"]


async def test_an_expired_browser_lease_is_not_retaken_by_an_agent_without_a_browser(
    vantage: Harness, berlin: Agent, alice: Persona
) -> None:
    await start_browser_session(alice, "berlin")
    [job] = await berlin.lease(browserCapacity=1)
    async with vantage.runtime.db.write() as conn:
        await conn.execute(
            jobs.update()
            .where(jobs.c.id == job["id"])
            .values(lease_expires_at=utcnow() - timedelta(seconds=1))
        )
    other = Agent("berlin", berlin.key, berlin.client, "agent-2")
    assert await other.lease(browserCapacity=0) == []
    [retaken] = await other.lease(browserCapacity=2)
    assert retaken["id"] == job["id"]


async def test_a_waiting_agent_without_a_browser_is_not_woken_by_a_due_browser_job(
    vantage: Harness, berlin: Agent, alice: Persona
) -> None:
    # A due browser job is not work it waits for: counted, it would poll the database at once,
    # again and again, for the whole wait.
    await start_browser_session(alice, "berlin")
    async with vantage.runtime.db.read() as conn:
        found = await by_slug(conn, "berlin")
        assert found is not None
        location = found.ref
        assert await queue.next_due(conn, location) is not None
        assert await queue.next_due(conn, location, browsers=False) is None
    await berlin.lease(browserCapacity=1)
    async with vantage.runtime.db.read() as conn:
        assert await queue.next_lease_expiry(conn, location) is not None
        assert await queue.next_lease_expiry(conn, location, browsers=False) is None


async def test_a_negative_browser_capacity_is_a_400_naming_the_field(berlin: Agent) -> None:
    response = await berlin.call("/lease", {"browserCapacity": -1})
    assert response.status_code == 400
    assert "browserCapacity" in response.text
