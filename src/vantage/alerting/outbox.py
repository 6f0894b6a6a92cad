"""SQL for the notification outbox (`alert_notifications`).

Claim: one `UPDATE … WHERE seq IN (SELECT … LIMIT n) RETURNING`, with `FOR UPDATE SKIP LOCKED`
in the sub-select on PostgreSQL (SQLite's one writer makes the statement atomic already). A row is
claimable when it is due (PENDING and `next_attempt_at` passed, or IN_PROGRESS with its lease run
out: its replica died) and no earlier notification of its channel and check is still undelivered,
so a recovery never overtakes its failure. Each claim bumps `lease_token`; a finish names the
token it claimed with, so a replica whose lease was taken over cannot overwrite the outcome.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from vantage.db.dialect import claim_subquery
from vantage.db.tables import alert_notifications as table
from vantage.db.types import UtcDateTime

OPEN = ("PENDING", "IN_PROGRESS")
FINAL = ("SUCCESS", "FAILURE", "RATE_LIMITED", "CANCELLED")


async def insert_many(conn: AsyncConnection, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        await conn.execute(table.insert(), list(rows))


def _due(now: datetime) -> sa.ColumnElement[bool]:
    return sa.or_(
        sa.and_(table.c.status == "PENDING", table.c.next_attempt_at <= now),
        sa.and_(table.c.status == "IN_PROGRESS", table.c.lease_until < now),
    )


async def any_due(conn: AsyncConnection, now: datetime) -> bool:
    """A cheap read first, so an idle worker never takes SQLite's write lock to claim nothing."""
    found = await conn.scalar(sa.select(table.c.seq).where(_due(now)).limit(1))
    return found is not None


async def next_due_after(conn: AsyncConnection, now: datetime) -> datetime | None:
    """When a notification next falls due after `now` (a retry's next attempt, the end of a
    lease whose replica may die), in one read of `ix_alert_notifications_due`: what the
    delivery worker may sleep until."""
    pending = (
        sa.select(sa.func.min(table.c.next_attempt_at))
        .where(table.c.status == "PENDING", table.c.next_attempt_at > now)
        .scalar_subquery()
    )
    leased = (
        sa.select(sa.func.min(table.c.lease_until))
        .where(table.c.status == "IN_PROGRESS", table.c.lease_until > now)
        .scalar_subquery()
    )
    row = (await conn.execute(sa.select(pending, leased))).one()
    return min((at for at in row if at is not None), default=None)


async def claim(
    conn: AsyncConnection, owner: str, now: datetime, lease_until: datetime, limit: int
) -> list[Any]:
    earlier = table.alias("earlier")
    blocked = (
        sa.select(earlier.c.seq)
        .where(
            earlier.c.alert_channel_id == table.c.alert_channel_id,
            earlier.c.check_id == table.c.check_id,
            earlier.c.seq < table.c.seq,
            earlier.c.status.in_(OPEN),
        )
        .exists()
    )
    candidates = claim_subquery(
        conn,
        sa.select(table.c.seq).where(_due(now), ~blocked).order_by(table.c.seq).limit(limit),
    )
    result = await conn.execute(
        table.update()
        .where(table.c.seq.in_(candidates.scalar_subquery()))
        .values(
            status="IN_PROGRESS",
            lease_owner=owner,
            lease_until=lease_until,
            lease_token=table.c.lease_token + 1,
            attempts=table.c.attempts + 1,
        )
        .returning(table)
    )
    return sorted(result.all(), key=lambda row: row.seq)


async def finish(
    conn: AsyncConnection,
    seq: int,
    token: int,
    *,
    status: str,
    result: str | None,
    next_attempt_at: datetime | None = None,
    sent_at: datetime | None = None,
) -> bool:
    """Record an attempt's outcome, if the lease it was made under still holds."""
    values: dict[str, Any] = {
        "status": status,
        "result": result,
        "lease_owner": None,
        "lease_until": None,
        "sent_at": sent_at,
    }
    if next_attempt_at is not None:
        values["next_attempt_at"] = next_attempt_at
    done = await conn.execute(
        table.update()
        .where(table.c.seq == seq, table.c.lease_token == token, table.c.status == "IN_PROGRESS")
        .values(**values)
    )
    return done.rowcount == 1


async def finish_many(conn: AsyncConnection, outcomes: Sequence[dict[str, Any]]) -> None:
    """`finish` for a batch, in one statement: each row is written only if the lease it was
    attempted under (`b_seq`, `b_token`) still holds."""
    if not outcomes:
        return
    await conn.execute(
        table.update()
        .where(
            table.c.seq == sa.bindparam("b_seq"),
            table.c.lease_token == sa.bindparam("b_token"),
            table.c.status == "IN_PROGRESS",
        )
        .values(
            status=sa.bindparam("b_status"),
            result=sa.bindparam("b_result"),
            next_attempt_at=sa.func.coalesce(
                sa.bindparam("b_next", type_=UtcDateTime()), table.c.next_attempt_at
            ),
            sent_at=sa.bindparam("b_sent", type_=UtcDateTime()),
            lease_owner=None,
            lease_until=None,
        ),
        list(outcomes),
    )


async def list_page(
    conn: AsyncConnection,
    account_id: str,
    *,
    since: datetime,
    until: datetime,
    channel_id: int | None,
    failures_only: bool,
    limit: int,
    offset: int,
) -> tuple[Sequence[Any], int]:
    where = [
        table.c.account_id == account_id,
        table.c.created_at >= since,
        table.c.created_at <= until,
    ]
    if channel_id is not None:
        where.append(table.c.alert_channel_id == channel_id)
    if failures_only:
        where.append(table.c.status.in_(("FAILURE", "RATE_LIMITED")))
    total = await conn.scalar(sa.select(sa.func.count()).select_from(table).where(*where))
    rows = (
        await conn.execute(
            sa.select(table).where(*where).order_by(table.c.seq.desc()).limit(limit).offset(offset)
        )
    ).all()
    return rows, int(total or 0)
