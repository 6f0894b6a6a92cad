"""Two transactions that subscribe one check to one channel at once: on PostgreSQL both find the
subscription missing, and the second must not fail on the first's row (a 500 to its client)."""

from __future__ import annotations

import asyncio
from collections.abc import Collection
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from tests.alerting.test_channels import CONFIGS, create_channel
from tests.groups.test_endpoints import create_check
from tests.support.checks import api_check
from tests.support.harness import Harness, Persona
from vantage.alerting import repository, service
from vantage.db.tables import alert_channel_subscriptions as subs


async def _blocked_on_a_lock(vantage: Harness) -> bool:
    async with vantage.runtime.db.read() as conn:
        waiting = await conn.scalar(
            sa.text(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
        )
    return bool(waiting)


# PostgreSQL only: SQLite has one writer at a time, so the two transactions cannot overlap.
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_a_second_writer_of_one_subscription_takes_the_firsts_row(
    vantage: Harness, alice: Persona
) -> None:
    db = vantage.runtime.db
    check = await create_check(alice, api_check("http://127.0.0.1:9/"))
    channel = await create_channel(alice, type="EMAIL", config=CONFIGS["EMAIL"])
    wanted = [(int(channel["id"]), False)]

    async with db.write() as first:
        await repository.upsert_one(
            first,
            alice.account_id,
            channel["id"],
            check_id=check["id"],
            group_id=None,
            activated=True,
        )

        async def second_writer() -> None:
            async with db.write() as second:
                await repository.replace_of_target(
                    second, alice.account_id, check_id=check["id"], channels=wanted
                )

        second = asyncio.create_task(second_writer())
        # The second reads no subscription, then waits on the first's uncommitted row.
        while not await _blocked_on_a_lock(vantage):
            assert not second.done(), second.exception()
            await asyncio.sleep(0.01)
    await second

    async with db.read() as conn:
        rows = (await conn.execute(sa.select(subs).where(subs.c.check_id == check["id"]))).all()
    assert [(r.alert_channel_id, r.activated) for r in rows] == [(channel["id"], False)]


# PostgreSQL only, as above. Deleting a channel removed its subscriptions, then rewrote each
# subscribed check's JSON; deleting a check locks it, then removes its subscriptions. A check
# deleted between the channel's two steps waited on the channel's subscription row while the
# channel waited on the check's row: a deadlock, a 500 to one of the two clients.
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_a_check_deleted_while_its_channel_is_deleted_never_deadlocks(
    vantage: Harness, alice: Persona, monkeypatch: pytest.MonkeyPatch
) -> None:
    check = await create_check(alice, api_check("http://127.0.0.1:9/"))
    channel = await create_channel(
        alice,
        type="EMAIL",
        config=CONFIGS["EMAIL"],
        subscriptions=[{"checkId": check["id"], "activated": True}],
    )
    rewrite = repository.rewrite_target_configs
    deleting_check: list[asyncio.Task[Any]] = []

    async def rewrite_once_the_check_is_being_deleted(
        conn: AsyncConnection, check_ids: Collection[str], group_ids: Collection[int]
    ) -> None:
        deleting_check.append(
            asyncio.create_task(
                alice.client.delete(f"/v1/checks/{check['id']}", headers=alice.headers)
            )
        )
        while not await _blocked_on_a_lock(vantage):
            assert not deleting_check[0].done(), deleting_check[0].result().text
            await asyncio.sleep(0.01)
        await rewrite(conn, check_ids, group_ids)

    monkeypatch.setattr(
        repository, "rewrite_target_configs", rewrite_once_the_check_is_being_deleted
    )
    async with vantage.runtime.db.write() as conn:
        await service.delete(conn, alice.account_id, channel["id"])
    deleted = await deleting_check[0]
    assert deleted.status_code == 204, deleted.text
