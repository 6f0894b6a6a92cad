"""Deleting a private location withdraws the runs still waiting there and ends their sessions, so an
account that creates the same slug afterwards receives none of them (nor learns their results)."""

from __future__ import annotations

import asyncio
from typing import Any

import sqlalchemy as sa

from tests.agentapi.conftest import Agent, item
from tests.support.checks import api_check
from tests.support.harness import Harness, Persona
from vantage.db.tables import check_results, jobs

SLUG = "reuse-me"


async def private_location(persona: Persona, slug: str = SLUG) -> tuple[str, Agent]:
    response = await persona.post("/v1/private-locations", json={"name": "Mine", "slugName": slug})
    assert response.status_code == 201, response.text
    body = response.json()
    return body["id"], Agent(slug, body["keys"][0]["rawKey"], persona.client)


async def secret_check(persona: Persona) -> str:
    payload = api_check(
        "http://127.0.0.1:9/",
        privateLocations=[SLUG],
        request={"headers": [{"key": "X-Api-Key", "value": "A-REUSE-SECRET"}]},
    )
    response = await persona.post("/v1/checks/api", json=payload)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def trigger(persona: Persona, check_id: str) -> str:
    response = await persona.post(
        "/v2/check-sessions/trigger", json={"target": {"checkId": [check_id]}}
    )
    assert response.status_code == 201, response.text
    return str(response.json()["sessions"][0]["checkSessionId"])


async def jobs_of(vantage: Harness, session_ids: list[str]) -> list[Any]:
    async with vantage.runtime.db.read() as conn:
        rows = await conn.execute(sa.select(jobs).where(jobs.c.session_id.in_(session_ids)))
        return list(rows.all())


async def test_deleting_a_location_withdraws_its_runs_and_ends_their_sessions(
    vantage: Harness, alice: Persona, charlie: Persona
) -> None:
    location_id, alices_agent = await private_location(alice)
    check_id = await secret_check(alice)
    leased_session = await trigger(alice, check_id)
    queued_session = await trigger(alice, check_id)
    [leased] = await alices_agent.lease(max=1)
    assert leased["sessionId"] == leased_session
    # The check moves elsewhere; the runs planned before still wait at the location.
    moved = await alice.put(f"/v1/checks/{check_id}", json={"privateLocations": []})
    assert moved.status_code == 200, moved.text
    assert len(await jobs_of(vantage, [leased_session, queued_session])) == 2

    waiter = asyncio.create_task(
        alice.get(f"/v2/check-sessions/{queued_session}/completion", params={"maxWaitSeconds": 20})
    )
    await asyncio.sleep(0.2)
    assert (await alice.delete(f"/v1/private-locations/{location_id}")).status_code == 204
    done = await asyncio.wait_for(waiter, 5)
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "CANCELLED"
    for session_id in (leased_session, queued_session):
        v1 = (await alice.get(f"/v1/check-sessions/{session_id}")).json()
        assert v1["status"] == "TIMED_OUT"
        assert v1["stoppedAt"] is not None
    assert await jobs_of(vantage, [leased_session, queued_session]) == []

    # Another account takes the slug: its agent finds nothing of alice's.
    _, charlies_agent = await private_location(charlie)
    assert await charlies_agent.lease(waitSeconds=0) == []
    # The run alice's agent had under way is refused too (its key went with the location).
    response = await alices_agent.call("/results", {"results": [item(leased)]})
    assert response.status_code == 401
    [status] = await charlies_agent.submit(item(leased))
    assert status == {"jobId": leased["id"], "status": "fenced"}
    async with vantage.runtime.db.read() as conn:
        stored = await conn.scalar(
            sa.select(sa.func.count())
            .select_from(check_results)
            .where(check_results.c.check_id == check_id)
        )
    assert stored == 0


async def test_a_location_still_named_by_a_check_is_not_deleted_and_keeps_its_runs(
    vantage: Harness, alice: Persona
) -> None:
    location_id, _ = await private_location(alice)
    check_id = await secret_check(alice)
    session_id = await trigger(alice, check_id)
    response = await alice.delete(f"/v1/private-locations/{location_id}")
    assert response.status_code == 409
    assert [job.state for job in await jobs_of(vantage, [session_id])] == ["QUEUED"]
    body = (await alice.get(f"/v2/check-sessions/{session_id}")).json()
    assert body["status"] == "STARTED"


async def test_a_re_created_slug_does_not_reveal_the_old_locations_result_ids(
    vantage: Harness, alice: Persona, charlie: Persona
) -> None:
    location_id, alices_agent = await private_location(alice)
    check_id = await secret_check(alice)
    await trigger(alice, check_id)
    [job] = await alices_agent.lease()
    [accepted] = await alices_agent.submit(item(job))
    assert accepted["status"] == "accepted"
    await alice.put(f"/v1/checks/{check_id}", json={"privateLocations": []})
    assert (await alice.delete(f"/v1/private-locations/{location_id}")).status_code == 204

    _, charlies_agent = await private_location(charlie)
    [status] = await charlies_agent.submit(item(job))
    assert status == {"jobId": job["id"], "status": "fenced"}
