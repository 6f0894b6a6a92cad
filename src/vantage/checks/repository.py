"""SQL for checks. Functions take the connection whose transaction they run in."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from vantage.db.tables import check_results, check_statuses, checks

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
    if result.rowcount != 1:
        return False
    # Checkly's DELETE removes the check's results too.
    await conn.execute(check_results.delete().where(check_results.c.check_id == check_id))
    await conn.execute(check_statuses.delete().where(check_statuses.c.check_id == check_id))
    return True


async def set_next_run(
    conn: AsyncConnection, check_id: str, next_run_at: datetime | None, interval: int
) -> None:
    await conn.execute(
        checks.update()
        .where(checks.c.id == check_id)
        .values(next_run_at=next_run_at, interval_seconds=interval)
    )
