"""A deploy is a tracked operation, as at Checkly: accepted PENDING, applied after its request
answers, followed to its end; one at a time per project (a 409 names the one under way), which
can be cancelled; `scheduleOnDeploy` makes the checks it wrote due at once. Both databases."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from tests.projects.support import PROJECT, api_check, body, deploy, deployed, followed
from tests.support.harness import Harness, Persona
from vantage.db.tables import checks
from vantage.locations.service import reserved_slugs
from vantage.projects import service

URL = "http://127.0.0.1:9/ok"
DEPLOYMENTS = f"/v1/projects/{PROJECT['logicalId']}/deployments"


@asynccontextmanager
async def held_deployment(
    vantage: Harness, persona: Persona, deploy_body: dict[str, Any]
) -> AsyncIterator[tuple[str, asyncio.Event]]:
    """A deployment accepted and started by this server's own code, whose task waits for the
    yielded event before it applies: a deploy that is, for as long as the test likes, under way."""
    runtime = vantage.runtime
    ctx = service.Context(
        account_id=persona.account_id,
        base_url=runtime.settings.base_url,
        reserved=reserved_slugs(runtime.settings.default_location),
        seal=runtime.sealer.seal,
    )
    accepted, job = await service.accept_deploy(
        runtime.db,
        ctx,
        deploy_body,
        preserve=False,
        schedule_on_deploy=True,
        deployments=runtime.deploys,
    )
    gate = asyncio.Event()

    async def gated() -> None:
        await gate.wait()
        await service.run(runtime.db, ctx, job, runtime.deploys)

    runtime.deploys.start(job.deployment_id, gated())
    try:
        yield accepted["id"], gate
    finally:
        gate.set()


async def test_a_second_deploy_of_a_project_under_way_is_a_409_naming_the_first(
    vantage: Harness, alice: Persona, charlie: Persona
) -> None:
    async with held_deployment(vantage, alice, body(api_check("home", "Home", URL))) as (
        first,
        gate,
    ):
        second = await deploy(alice, body(api_check("cart", "Cart", URL)))
        destroy = await alice.delete(f"/v1/projects/{PROJECT['logicalId']}")
        still = await alice.get(f"{DEPLOYMENTS}/{first}/completion", params={"maxWaitSeconds": 0})
        # another account's project of the same logicalId is another project
        other = await deploy(charlie, body(api_check("home", "Home", URL)))
        gate.set()
        ended = await alice.get(f"{DEPLOYMENTS}/{first}/completion", params={"maxWaitSeconds": 30})

    assert second.status_code == 409
    assert second.json()["deploymentId"] == first
    assert second.json()["error"] == "Conflict"
    assert destroy.status_code == 409 and destroy.json()["deploymentId"] == first
    assert still.status_code == 408
    assert other.status_code == 202
    assert ended.status_code == 200 and ended.json()["status"] == "SUCCEEDED"
    # the slot is free again
    assert (await deployed(alice, body(api_check("cart", "Cart", URL))))["status"] == "SUCCEEDED"


async def test_a_cancelled_deployment_ends_cancelled_with_nothing_applied(
    vantage: Harness, alice: Persona
) -> None:
    async with held_deployment(vantage, alice, body(api_check("home", "Home", URL))) as (
        first,
        gate,
    ):
        cancelled = await alice.post(f"{DEPLOYMENTS}/{first}/cancel")
        assert cancelled.status_code == 200
        assert cancelled.json()["cancelRequestedAt"] is not None
        gate.set()
        ended = await alice.get(f"{DEPLOYMENTS}/{first}/completion", params={"maxWaitSeconds": 30})

    assert ended.json()["status"] == "CANCELLED"
    assert ended.json()["result"] is None and ended.json()["error"]["message"]
    assert (await alice.get("/v1/checks")).json() == []
    # cancelling an ended deployment changes nothing
    again = await alice.post(f"{DEPLOYMENTS}/{first}/cancel")
    assert again.json()["status"] == "CANCELLED"


async def test_another_accounts_deployment_cannot_be_cancelled(
    vantage: Harness, alice: Persona, charlie: Persona
) -> None:
    async with held_deployment(vantage, alice, body(api_check("home", "Home", URL))) as (
        first,
        gate,
    ):
        refused = await charlie.post(f"{DEPLOYMENTS}/{first}/cancel")
        gate.set()
        ended = await alice.get(f"{DEPLOYMENTS}/{first}/completion", params={"maxWaitSeconds": 30})

    assert refused.status_code == 404
    assert ended.json()["status"] == "SUCCEEDED"


async def test_a_deployment_left_unfinished_by_a_stopped_server_is_failed_and_frees_the_slot(
    vantage: Harness, alice: Persona
) -> None:
    await deployed(alice, body(api_check("home", "Home", URL)))
    # A RUNNING row that no task applies, from long ago (another replica that stopped).
    async with vantage.runtime.db.write() as conn:
        await conn.execute(
            sa.text(
                "INSERT INTO project_deployments (id, account_id, logical_id, status, dry_run, "
                "created_at) VALUES (:id, :account, :logical, 'RUNNING', false, :at)"
            ),
            {
                "id": "11111111-1111-1111-1111-111111111111",
                "account": alice.account_id,
                "logical": PROJECT["logicalId"],
                "at": datetime(2020, 1, 1),
            },
        )

    accepted = await deploy(alice, body(api_check("home", "Home", URL)))
    stale = await alice.get(f"{DEPLOYMENTS}/11111111-1111-1111-1111-111111111111")

    assert accepted.status_code == 202, accepted.text
    assert stale.json()["status"] == "FAILED" and stale.json()["error"]["message"]
    assert (await followed(alice, accepted))["status"] == "SUCCEEDED"


async def next_runs(vantage: Harness) -> dict[str, datetime]:
    async with vantage.runtime.db.read() as conn:
        rows = await conn.execute(sa.select(checks.c.name, checks.c.next_run_at))
        return {r.name: r.next_run_at for r in rows}


async def test_schedule_on_deploy_makes_the_written_checks_due_at_once(
    vantage: Harness, alice: Persona
) -> None:
    daily = {"frequency": 1440}
    project = body(api_check("home", "Home", URL, **daily), api_check("cart", "Cart", URL, **daily))
    first = await deployed(alice, project, scheduleOnDeploy="false")
    unscheduled = await next_runs(vantage)
    edited = body(
        api_check("home", "Home", URL, **daily), api_check("cart", "Cart v2", URL, **daily)
    )

    second = await deployed(alice, edited, scheduleOnDeploy="true")

    scheduled = await next_runs(vantage)
    first_ended = datetime.fromisoformat(first["endedAt"])
    second_ended = datetime.fromisoformat(second["endedAt"])
    # without it, a daily check waits for its slot in the day; with it, the one it changed runs
    assert all(at > first_ended for at in unscheduled.values())
    due = scheduled["Cart v2"]
    # `endedAt` is in milliseconds
    assert due.replace(microsecond=due.microsecond // 1000 * 1000) <= second_ended
    assert scheduled["Home"] == unscheduled["Home"]
