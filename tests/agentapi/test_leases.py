"""How long a lease lasts: a dead agent's leases are taken over by a live agent of its location
before they expire, and no lease outlives its session's deadline, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from tests.agentapi.conftest import Agent, item, start_session
from tests.support.harness import Harness, Persona
from tests.targets.http_target import HttpTarget
from vantage.db.tables import agents, check_sessions, jobs
from vantage.scheduling.scheduler import Reaper
from vantage.timeutil import iso, utcnow


async def silence(vantage: Harness, agent_id: str, seconds: float) -> None:
    """As if `agent_id`'s last heartbeat was `seconds` ago."""
    async with vantage.runtime.db.write() as conn:
        await conn.execute(
            agents.update()
            .where(agents.c.id == agent_id)
            .values(last_seen_at=utcnow() - timedelta(seconds=seconds))
        )


def parse_iso(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


async def time_out(vantage: Harness, session_id: str) -> None:
    """A reaper pass past the session's deadline ends it TIMED_OUT. The server's own reaper, which
    the session's start woke, may get there first: who ended it is not the point."""
    await Reaper(vantage.runtime).run_once()
    async with vantage.runtime.db.read() as conn:
        status = await conn.scalar(
            sa.select(check_sessions.c.status).where(check_sessions.c.id == session_id)
        )
    assert status == "TIMED_OUT"


async def deadline_of(vantage: Harness, session_id: str) -> datetime:
    async with vantage.runtime.db.read() as conn:
        value = await conn.scalar(
            sa.select(check_sessions.c.deadline_at).where(check_sessions.c.id == session_id)
        )
    assert isinstance(value, datetime)
    return value


async def test_a_dead_agents_lease_is_taken_over_by_a_live_agent_before_it_expires(
    vantage: Harness, berlin: Agent, alice: Persona, http_target: HttpTarget
) -> None:
    other = Agent("berlin", berlin.key, berlin.client, "agent-2")
    await berlin.call("/heartbeat")
    await other.call("/heartbeat")
    await start_session(alice, http_target, "berlin")
    [job] = await berlin.lease(leaseSeconds=300)
    # While its agent heartbeats, the lease is its own.
    assert await other.lease() == []

    await silence(vantage, "agent-1", vantage.runtime.settings.agent_dead_seconds + 1)
    [taken] = await other.lease()
    assert taken["id"] == job["id"]
    assert parse_iso(job["leaseExpiresAt"]) > utcnow()  # taken over before it expired
    [late] = await berlin.submit(item(job))
    assert late["status"] == "fenced"
    [status] = await other.submit(item(taken))
    assert status["status"] == "accepted"


async def test_a_lease_of_an_agent_that_never_sent_a_heartbeat_runs_out_as_usual(
    vantage: Harness, berlin: Agent, alice: Persona, http_target: HttpTarget
) -> None:
    other = Agent("berlin", berlin.key, berlin.client, "agent-2")
    await other.call("/heartbeat")
    await start_session(alice, http_target, "berlin")
    [job] = await berlin.lease()
    await silence(vantage, "agent-2", 3600)  # another agent's silence says nothing of agent-1
    assert await other.lease() == []
    [status] = await berlin.submit(item(job))
    assert status["status"] == "accepted"


async def test_an_agent_id_that_merely_begins_like_a_dead_one_keeps_its_lease(
    vantage: Harness, berlin: Agent, alice: Persona, http_target: HttpTarget
) -> None:
    # agent-1 is dead; agent-10's leases are not agent-1's, though their owners share a prefix.
    ten = Agent("berlin", berlin.key, berlin.client, "agent-10")
    await berlin.call("/heartbeat")
    await ten.call("/heartbeat")
    await start_session(alice, http_target, "berlin")
    [job] = await ten.lease()
    await silence(vantage, "agent-1", 3600)
    assert await Agent("berlin", berlin.key, berlin.client, "agent-3").lease() == []
    [status] = await ten.submit(item(job))
    assert status["status"] == "accepted"


async def test_a_lease_and_its_extension_never_outlive_the_sessions_deadline(
    vantage: Harness, berlin: Agent, alice: Persona, http_target: HttpTarget
) -> None:
    session_id = await start_session(alice, http_target, "berlin")
    deadline = await deadline_of(vantage, session_id)
    assert deadline < utcnow() + timedelta(seconds=290)
    [job] = await berlin.lease(leaseSeconds=300)
    assert job["leaseExpiresAt"] == iso(deadline)
    assert job["leaseSeconds"] < 300

    lease = {"jobId": job["id"], "leaseOwner": job["leaseOwner"]}
    response = await berlin.call("/leases/extend", {"leases": [lease], "leaseSeconds": 300})
    [extended] = response.json()["leases"]
    assert extended["status"] == "extended"
    assert extended["leaseExpiresAt"] == iso(deadline)
    assert extended["leaseSeconds"] < 300
    async with vantage.runtime.db.read() as conn:
        assert await conn.scalar(sa.select(jobs.c.lease_expires_at)) == deadline


async def test_after_the_deadline_the_run_is_leased_to_nobody_and_its_late_result_keeps_the_timeout(
    vantage: Harness, berlin: Agent, alice: Persona, http_target: HttpTarget
) -> None:
    session_id = await start_session(alice, http_target, "berlin")
    [job] = await berlin.lease()
    # The deadline passes with the run still out: the reaper times the session out.
    async with vantage.runtime.db.write() as conn:
        past = utcnow() - timedelta(seconds=1)
        await conn.execute(check_sessions.update().values(deadline_at=past))
        await conn.execute(jobs.update().values(lease_expires_at=past))
    await time_out(vantage, session_id)

    assert await Agent("berlin", berlin.key, berlin.client, "agent-2").lease() == []
    lease = {"jobId": job["id"], "leaseOwner": job["leaseOwner"]}
    response = await berlin.call("/leases/extend", {"leases": [lease]})
    assert response.json()["leases"][0]["status"] == "lost"

    [late] = await berlin.submit(item(job, hasFailures=True))
    assert late["status"] == "accepted"
    session = (await alice.get(f"/v1/check-sessions/{session_id}")).json()
    assert session["status"] == "TIMED_OUT"
    assert [(r["hasFailures"], r["late"]) for r in session["results"]] == [(True, True)]


async def test_an_ended_sessions_job_whose_agent_never_reports_is_dropped_an_hour_after_its_lease(
    vantage: Harness, berlin: Agent, alice: Persona, http_target: HttpTarget
) -> None:
    session_id = await start_session(alice, http_target, "berlin")
    [job] = await berlin.lease()
    async with vantage.runtime.db.write() as conn:
        past = utcnow() - timedelta(seconds=1)
        await conn.execute(check_sessions.update().values(deadline_at=past))
        await conn.execute(jobs.update().values(lease_expires_at=past))
    await time_out(vantage, session_id)
    # Within the hour its agent may still report late: the job stays.
    async with vantage.runtime.db.read() as conn:
        assert await conn.scalar(sa.select(sa.func.count()).select_from(jobs)) == 1

    async with vantage.runtime.db.write() as conn:
        await conn.execute(jobs.update().values(lease_expires_at=past - timedelta(hours=1)))
    assert await Reaper(vantage.runtime).run_once() == []
    async with vantage.runtime.db.read() as conn:
        assert await conn.scalar(sa.select(sa.func.count()).select_from(jobs)) == 0
    [late] = await berlin.submit(item(job, hasFailures=True))
    assert late["status"] == "fenced"
