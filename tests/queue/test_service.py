"""A location's jobs are those bound to its id and, for a private location, of its account: an
agent of a location that merely shares the slug (deleted and created again) leases none of them."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from tests.support.checks import api_check
from tests.support.harness import Harness, Persona
from vantage.db.tables import jobs
from vantage.locations import service as locations
from vantage.locations.ref import LocationRef
from vantage.queue import service as queue
from vantage.timeutil import utcnow


async def queued_job_at_private_location(vantage: Harness, persona: Persona) -> LocationRef:
    response = await persona.post(
        "/v1/private-locations", json={"name": "Edge", "slugName": "edge"}
    )
    assert response.status_code == 201, response.text
    check = await persona.post(
        "/v1/checks/api", json=api_check("http://127.0.0.1:9/", privateLocations=["edge"])
    )
    trigger = await persona.post(
        "/v1/check-sessions/trigger", json={"target": {"checkId": [check.json()["id"]]}}
    )
    assert trigger.status_code == 201, trigger.text
    async with vantage.runtime.db.read() as conn:
        found = await locations.by_slug(conn, "edge")
    assert found is not None
    return found.ref


async def claim(vantage: Harness, location: LocationRef) -> list[queue.Job]:
    async with vantage.runtime.db.write() as conn:
        return await queue.claim(
            conn, location=location, owner="t/1", limit=10, now=utcnow(), lease_seconds=30
        )


async def test_a_claim_takes_only_jobs_bound_to_the_locations_id_and_account(
    vantage: Harness, alice: Persona, charlie: Persona
) -> None:
    edge = await queued_job_at_private_location(vantage, alice)
    same_slug_other_id = LocationRef(
        "00000000-0000-4000-8000-000000000000", "edge", alice.account_id
    )
    same_id_other_account = LocationRef(edge.id, "edge", charlie.account_id)
    assert await claim(vantage, same_slug_other_id) == []
    assert await claim(vantage, same_id_other_account) == []
    async with vantage.runtime.db.read() as conn:
        assert await queue.next_due(conn, same_slug_other_id) is None
        assert await queue.next_due(conn, edge) is not None
    [job] = await claim(vantage, edge)
    assert (job.location, job.account_id) == ("edge", alice.account_id)


async def test_extend_and_release_touch_only_the_locations_own_jobs(
    vantage: Harness, alice: Persona
) -> None:
    edge = await queued_job_at_private_location(vantage, alice)
    [job] = await claim(vantage, edge)
    impostor = LocationRef("00000000-0000-4000-8000-000000000000", "edge", None)
    async with vantage.runtime.db.write() as conn:
        lease = [(job.id, job.lease_owner)]
        extended = await queue.extend_lease(
            conn, location=impostor, leases=lease, now=utcnow(), lease_seconds=30
        )
        assert extended == {job.id: None}
        assert await queue.release(conn, leases=lease, location=impostor) == []
        assert await queue.release_owned(conn, location=impostor, owner_prefix="t/") == []
        state = await conn.scalar(sa.select(jobs.c.state).where(jobs.c.id == job.id))
    assert state == "LEASED"


async def test_a_claim_retakes_an_expired_lease_first_then_the_oldest_queued_up_to_its_limit(
    vantage: Harness, alice: Persona
) -> None:
    """Two statements now (retakes, then queued jobs): together they still lease no more than
    the limit, overdue runs first, and queued jobs in run_at order."""
    edge = await queued_job_at_private_location(vantage, alice)
    for _ in range(2):
        await queued_job_at_private_location_again(alice)
    [expired] = await claim_some(vantage, edge, 1)
    async with vantage.runtime.db.write() as conn:
        await conn.execute(
            jobs.update()
            .where(jobs.c.id == expired.id)
            .values(lease_expires_at=utcnow() - timedelta(seconds=1))
        )
        queued = (
            await conn.execute(
                sa.select(jobs.c.id).where(jobs.c.state == "QUEUED").order_by(jobs.c.run_at)
            )
        ).scalars()
        oldest_queued = next(iter(queued))

    taken = await claim_some(vantage, edge, 2)

    assert [job.id for job in taken] == [expired.id, oldest_queued]


async def queued_job_at_private_location_again(persona: Persona) -> None:
    check = await persona.post(
        "/v1/checks/api", json=api_check("http://127.0.0.1:9/", privateLocations=["edge"])
    )
    trigger = await persona.post(
        "/v1/check-sessions/trigger", json={"target": {"checkId": [check.json()["id"]]}}
    )
    assert trigger.status_code == 201, trigger.text


async def claim_some(vantage: Harness, location: LocationRef, limit: int) -> list[queue.Job]:
    async with vantage.runtime.db.write() as conn:
        return await queue.claim(
            conn, location=location, owner="t/2", limit=limit, now=utcnow(), lease_seconds=30
        )
