"""SQL for checks. Functions take the connection whose transaction they run in."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from vantage.checks.filtering import with_status
from vantage.db.dialect import claim_subquery
from vantage.db.tables import checks

CHECK_COLUMNS = (
    checks.c.id,
    checks.c.account_id,
    checks.c.check_type,
    checks.c.name,
    checks.c.activated,
    checks.c.tags,
    checks.c.group_id,
    checks.c.config,
    checks.c.created_at,
    checks.c.updated_at,
)


async def insert(conn: AsyncConnection, values: dict[str, Any]) -> None:
    await conn.execute(checks.insert().values(**values))


async def get(conn: AsyncConnection, account_id: str, check_id: str) -> Any:
    return (
        await conn.execute(
            sa.select(*CHECK_COLUMNS).where(
                checks.c.id == check_id, checks.c.account_id == account_id
            )
        )
    ).first()


async def list_all(conn: AsyncConnection, account_id: str) -> Sequence[Any]:
    return (
        await conn.execute(
            sa.select(*CHECK_COLUMNS)
            .where(checks.c.account_id == account_id)
            .order_by(checks.c.created_at, checks.c.id)
        )
    ).all()


async def list_page(
    conn: AsyncConnection, account_id: str, where: list[Any], *, limit: int, offset: int
) -> tuple[Sequence[Any], int]:
    """A page of the account's checks matching `where` (oldest first) and how many match. The
    count is skipped when the page shows that nothing follows it."""
    query = with_status(sa.select(*CHECK_COLUMNS)).where(checks.c.account_id == account_id, *where)
    rows = (
        await conn.execute(
            query.order_by(checks.c.created_at, checks.c.id).limit(limit).offset(offset)
        )
    ).all()
    if (rows and len(rows) < limit) or (not rows and offset == 0):
        return rows, offset + len(rows)
    counted = with_status(sa.select(sa.func.count())).where(
        checks.c.account_id == account_id, *where
    )
    return rows, int((await conn.execute(counted)).scalar_one())


async def update(
    conn: AsyncConnection, account_id: str, check_id: str, values: dict[str, Any]
) -> None:
    await conn.execute(
        checks.update()
        .where(checks.c.id == check_id, checks.c.account_id == account_id)
        .values(**values)
    )


async def delete(conn: AsyncConnection, account_id: str, check_id: str) -> bool:
    result = await conn.execute(
        checks.delete().where(checks.c.id == check_id, checks.c.account_id == account_id)
    )
    return result.rowcount == 1


# What starting a session needs of a check (vantage.sessions.starting).
START_COLUMNS = (
    checks.c.id,
    checks.c.account_id,
    checks.c.check_type,
    checks.c.name,
    checks.c.tags,
    checks.c.group_id,
    checks.c.config,
)


async def claim_due(conn: AsyncConnection, now: datetime, limit: int) -> Sequence[Any]:
    """The activated checks due by `now`, oldest first, for this transaction alone: rows another
    replica's scheduler holds are skipped (PostgreSQL); on SQLite the transaction is the only
    writer. The caller moves their `next_run_at` on before it commits (`advance`)."""
    query: sa.Select[Any] = (
        sa.select(*START_COLUMNS, checks.c.interval_seconds, checks.c.next_run_at)
        .where(checks.c.activated.is_(True), checks.c.next_run_at <= now)
        .order_by(checks.c.next_run_at)
        .limit(limit)
    )
    # Only next_run_at changes: a result being written for the check (whose inserts reference
    # its row) does not make the scheduler skip it.
    rows: Sequence[Any] = (await conn.execute(claim_subquery(conn, query, key_kept=True))).all()
    return rows


async def advance(conn: AsyncConnection, next_runs: Mapping[str, datetime]) -> None:
    """Move each check's `next_run_at` to its given time, in one statement."""
    if not next_runs:
        return
    await conn.execute(
        checks.update()
        .where(checks.c.id == sa.bindparam("b_id"))
        .values(next_run_at=sa.bindparam("b_next")),
        [{"b_id": check_id, "b_next": at} for check_id, at in next_runs.items()],
    )


async def next_due_at(conn: AsyncConnection) -> datetime | None:
    """When the soonest activated check is due."""
    nxt: datetime | None = await conn.scalar(
        sa.select(sa.func.min(checks.c.next_run_at)).where(checks.c.activated.is_(True))
    )
    return nxt


async def activated(
    conn: AsyncConnection,
    account_id: str,
    check_ids: Collection[str] | None = None,
    *,
    with_deactivated: bool = False,
) -> Sequence[Any]:
    """An account's activated checks (only these ids, when given), in creation order;
    `with_deactivated`: its deactivated ones too."""
    query = sa.select(*START_COLUMNS).where(checks.c.account_id == account_id)
    if not with_deactivated:
        query = query.where(checks.c.activated.is_(True))
    if check_ids is not None:
        query = query.where(checks.c.id.in_(list(check_ids)))
    return (await conn.execute(query.order_by(checks.c.created_at, checks.c.id))).all()


async def due_now(
    conn: AsyncConnection, account_id: str, check_ids: Collection[str], now: datetime
) -> None:
    """Make these scheduled checks due at `now` (a deploy's `scheduleOnDeploy`); checks that are
    not scheduled (deactivated, heartbeats) stay so."""
    if not check_ids:
        return
    await conn.execute(
        checks.update()
        .where(
            checks.c.account_id == account_id,
            checks.c.id.in_(list(check_ids)),
            checks.c.next_run_at.is_not(None),
        )
        .values(next_run_at=now)
    )
