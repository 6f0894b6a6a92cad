"""SQL for check groups. Functions take the connection whose transaction they run in."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from vantage.checks.repository import CHECK_COLUMNS
from vantage.db.tables import check_groups, checks

# Ids are 32-bit integers (SERIAL on PostgreSQL): a larger number names no group, and must not reach
# the database, where it would be an error rather than no match.
MAX_ID = 2**31 - 1

GROUP_COLUMNS = (
    check_groups.c.id,
    check_groups.c.account_id,
    check_groups.c.name,
    check_groups.c.activated,
    check_groups.c.tags,
    check_groups.c.config,
    check_groups.c.created_at,
    check_groups.c.updated_at,
)


async def insert(conn: AsyncConnection, values: dict[str, Any]) -> int:
    result = await conn.execute(check_groups.insert().values(**values).returning(check_groups.c.id))
    return int(result.scalar_one())


def valid_id(group_id: int) -> bool:
    return 1 <= group_id <= MAX_ID


async def get(conn: AsyncConnection, account_id: str, group_id: int) -> Any:
    if not valid_id(group_id):
        return None
    return (
        await conn.execute(
            sa.select(*GROUP_COLUMNS).where(
                check_groups.c.id == group_id, check_groups.c.account_id == account_id
            )
        )
    ).first()


async def exists(
    conn: AsyncConnection, account_id: str, group_id: int, *, for_update: bool = False
) -> bool:
    """Whether the account has this group. The row is locked (PostgreSQL; SQLite has one writer)
    for the rest of the transaction: shared to place a check in it, exclusive to delete it, so a
    check cannot land in a group that is being deleted."""
    if not valid_id(group_id):
        return False
    found = await conn.scalar(
        sa.select(check_groups.c.id)
        .where(check_groups.c.id == group_id, check_groups.c.account_id == account_id)
        .with_for_update(read=not for_update)
    )
    return found is not None


async def list_all(conn: AsyncConnection, account_id: str) -> Sequence[Any]:
    return (
        await conn.execute(
            sa.select(*GROUP_COLUMNS)
            .where(check_groups.c.account_id == account_id)
            .order_by(check_groups.c.created_at, check_groups.c.id)
        )
    ).all()


async def configs_by_id(
    conn: AsyncConnection, group_ids: Collection[int], *, account_id: str | None = None
) -> dict[int, dict[str, Any]]:
    """The configs of these groups, in one query (of one account's groups when it is given)."""
    wanted = sorted({i for i in group_ids if valid_id(i)})
    if not wanted:
        return {}
    query = sa.select(check_groups.c.id, check_groups.c.config).where(check_groups.c.id.in_(wanted))
    if account_id is not None:
        query = query.where(check_groups.c.account_id == account_id)
    return {int(row.id): row.config for row in (await conn.execute(query)).all()}


async def update(
    conn: AsyncConnection, account_id: str, group_id: int, values: dict[str, Any]
) -> None:
    await conn.execute(
        check_groups.update()
        .where(check_groups.c.id == group_id, check_groups.c.account_id == account_id)
        .values(**values)
    )


async def delete(conn: AsyncConnection, account_id: str, group_id: int) -> bool:
    result = await conn.execute(
        check_groups.delete().where(
            check_groups.c.id == group_id, check_groups.c.account_id == account_id
        )
    )
    return result.rowcount == 1


async def count_checks(conn: AsyncConnection, account_id: str, group_id: int) -> int:
    count = await conn.scalar(
        sa.select(sa.func.count())
        .select_from(checks)
        .where(checks.c.account_id == account_id, checks.c.group_id == group_id)
    )
    return int(count or 0)


async def list_checks(conn: AsyncConnection, account_id: str, group_id: int) -> Sequence[Any]:
    return (
        await conn.execute(
            sa.select(*CHECK_COLUMNS)
            .where(checks.c.account_id == account_id, checks.c.group_id == group_id)
            .order_by(checks.c.created_at, checks.c.id)
        )
    ).all()
