"""Exactly-once delivery across replicas: two Vantage instances on one database (PostgreSQL, and
SQLite's single file) drain one outbox together; every notification reaches the receiver once,
in order per check; a replica that dies holding notifications leaves them to the other once its
lease runs out, and cannot record an outcome afterwards."""

from __future__ import annotations

import asyncio
import uuid
from collections import defaultdict
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from tests.alerting.flow import channel
from tests.alerting.receiver import Receiver
from tests.support.harness import Harness, running_vantage, settings_for
from vantage.alerting import outbox
from vantage.alerting.delivery import Deliverer
from vantage.db.tables import alert_notifications
from vantage.timeutil import utcnow

CHECKS = 20
PER_CHECK = 10


async def queue(
    vantage: Harness, channel_id: int, account_id: str, url: str
) -> list[dict[str, Any]]:
    """Notifications as the intake writes them: PER_CHECK for each of CHECKS checks."""
    now = utcnow()
    rows = [
        {
            "id": str(uuid.uuid4()),
            "account_id": account_id,
            "alert_channel_id": channel_id,
            "check_id": f"check-{c}",
            "alert_type": "ALERT_FAILURE",
            "channel_type": "WEBHOOK",
            "status": "PENDING",
            "attempts": 0,
            "next_attempt_at": now,
            "lease_token": 0,
            "context": {"CHECK_ID": f"check-{c}", "REMINDER_SEQUENCE": n, "_kind": "failure"},
            "channel": {"type": "WEBHOOK", "config": {"url": url}},
            "created_at": now,
        }
        for n in range(PER_CHECK)
        for c in range(CHECKS)
    ]
    async with vantage.runtime.db.write() as conn:
        await outbox.insert_many(conn, rows)
    return rows


async def open_rows(vantage: Harness) -> int:
    async with vantage.runtime.db.read() as conn:
        count = await conn.scalar(
            sa.select(sa.func.count())
            .select_from(alert_notifications)
            .where(alert_notifications.c.status.in_(("PENDING", "IN_PROGRESS")))
        )
    return int(count or 0)


async def drain(deliverer: Deliverer, vantage: Harness) -> int:
    sent = 0
    while True:
        handled = await deliverer.run_once()
        sent += handled
        if not handled:
            if not await open_rows(vantage):
                return sent
            await asyncio.sleep(0.01)


async def test_two_replicas_deliver_every_notification_once_and_in_order(
    database_url: str, receiver: Receiver
) -> None:
    settings = settings_for(
        database_url, alert_deny="", alert_batch=7, alert_retry_base_seconds=0.01
    )
    async with (
        running_vantage(settings, background=False) as one,
        running_vantage(settings, background=False) as two,
    ):
        alice = await one.persona("alice")
        url = receiver.url + "/{{CHECK_ID}}"
        hook = await channel(alice, "WEBHOOK", {"url": url})
        rows = await queue(one, hook, alice.account_id, url)
        first = Deliverer(settings, one.runtime.db, owner="replica-1")
        second = Deliverer(settings, two.runtime.db, owner="replica-2")
        try:
            counts = await asyncio.gather(drain(first, one), drain(second, two))
        finally:
            await first.close()
            await second.close()

    received = receiver.received
    ids = [r.headers["webhook-id"] for r in received]
    assert sorted(ids) == sorted(r["id"] for r in rows)  # every one, none twice
    assert sum(counts) == len(rows)
    assert all(counts), counts  # both replicas took part
    order: dict[str, list[int]] = defaultdict(list)
    for r in received:
        order[r.path].append(r.json()["REMINDER_SEQUENCE"])
    assert all(seqs == list(range(PER_CHECK)) for seqs in order.values()), order


async def test_a_dead_replicas_notifications_go_out_after_its_lease_and_its_late_outcome_is_ignored(
    database_url: str, receiver: Receiver
) -> None:
    settings = settings_for(database_url, alert_deny="", alert_lease_seconds=30)
    async with running_vantage(settings, background=False) as vantage:
        alice = await vantage.persona("alice")
        hook = await channel(alice, "WEBHOOK", {"url": receiver.url + "/x"})
        async with vantage.runtime.db.write() as conn:
            await outbox.insert_many(
                conn,
                [
                    {
                        "id": str(uuid.uuid4()),
                        "account_id": alice.account_id,
                        "alert_channel_id": hook,
                        "check_id": "c",
                        "alert_type": "ALERT_FAILURE",
                        "channel_type": "WEBHOOK",
                        "status": "PENDING",
                        "attempts": 0,
                        "next_attempt_at": utcnow(),
                        "lease_token": 0,
                        "context": {"_kind": "failure"},
                        "channel": {"type": "WEBHOOK", "config": {"url": receiver.url + "/x"}},
                        "created_at": utcnow(),
                    }
                ],
            )
        now = utcnow()
        # replica 1 claims, then dies before sending or recording anything
        async with vantage.runtime.db.write() as conn:
            [held] = await outbox.claim(conn, "replica-1", now, now + timedelta(seconds=30), 10)
        survivor = Deliverer(settings, vantage.runtime.db, owner="replica-2")
        try:
            assert await survivor.run_once(now + timedelta(seconds=10)) == 0  # lease still held
            assert await survivor.run_once(now + timedelta(seconds=31)) == 1
        finally:
            await survivor.close()
        async with vantage.runtime.db.write() as conn:
            late = await outbox.finish(
                conn, held.seq, held.lease_token, status="FAILURE", result="x"
            )
        assert late is False
        async with vantage.runtime.db.read() as conn:
            row = (await conn.execute(sa.select(alert_notifications))).one()
    assert (row.status, row.attempts, row.lease_token) == ("SUCCESS", 2, 2)
    assert len(receiver.received) == 1
