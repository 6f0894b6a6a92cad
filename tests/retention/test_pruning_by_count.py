"""The retention pass keeps each project's newest deployments and each account's most recently
uploaded code bundles, and deletes the rest: what `checkly deploy` and `checkly test` store does
not grow forever."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.bundles.test_code_bundles import PEEK, archive, upload
from tests.projects.support import PROJECT, api_check, body, deployed
from tests.support.harness import Harness, Persona, running_vantage, settings_for
from vantage.db.tables import project_deployments
from vantage.retention.pruner import Pruner
from vantage.timeutil import utcnow

OTHER_PROJECT = {"logicalId": "blog-monitoring", "name": "Blog monitoring"}


@pytest.fixture
async def vantage(database_url: str) -> AsyncIterator[Harness]:
    settings = settings_for(database_url, project_deployments_kept=2, code_bundles_kept=2)
    # No background work: the server's own first retention pass would race the tests' pass.
    async with running_vantage(settings, background=False) as harness:
        yield harness


@pytest.fixture
async def bob(vantage: Harness) -> Persona:
    return await vantage.persona("bob")


async def deploy_version(persona: Persona, version: int, project: dict[str, str] = PROJECT) -> str:
    check = api_check("home", f"Home v{version}", "http://127.0.0.1:9/")
    return str((await deployed(persona, body(check, project=project)))["id"])


async def completion(persona: Persona, deployment_id: str, logical_id: str) -> int:
    path = f"/v1/projects/{logical_id}/deployments/{deployment_id}/completion"
    return (await persona.get(path, params={"maxWaitSeconds": 1})).status_code


async def test_a_pass_keeps_each_projects_newest_deployments_and_deletes_older_ones(
    vantage: Harness, alice: Persona, bob: Persona
) -> None:
    shop = [await deploy_version(alice, v) for v in range(4)]
    blog = await deploy_version(alice, 0, OTHER_PROJECT)
    bobs = await deploy_version(bob, 0)

    done = await Pruner(vantage.runtime).run_once()

    assert done is not None
    assert done.deployments == 2
    logical = PROJECT["logicalId"]
    assert [await completion(alice, d, logical) for d in shop] == [404, 404, 200, 200]
    assert await completion(alice, blog, OTHER_PROJECT["logicalId"]) == 200
    assert await completion(bob, bobs, logical) == 200
    again = await Pruner(vantage.runtime).run_once()
    assert again is not None
    assert again.deployments == 0


async def test_a_deployment_still_running_is_never_pruned(vantage: Harness, alice: Persona) -> None:
    ended = [await deploy_version(alice, v) for v in range(3)]
    running = str(uuid.uuid4())
    async with vantage.runtime.db.write() as conn:
        # Older than every ended one: age alone would make it the first to go.
        await conn.execute(
            project_deployments.insert().values(
                id=running,
                account_id=alice.account_id,
                logical_id=PROJECT["logicalId"],
                status="RUNNING",
                dry_run=False,
                created_at=utcnow() - timedelta(days=1),
                started_at=utcnow() - timedelta(days=1),
            )
        )

    done = await Pruner(vantage.runtime).run_once()

    assert done is not None
    assert done.deployments == 1
    async with vantage.runtime.db.read() as conn:
        left = set(await conn.scalars(sa.select(project_deployments.c.id)))
    assert left == {running, *ended[1:]}


async def test_a_pass_keeps_each_accounts_most_recently_uploaded_bundles(
    vantage: Harness, alice: Persona, bob: Persona
) -> None:
    bundles = [archive(n) for n in ("1", "2", "3")]
    first, second, third = [(await upload(alice, data))["key"] for data in bundles]
    # Uploaded again, unchanged (as every `checkly test` of an unchanged project does): recent.
    await upload(alice, bundles[0])
    bobs = (await upload(bob, archive("bob")))["key"]

    done = await Pruner(vantage.runtime).run_once()

    assert done is not None
    assert done.bundles == 1
    peeked = [(await alice.post(PEEK, json={"key": k})).status_code for k in (first, second, third)]
    assert peeked == [200, 404, 200]
    assert (await bob.post(PEEK, json={"key": bobs})).status_code == 200
