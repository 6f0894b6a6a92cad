"""SQL for the account's variables; a secret value is sealed (vantage.sealing) before it is
written and opened only to run checks."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from vantage.db.tables import variables


async def list_of(conn: AsyncConnection, account_id: str) -> Sequence[Any]:
    rows: Sequence[Any] = (
        await conn.execute(
            sa.select(variables)
            .where(variables.c.account_id == account_id)
            .order_by(variables.c.created_at, variables.c.key)
        )
    ).all()
    return rows


async def of_accounts(conn: AsyncConnection, account_ids: Collection[str]) -> Sequence[Any]:
    rows: Sequence[Any] = (
        await conn.execute(
            sa.select(variables).where(variables.c.account_id.in_(list(account_ids)))
        )
    ).all()
    return rows


async def get(conn: AsyncConnection, account_id: str, key: str) -> Any:
    return (
        await conn.execute(
            sa.select(variables).where(variables.c.account_id == account_id, variables.c.key == key)
        )
    ).first()


async def insert(conn: AsyncConnection, values: dict[str, Any]) -> None:
    await conn.execute(variables.insert().values(**values))


async def update(conn: AsyncConnection, account_id: str, key: str, values: dict[str, Any]) -> None:
    await conn.execute(
        variables.update()
        .where(variables.c.account_id == account_id, variables.c.key == key)
        .values(**values)
    )


async def delete(conn: AsyncConnection, account_id: str, key: str) -> bool:
    result = await conn.execute(
        variables.delete().where(variables.c.account_id == account_id, variables.c.key == key)
    )
    return bool(result.rowcount)
