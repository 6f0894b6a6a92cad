"""Deleting a check withdraws its runs (queued, retrying or under way) and ends its open sessions,
so nothing of it is stored afterwards: no result, no status row, no job."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from tests.agentapi.conftest import item, new_agent
from tests.support.checks import api_check
from tests.support.harness import Harness, Persona
from vantage.db.tables import check_results, check_sessions, check_statuses, jobs
from vantage.timeutil import utcnow


async def trigger(persona: Persona, check_id: str) -> str:
    response = await persona.post(
        "/v2/check-sessions/trigger", json={"target": {"checkId": [check_id]}}
    )
    assert response.status_code == 201, response.text
    return str(response.json()["sessions"][0]["checkSessionId"])


async def rows_of(vantage: Harness, check_id: str) -> dict[str, Any]:
    async with vantage.runtime.db.read() as conn:

        async def count(table: sa.Table) -> int:
            value = await conn.scalar(
                sa.select(sa.func.count()).select_from(table).where(table.c.check_id == check_id)
            )
            return int(value or 0)

        open_sessions = await conn.scalar(
            sa.select(sa.func.count())
            .select_from(check_sessions)
            .where(check_sessions.c.check_id == check_id, check_sessions.c.stopped_at.is_(None))
        )
        return {
            "jobs": await count(jobs),
            "results": await count(check_results),
            "statuses": await count(check_statuses),
            "open_sessions": open_sessions,
        }


async def test_deleting_a_check_withdraws_its_runs_and_leaves_nothing_behind(
    vantage: Harness, alice: Persona
) -> None:
    agent = await new_agent(vantage, "far-away")
    check = await alice.post(
        "/v1/checks/api", json=api_check("http://127.0.0.1:9/", locations=["far-away"])
    )
    check_id = check.json()["id"]
    # One run finished (a result and a status row), one under way, one queued, one retrying.
    await trigger(alice, check_id)
    [done] = await agent.lease()
    assert (await agent.submit(item(done)))[0]["status"] == "accepted"
    running = await trigger(alice, check_id)
    [under_way] = await agent.lease(max=1)
    queued = await trigger(alice, check_id)
    retrying = await trigger(alice, check_id)
    async with vantage.runtime.db.write() as conn:
        await conn.execute(
            jobs.update()
            .where(jobs.c.session_id == retrying)
            .values(attempt=2, run_at=utcnow() + timedelta(seconds=30))
        )
    assert await rows_of(vantage, check_id) == {
        "jobs": 3, "results": 1, "statuses": 1, "open_sessions": 3
    }  # fmt: skip

    waiter = asyncio.create_task(
        alice.get(f"/v2/check-sessions/{queued}/completion", params={"maxWaitSeconds": 20})
    )
    await asyncio.sleep(0.2)
    assert (await alice.delete(f"/v1/checks/{check_id}")).status_code == 204
    finished = await asyncio.wait_for(waiter, 5)
    assert finished.json()["status"] == "CANCELLED"

    # The run under way reports after the deletion: fenced, nothing stored.
    [status] = await agent.submit(item(under_way))
    assert status == {"jobId": under_way["id"], "status": "fenced"}
    assert await agent.lease(waitSeconds=0) == []
    assert await rows_of(vantage, check_id) == {
        "jobs": 0, "results": 0, "statuses": 0, "open_sessions": 0
    }  # fmt: skip
    for session_id in (running, queued, retrying):
        v2 = (await alice.get(f"/v2/check-sessions/{session_id}")).json()
        v1 = (await alice.get(f"/v1/check-sessions/{session_id}")).json()
        assert (v2["status"], v1["status"]) == ("CANCELLED", "TIMED_OUT")


async def test_deleting_a_check_leaves_other_checks_runs_alone(
    vantage: Harness, alice: Persona
) -> None:
    agent = await new_agent(vantage, "far-away")
    ids = []
    for name in ("deleted", "kept"):
        response = await alice.post(
            "/v1/checks/api",
            json=api_check("http://127.0.0.1:9/", name=name, locations=["far-away"]),
        )
        ids.append(response.json()["id"])
    kept_session = await trigger(alice, ids[1])
    await trigger(alice, ids[0])
    assert (await alice.delete(f"/v1/checks/{ids[0]}")).status_code == 204
    [job] = await agent.lease()
    assert job["sessionId"] == kept_session
    assert (await agent.submit(item(job)))[0]["status"] == "accepted"
