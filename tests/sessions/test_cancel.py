"""`POST /v1/check-sessions/{id}/cancel`: a running session ends as cancelled and its remaining
jobs are withdrawn; an ended one stays as it was; another account's is a 404."""

from __future__ import annotations

import sqlalchemy as sa

from tests.support.checks import api_check
from tests.support.harness import Harness, Persona
from tests.support.sessions import create, run
from tests.targets.http_target import HttpTarget
from vantage.db.tables import jobs


async def test_a_running_session_is_cancelled_and_its_jobs_withdrawn(
    vantage: Harness, alice: Persona, charlie: Persona
) -> None:
    # A location of alice's own with no agent: the session waits for it.
    office = await alice.post(
        "/v1/private-locations", json={"name": "Office", "slugName": "idle-office"}
    )
    assert office.status_code == 201
    check_id = await create(
        alice, api_check("https://example.test/", privateLocations=["idle-office"])
    )
    started = await alice.post(
        "/v2/check-sessions/trigger", json={"target": {"checkId": [check_id]}}
    )
    session_id = started.json()["sessions"][0]["checkSessionId"]

    assert (await charlie.post(f"/v1/check-sessions/{session_id}/cancel")).status_code == 404
    cancelled = await alice.post(f"/v1/check-sessions/{session_id}/cancel", json={"sequenceId": []})

    assert cancelled.status_code == 204
    v2 = (await alice.get(f"/v2/check-sessions/{session_id}")).json()
    assert v2["status"] == "CANCELLED" and v2["stoppedAt"] is not None
    assert (await alice.get(f"/v1/check-sessions/{session_id}")).json()["status"] == "TIMED_OUT"
    async with vantage.runtime.db.read() as conn:
        left = await conn.scalar(
            sa.select(sa.func.count()).select_from(jobs).where(jobs.c.session_id == session_id)
        )
    assert left == 0


async def test_an_ended_session_keeps_its_status(alice: Persona, http_target: HttpTarget) -> None:
    check_id = await create(alice, api_check(f"{http_target.base_url}/ok"))
    session = await run(alice, check_id)
    session_id = session["checkSessionId"]
    assert (await alice.post(f"/v1/check-sessions/{session_id}/cancel")).status_code == 204
    assert (await alice.get(f"/v2/check-sessions/{session_id}")).json()["status"] == "PASSED"
    assert (await alice.post("/v1/check-sessions/not-a-session/cancel")).status_code == 404
