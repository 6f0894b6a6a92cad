"""What an operator sees of a location: its agents, their last heartbeats and its queue; and a
session waiting on a location that no agent serves says so."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from tests.agentapi.conftest import Agent, new_agent
from tests.support.checks import api_check
from tests.support.harness import Harness, Persona
from vantage.db.tables import agents
from vantage.locations import service as locations
from vantage.scheduling.scheduler import Reaper
from vantage.timeutil import utcnow


async def _private(alice: Persona, slug: str = "office-berlin") -> dict[str, Any]:
    created = await alice.post(
        "/v1/private-locations", json={"name": "Office Berlin", "slugName": slug}
    )
    assert created.status_code == 201, created.text
    body: dict[str, Any] = created.json()
    return body


async def _beat(alice: Persona, key: str, agent_id: str) -> None:
    response = await alice.client.post(
        "/agent/v1/heartbeat",
        json={"agentId": agent_id},
        headers={"Authorization": f"Bearer {key}"},
    )
    assert response.status_code == 200, response.text


async def _trigger_in(alice: Persona, slug: str, times: int = 1) -> list[str]:
    check = await alice.post(
        "/v1/checks/api", json=api_check("http://127.0.0.1:9/ok", locations=[slug])
    )
    assert check.status_code == 201, check.text
    sessions = []
    for _ in range(times):
        triggered = await alice.post(
            "/v2/check-sessions/trigger", json={"target": {"checkId": [check.json()["id"]]}}
        )
        sessions.append(triggered.json()["sessions"][0]["checkSessionId"])
    return sessions


async def test_a_new_private_location_has_no_agents_and_an_empty_queue(alice: Persona) -> None:
    created = await _private(alice)
    assert created["agents"] == []
    assert created["queue"] == {"waiting": 0, "running": 0, "lagSeconds": 0.0}


async def test_private_locations_list_their_agents_newest_heartbeat_first(
    vantage: Harness, alice: Persona
) -> None:
    created = await _private(alice)
    key = created["keys"][0]["rawKey"]
    await _beat(alice, key, "old")
    await _beat(alice, key, "new")
    async with vantage.runtime.db.write() as conn:
        await conn.execute(
            sa.update(agents)
            .where(agents.c.id == "old")
            .values(last_seen_at=utcnow() - timedelta(minutes=5))
        )
    [listed] = (await alice.get("/v1/private-locations")).json()
    assert [(a["agentId"], a["alive"]) for a in listed["agents"]] == [("new", True), ("old", False)]
    assert listed["agentCount"] == 1
    assert listed["agents"][0]["lastSeen"] == listed["lastSeen"]
    one = (await alice.get(f"/v1/private-locations/{created['id']}")).json()
    assert one["agents"] == listed["agents"]


async def test_the_queue_shows_runs_waiting_and_running_and_how_late_the_oldest_is(
    vantage: Harness, alice: Persona
) -> None:
    created = await _private(alice)
    await _trigger_in(alice, "office-berlin", times=3)
    [listed] = (await alice.get("/v1/private-locations")).json()
    assert listed["queue"]["waiting"] == 3
    assert listed["queue"]["running"] == 0

    ref = (await _refs(vantage))["office-berlin"]
    async with vantage.runtime.db.read() as conn:
        later = await locations.health(conn, [ref], utcnow() + timedelta(seconds=90))
    assert later["office-berlin"]["queue"]["lagSeconds"] >= 90

    agent = Agent("office-berlin", created["keys"][0]["rawKey"], vantage.client)
    leased = await agent.lease(max=1)
    assert len(leased) == 1
    [listed] = (await alice.get("/v1/private-locations")).json()
    assert (listed["queue"]["waiting"], listed["queue"]["running"]) == (2, 1)


async def _refs(vantage: Harness) -> dict[str, Any]:
    async with vantage.runtime.db.read() as conn:
        return await locations.refs(conn)


async def test_a_session_waiting_on_a_location_without_a_live_agent_says_so(
    vantage: Harness, alice: Persona
) -> None:
    created = await _private(alice)
    [session_id] = await _trigger_in(alice, "office-berlin")
    body = (await alice.get(f"/v2/check-sessions/{session_id}")).json()
    assert body["status"] == "STARTED"
    [error] = body["locationErrors"]
    assert error["runLocation"] == "office-berlin"
    assert error["errorCode"] == "ERR_NO_LIVE_AGENT"
    assert "No agent of location 'office-berlin'" in error["message"]
    assert "none ever has" in error["message"]
    assert "vantage agent --location office-berlin" in error["message"]

    await _beat(alice, created["keys"][0]["rawKey"], "a1")
    body = (await alice.get(f"/v2/check-sessions/{session_id}")).json()
    assert "locationErrors" not in body


async def test_a_session_timed_out_without_an_agent_says_why_in_its_completion(
    vantage: Harness, alice: Persona
) -> None:
    await _private(alice)
    [session_id] = await _trigger_in(alice, "office-berlin")
    await Reaper(vantage.runtime).run_once(utcnow() + timedelta(minutes=5))
    for version in (1, 2):
        done = await alice.get(f"/v{version}/check-sessions/{session_id}/completion")
        assert done.status_code == 200, done.text
        body = done.json()
        assert body["status"] == "TIMED_OUT"
        assert [e["runLocation"] for e in body["locationErrors"]] == ["office-berlin"]


async def test_a_session_the_embedded_agent_runs_has_no_location_errors(
    vantage: Harness, alice: Persona
) -> None:
    [session_id] = await _trigger_in(alice, "local")
    body = (await alice.get(f"/v2/check-sessions/{session_id}")).json()
    assert "locationErrors" not in body


async def test_an_operator_location_without_agents_is_named_too(
    vantage: Harness, alice: Persona
) -> None:
    await new_agent(vantage, "far-away")  # a key, but no agent ever started
    [session_id] = await _trigger_in(alice, "far-away")
    body = (await alice.get(f"/v1/check-sessions/{session_id}")).json()
    assert [e["runLocation"] for e in body["locationErrors"]] == ["far-away"]
