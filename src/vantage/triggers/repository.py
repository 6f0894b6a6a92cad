"""SQL for trigger tokens: at most one per check and one per group."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from vantage.db.tables import trigger_tokens

# Checkly's tokens are short opaque strings; these are 144 random bits.
TOKEN_BYTES = 18


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def _owner(check_id: str | None, group_id: int | None) -> sa.ColumnElement[bool]:
    if check_id is not None:
        return trigger_tokens.c.check_id == check_id
    return trigger_tokens.c.group_id == group_id


async def find(
    conn: AsyncConnection,
    account_id: str,
    *,
    check_id: str | None = None,
    group_id: int | None = None,
) -> Any:
    return (
        await conn.execute(
            sa.select(trigger_tokens).where(
                trigger_tokens.c.account_id == account_id, _owner(check_id, group_id)
            )
        )
    ).first()


async def insert(
    conn: AsyncConnection,
    account_id: str,
    now: datetime,
    *,
    check_id: str | None = None,
    group_id: int | None = None,
) -> Any:
    await conn.execute(
        trigger_tokens.insert().values(
            account_id=account_id,
            check_id=check_id,
            group_id=group_id,
            token=new_token(),
            created_at=now,
        )
    )
    return await find(conn, account_id, check_id=check_id, group_id=group_id)


async def delete(
    conn: AsyncConnection,
    account_id: str,
    *,
    check_id: str | None = None,
    group_id: int | None = None,
) -> bool:
    result = await conn.execute(
        trigger_tokens.delete().where(
            trigger_tokens.c.account_id == account_id, _owner(check_id, group_id)
        )
    )
    return bool(result.rowcount)


async def by_token(conn: AsyncConnection, token: str) -> Any:
    return (
        await conn.execute(sa.select(trigger_tokens).where(trigger_tokens.c.token == token))
    ).first()


async def mark_called(conn: AsyncConnection, token_id: int, now: datetime) -> None:
    await conn.execute(
        trigger_tokens.update().where(trigger_tokens.c.id == token_id).values(called_at=now)
    )
