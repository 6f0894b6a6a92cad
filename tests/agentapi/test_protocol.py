"""The agent protocol over the ASGI app: who may call it, leases, results, release, extension
and the long-poll, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from tests.agentapi.conftest import Agent, item, new_agent, start_session
from tests.support.checks import api_check
from tests.support.harness import Harness, Persona
from tests.targets.http_target import HttpTarget
from vantage.db.tables import jobs
from vantage.timeutil import utcnow

AGENT_CALLS = ["/lease", "/leases/extend", "/release", "/results", "/heartbeat"]
BODIES: dict[str, dict[str, Any]] = {"/leases/extend": {"leases": []}, "/results": {"results": []}}


def assert_401(response: object) -> None:
    status = getattr(response, "status_code", None)
    assert status == 401, getattr(response, "text", response)
    assert response.json()["error"] == "Unauthorized"  # type: ignore[attr-defined]


async def test_an_agent_key_is_refused_on_the_public_api(berlin: Agent, alice: Persona) -> None:
    headers = {"Authorization": f"Bearer {berlin.key}", "X-Checkly-Account": alice.account_id}
    for path in ("/v1/checks", "/v1/locations", "/v1/private-locations", "/v1/check-statuses"):
        assert_401(await alice.client.get(path, headers=headers))


async def test_an_api_key_is_refused_on_the_agent_api(berlin: Agent, alice: Persona) -> None:
    for path in AGENT_CALLS:
        response = await alice.client.post(
            f"/agent/v1{path}",
            json={"agentId": "a1", **BODIES.get(path, {})},
            headers=alice.headers,
        )
        assert_401(response)


async def test_no_key_or_an_unknown_one_is_refused(berlin: Agent) -> None:
    for headers in ({}, {"Authorization": "Bearer vtg_agent_not-a-key"}, {"Authorization": "x"}):
        for path in AGENT_CALLS:
            response = await berlin.client.post(
                f"/agent/v1{path}", json={"agentId": "a1"}, headers=headers
            )
            assert_401(response)


async def test_an_agent_key_works_only_for_its_own_location(
    vantage: Harness, berlin: Agent, alice: Persona, http_target: HttpTarget
) -> None:
    paris = await new_agent(vantage, "paris")
    impostor = Agent("paris", berlin.key, berlin.client)
    for path in AGENT_CALLS:
        assert_401(await impostor.call(path, BODIES.get(path, {})))

    await start_session(alice, http_target, "berlin")
    [job] = await berlin.lease()
    # A key of another location cannot hand in (or see) berlin's work.
    [status] = await paris.submit(item(job))
    assert status["status"] == "fenced"
    assert await paris.lease() == []
    [status] = await berlin.submit(item(job))
    assert status["status"] == "accepted"


async def test_a_leased_job_carries_its_check_and_lease_and_its_result_ends_the_session(
    berlin: Agent, alice: Persona, http_target: HttpTarget
) -> None:
    session_id = await start_session(alice, http_target, "berlin")
    [job] = await berlin.lease()
    assert job["attempt"] == 1
    assert job["checkType"] == "API"
    assert job["config"]["request"]["url"] == f"{http_target.base_url}/ok"
    assert job["leaseOwner"].startswith("agent-1/")
    assert job["leaseExpiresAt"].endswith("Z")

    [status] = await berlin.submit(item(job))
    assert status["status"] == "accepted"
    assert status["resultId"]

    done = await alice.get(
        f"/v1/check-sessions/{session_id}/completion", params={"maxWaitSeconds": 5}
    )
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "PASSED"
    assert [(r["runLocation"], r["late"]) for r in done.json()["results"]] == [("berlin", False)]


async def test_the_same_result_sent_again_is_a_duplicate_and_stored_once(
    berlin: Agent, alice: Persona, http_target: HttpTarget
) -> None:
    session_id = await start_session(alice, http_target, "berlin")
    [job] = await berlin.lease()
    first = await berlin.submit(item(job))
    again = await berlin.submit(item(job), item(job))
    assert [s["status"] for s in first] == ["accepted"]
    assert [s["status"] for s in again] == ["duplicate", "duplicate"]
    assert again[0]["resultId"] == first[0]["resultId"]
    session = (await alice.get(f"/v1/check-sessions/{session_id}")).json()
    assert len(session["results"]) == 1


async def test_a_result_from_a_lease_that_was_taken_over_is_fenced(
    vantage: Harness, berlin: Agent, alice: Persona, http_target: HttpTarget
) -> None:
    await start_session(alice, http_target, "berlin")
    [job] = await berlin.lease(leaseSeconds=5)
    async with vantage.runtime.db.write() as conn:
        await conn.execute(jobs.update().values(lease_expires_at=utcnow() - timedelta(seconds=1)))
    other = Agent("berlin", berlin.key, berlin.client, "agent-2")
    [taken] = await other.lease()
    assert taken["id"] == job["id"]
    assert taken["leaseOwner"] != job["leaseOwner"]

    [late] = await berlin.submit(item(job))
    assert late["status"] == "fenced"
    assert "resultId" not in late
    [status] = await other.submit(item(taken))
    assert status["status"] == "accepted"


async def test_a_malformed_result_is_rejected_without_failing_its_batch(
    berlin: Agent, alice: Persona, http_target: HttpTarget
) -> None:
    await start_session(alice, http_target, "berlin")
    await start_session(alice, http_target, "berlin")
    first, second = await berlin.lease()
    statuses = await berlin.submit(item(first, hasFailures="no"), item(second))
    assert statuses[0]["status"] == "rejected"
    assert "hasFailures" in statuses[0]["message"]
    assert statuses[1]["status"] == "accepted"


async def test_released_jobs_can_be_leased_again_at_once(
    berlin: Agent, alice: Persona, http_target: HttpTarget
) -> None:
    await start_session(alice, http_target, "berlin")
    [job] = await berlin.lease()
    response = await berlin.call(
        "/release", {"leases": [{"jobId": job["id"], "leaseOwner": job["leaseOwner"]}]}
    )
    assert response.json() == {"released": [job["id"]]}
    [again] = await berlin.lease()
    assert again["id"] == job["id"]
    # The first lease is gone: its result would be fenced.
    [status] = await berlin.submit(item(job))
    assert status["status"] == "fenced"


async def test_a_shutdown_release_hands_back_every_lease_and_the_agent_stops_counting(
    vantage: Harness, berlin: Agent, alice: Persona, http_target: HttpTarget
) -> None:
    await berlin.call("/heartbeat")
    for _ in range(3):
        await start_session(alice, http_target, "berlin")
    held = await berlin.lease(max=2)
    assert len(held) == 2
    response = await berlin.call("/release", {"shutdown": True})
    assert sorted(response.json()["released"]) == sorted(j["id"] for j in held)
    other = Agent("berlin", berlin.key, berlin.client, "agent-2")
    assert len(await other.lease()) == 3
    # The agent that left leases nothing more, and only the other one counts as alive.
    assert await berlin.lease() == []
    assert (await other.call("/heartbeat")).json()["agentCount"] == 1


async def test_an_extended_lease_outlives_its_first_expiry_and_a_lost_one_says_so(
    vantage: Harness, berlin: Agent, alice: Persona, http_target: HttpTarget
) -> None:
    await start_session(alice, http_target, "berlin")
    [job] = await berlin.lease(leaseSeconds=5)
    lease = {"jobId": job["id"], "leaseOwner": job["leaseOwner"]}
    response = await berlin.call("/leases/extend", {"leases": [lease], "leaseSeconds": 20})
    [extended] = response.json()["leases"]
    assert extended["status"] == "extended"
    async with vantage.runtime.db.read() as conn:
        expires = await conn.scalar(sa.select(jobs.c.lease_expires_at))
    assert expires is not None
    assert expires > utcnow() + timedelta(seconds=15)
    assert await Agent("berlin", berlin.key, berlin.client, "agent-2").lease() == []

    stranger = {"jobId": job["id"], "leaseOwner": "agent-1/not-my-lease"}
    response = await berlin.call("/leases/extend", {"leases": [stranger]})
    assert response.json()["leases"][0]["status"] == "lost"


# Held to a wall-clock bound: runs alone, after the parallel part.
@pytest.mark.serial
async def test_an_idle_long_poll_returns_empty_when_its_wait_ends(berlin: Agent) -> None:
    started = time.monotonic()
    assert await berlin.lease(waitSeconds=0.3) == []
    assert 0.25 <= time.monotonic() - started < 3


@pytest.mark.serial
async def test_a_waiting_long_poll_wakes_within_100_ms_of_a_trigger(
    berlin: Agent, alice: Persona, http_target: HttpTarget
) -> None:
    payload = api_check(f"{http_target.base_url}/ok", locations=["berlin"])
    check_id = (await alice.post("/v1/checks/api", json=payload)).json()["id"]
    waiting = asyncio.create_task(berlin.lease(waitSeconds=10))
    woken: list[float] = []
    waiting.add_done_callback(lambda _: woken.append(time.monotonic()))
    await asyncio.sleep(0.3)
    assert not waiting.done()
    response = await alice.post(
        "/v1/check-sessions/trigger", json={"target": {"checkId": [check_id]}}
    )
    triggered = time.monotonic()
    assert response.status_code == 201
    [job] = await waiting
    assert woken[0] - triggered < 0.1
    assert job["checkType"] == "API"


# Held to a wall-clock bound: runs alone, after the parallel part.
@pytest.mark.serial
async def test_every_waiting_agent_of_a_location_is_woken_for_new_work(
    vantage: Harness, berlin: Agent, alice: Persona, http_target: HttpTarget
) -> None:
    agents = [Agent("berlin", berlin.key, berlin.client, f"agent-{i}") for i in range(3)]
    waiting = [asyncio.create_task(a.lease(max=1, waitSeconds=5)) for a in agents]
    await asyncio.sleep(0.2)
    started = time.monotonic()
    for _ in range(3):
        await start_session(alice, http_target, "berlin")
    leased = await asyncio.gather(*waiting)
    assert sorted(len(j) for j in leased) == [1, 1, 1]
    assert len({j[0]["id"] for j in leased}) == 3
    assert time.monotonic() - started < 2


async def test_a_heartbeat_reports_last_seen_and_the_live_agents(
    berlin: Agent, alice: Persona
) -> None:
    first = (await berlin.call("/heartbeat")).json()
    assert first["location"] == "berlin"
    assert first["agentCount"] == 1
    assert first["lastSeen"].endswith("Z")
    second = Agent("berlin", berlin.key, berlin.client, "agent-2")
    assert (await second.call("/heartbeat")).json()["agentCount"] == 2
    assert (await berlin.call("/heartbeat")).json()["agentCount"] == 2


async def test_a_lease_body_is_validated_with_checklys_400(berlin: Agent) -> None:
    response = await berlin.call("/lease", {"waitSeconds": 60})
    assert response.status_code == 400
    assert response.json()["error"] == "Bad Request"
    response = await berlin.call("/lease", {"agentId": "has spaces"})
    assert response.status_code == 400


async def test_a_long_poll_left_behind_by_an_agent_that_said_goodbye_leases_nothing(
    berlin: Agent, alice: Persona, http_target: HttpTarget
) -> None:
    abandoned = asyncio.create_task(berlin.lease(waitSeconds=3))
    await asyncio.sleep(0.2)
    await berlin.call("/release", {"shutdown": True})
    await start_session(alice, http_target, "berlin")
    assert await abandoned == []
    [job] = await Agent("berlin", berlin.key, berlin.client, "agent-2").lease()
    assert job["attempt"] == 1


async def test_a_completed_job_of_another_location_is_fenced_without_its_result_id(
    vantage: Harness, berlin: Agent, alice: Persona, http_target: HttpTarget
) -> None:
    paris = await new_agent(vantage, "paris")
    await start_session(alice, http_target, "berlin")
    [job] = await berlin.lease()
    [accepted] = await berlin.submit(item(job))
    assert accepted["status"] == "accepted"
    [status] = await paris.submit(item(job))
    assert status == {"jobId": job["id"], "status": "fenced"}
    # Its own location still hears it is a duplicate, with the result it already stored.
    [again] = await berlin.submit(item(job))
    assert again == {"jobId": job["id"], "status": "duplicate", "resultId": accepted["resultId"]}
