"""Planning binds each job to its location's id and queues nothing for a location that does not
exist or is not the account's: such a run goes to the check's other locations, and a run left with
none is a session that ends at once as CANCELLED."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from tests.support.checks import api_check
from tests.support.harness import Harness, Persona, running_vantage, settings_for
from vantage.db.tables import checks, jobs, locations
from vantage.locations import service as locations_service
from vantage.locations.ref import LocationRef
from vantage.scheduling.scheduler import Scheduler
from vantage.sessions.planning import CheckToRun, plan_session
from vantage.timeutil import utcnow

LOCAL = LocationRef("id-local", "local", None)
MINE = LocationRef("id-mine", "mine", "acct-1")
THEIRS = LocationRef("id-theirs", "theirs", "acct-2")
PLACES = {ref.slug: ref for ref in (LOCAL, MINE, THEIRS)}


def plan(**config: Any) -> Any:
    check = CheckToRun("check-1", "acct-1", "API", "c", {"frequency": 10, **config})
    return plan_session(
        check,
        run_source="TRIGGER_API",
        now=utcnow(),
        default_location="local",
        deadline_slack_seconds=5,
        places=PLACES,
    )


def test_each_job_is_bound_to_its_locations_id() -> None:
    planned = plan(locations=["local"], privateLocations=["mine"], runParallel=True)
    assert [(j["location"], j["location_id"]) for j in planned.jobs] == [
        ("local", "id-local"),
        ("mine", "id-mine"),
    ]
    assert planned.session["status"] == "STARTED" and planned.missing == []


def test_a_missing_or_foreign_location_gets_no_job_and_the_others_run() -> None:
    planned = plan(locations=["gone", "local"], privateLocations=["theirs"], runParallel=True)
    assert [j["location_id"] for j in planned.jobs] == ["id-local"]
    assert planned.locations == ["local"]
    assert planned.missing == ["gone", "theirs"]
    assert planned.session["status"] == "STARTED"


def test_a_round_robin_run_rotates_over_existing_locations_only() -> None:
    for _ in range(3):
        planned = plan(locations=["gone", "local"])
        assert planned.locations == ["local"]


def test_a_run_with_no_usable_location_is_a_session_cancelled_at_once() -> None:
    planned = plan(privateLocations=["theirs"])
    assert planned.jobs == []
    assert planned.cancelled
    assert planned.session["stopped_at"] == planned.session["started_at"]
    assert planned.locations == ["theirs"]


async def vanished_location_check(vantage: Harness, persona: Persona, **fields: Any) -> str:
    """A check whose location disappears after the check named it (as in a race with its
    deletion on PostgreSQL)."""
    async with vantage.runtime.db.write() as conn:
        await locations_service.ensure(conn, "vanishing", "Vanishing")
    response = await persona.post("/v1/checks/api", json=api_check("http://127.0.0.1:9/", **fields))
    assert response.status_code == 201, response.text
    async with vantage.runtime.db.write() as conn:
        await conn.execute(locations.delete().where(locations.c.slug == "vanishing"))
    return str(response.json()["id"])


async def test_a_trigger_for_a_vanished_location_ends_its_session_at_once(
    vantage: Harness, alice: Persona
) -> None:
    check_id = await vanished_location_check(vantage, alice, locations=["vanishing"])
    response = await alice.post(
        "/v2/check-sessions/trigger", json={"target": {"checkId": [check_id]}}
    )
    assert response.status_code == 201, response.text
    [session] = response.json()["sessions"]
    assert session["status"] == "CANCELLED"
    done = await alice.get(
        f"/v1/check-sessions/{session['checkSessionId']}/completion", params={"maxWaitSeconds": 1}
    )
    assert done.status_code == 200
    assert done.json()["status"] == "TIMED_OUT"
    async with vantage.runtime.db.read() as conn:
        assert (await conn.execute(sa.select(jobs))).all() == []


async def test_the_scheduler_skips_a_vanished_location_and_runs_the_others(
    database_url: str,
) -> None:
    async with running_vantage(settings_for(database_url), background=False) as vantage:
        alice = await vantage.persona("alice")
        check_id = await vanished_location_check(
            vantage, alice, locations=["vanishing", "local"], runParallel=True
        )
        async with vantage.runtime.db.write() as conn:
            await conn.execute(
                checks.update()
                .where(checks.c.id == check_id)
                .values(next_run_at=utcnow() - timedelta(seconds=1))
            )
        assert await Scheduler(vantage.runtime).run_once() == 1
        async with vantage.runtime.db.read() as conn:
            queued = (await conn.execute(sa.select(jobs.c.location))).all()
        assert [row.location for row in queued] == ["local"]
