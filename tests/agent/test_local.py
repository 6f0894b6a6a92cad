"""The embedded agent: it stores what a probe saw even when the database could not hold it as is
(M3: one result with a NUL would otherwise fail on PostgreSQL, and take its whole batch down with
it), and it follows the agent loop's rules in-process."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import sqlalchemy as sa

from tests.support.checks import api_check
from tests.support.harness import Harness, Persona, running_vantage, settings_for
from tests.support.sessions import create, run
from tests.targets.http_target import HttpTarget
from vantage.agent.control import Delivery
from vantage.agent.local import LocalControlPlane, _transient
from vantage.db.engine import Database
from vantage.db.tables import agents, check_results, jobs
from vantage.probes.result import ProbeResult
from vantage.timeutil import utcnow


async def test_a_nul_a_probe_saw_is_stored_replaced(
    vantage: Harness, alice: Persona, http_target: HttpTarget
) -> None:
    # The target echoes the query as JSON: "x": "\u0000", which the JSON_BODY assertion reads.
    assertion = {"source": "JSON_BODY", "property": "$.query.x", "comparison": "EQUALS"}
    payload = api_check(
        f"{http_target.base_url}/echo?x=%00", request={"assertions": [{**assertion, "target": "a"}]}
    )
    session = await run(alice, await create(alice, payload))
    assert session["status"] == "FAILED"  # the run's verdict, not a timeout
    async with vantage.runtime.db.read() as conn:
        detail: Any = await conn.scalar(sa.select(check_results.c.detail))
    assert detail["assertions"][0]["actual"] == "\ufffd"


# The embedded agent is the agent loop over LocalControlPlane: it heartbeats like a remote agent,
# rejects a result the database cannot take on its own, and drains when the server stops.


async def test_the_embedded_agent_reports_itself_alive(vantage: Harness) -> None:
    for _ in range(200):
        async with vantage.runtime.db.read() as conn:
            ids = list(
                await conn.scalars(sa.select(agents.c.id).where(agents.c.location == "local"))
            )
        if ids:
            break
        await asyncio.sleep(0.05)
    assert len(ids) == 1 and ids[0].startswith("local-")


async def queued_jobs(persona: Persona, *urls: str) -> None:
    for url in urls:
        check_id = await create(persona, api_check(url))
        response = await persona.post(
            "/v1/check-sessions/trigger", json={"target": {"checkId": [check_id]}}
        )
        assert response.status_code == 201, response.text


def probe_result(**detail: Any) -> ProbeResult:
    now = utcnow()
    return ProbeResult(
        check_type="API",
        started_at=now,
        stopped_at=now,
        response_time_ms=1.0,
        has_failures=False,
        is_degraded=False,
        over_max_response_time=False,
        detail_key="apiCheckResult",
        detail=detail,
    )


async def test_a_result_the_database_cannot_take_is_rejected_alone(
    database_url: str, http_target: HttpTarget
) -> None:
    async with running_vantage(settings_for(database_url, local_agent=False)) as harness:
        alice = await harness.persona("alice")
        await queued_jobs(alice, f"{http_target.base_url}/ok", f"{http_target.base_url}/ok")
        plane = LocalControlPlane(harness.runtime, "local")
        first, second = await plane.lease(2, 0, 60)
        unstorable = probe_result(seen={1, 2})  # a set: no JSON for it
        statuses = await plane.submit(
            [Delivery.of(first, probe_result()), Delivery.of(second, unstorable)]
        )
        assert statuses == ["accepted", "rejected"]
        async with harness.runtime.db.read() as conn:
            stored = list(await conn.scalars(sa.select(check_results.c.job_id)))
        assert stored == [first.id]


async def test_a_stopping_server_stores_finished_runs_and_releases_the_rest(
    database_url: str, http_target: HttpTarget
) -> None:
    key = uuid.uuid4().hex
    settings = settings_for(database_url, local_agent_drain_seconds=1.0)
    async with running_vantage(settings) as harness:
        alice = await harness.persona("alice")
        await queued_jobs(
            alice,
            f"{http_target.base_url}/slow?ms=300&key={key}",
            f"{http_target.base_url}/slow?ms=15000&key={key}",
        )
        for _ in range(200):
            if sum(1 for req in http_target.seen if req.arg("key", "") == key) == 2:
                break
            await asyncio.sleep(0.05)
    db = Database(database_url, pool_size=1)
    try:
        async with db.read() as conn:
            stored = (await conn.execute(sa.select(check_results.c.job_id))).all()
            left = (await conn.execute(sa.select(jobs.c.state, jobs.c.lease_owner))).all()
    finally:
        await db.dispose()
    # The short run finished within the drain and was stored; the long one is queued again,
    # for the next start to run at once rather than after its lease.
    assert len(stored) == 1
    assert [tuple(row) for row in left] == [("QUEUED", None)]


def test_a_database_outage_is_retried_and_a_value_it_refuses_is_not() -> None:
    cause = Exception("from the driver")
    for outage in (
        sa.exc.OperationalError("SELECT 1", {}, cause),
        sa.exc.InterfaceError("SELECT 1", {}, cause),
        sa.exc.DBAPIError("SELECT 1", {}, cause),  # a driver error SQLAlchemy could not sort
        sa.exc.TimeoutError(),  # the pool's
        ConnectionRefusedError(),
    ):
        assert _transient(outage), outage
    for refusal in (
        sa.exc.IntegrityError("INSERT", {}, cause),
        sa.exc.DataError("INSERT", {}, cause),
        TypeError("Object of type set is not JSON serializable"),
    ):
        assert not _transient(refusal), refusal
