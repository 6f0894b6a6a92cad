"""SQL of stored assets."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from vantage.assets.extract import Asset
from vantage.db.dialect import claim_subquery
from vantage.db.tables import check_result_assets

_INSERT = check_result_assets.insert()
# Everything but the bytes: what a manifest lists.
_LISTED = (
    check_result_assets.c.name,
    check_result_assets.c.asset_type,
    check_result_assets.c.content_type,
    check_result_assets.c.size,
)


def rows_of(assets: Sequence[Asset], result: dict[str, Any], now: datetime) -> list[dict[str, Any]]:
    """The rows that store `assets` of the result row `result`."""
    return [
        {
            "result_id": result["id"],
            "name": asset.name,
            "account_id": result["account_id"],
            "check_id": result["check_id"],
            "asset_type": asset.type,
            "content_type": asset.content_type,
            "size": len(asset.data),
            "data": asset.data,
            "created_at": now,
        }
        for asset in assets
    ]


async def insert_many(conn: AsyncConnection, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        await conn.execute(_INSERT, list(rows))


async def of_result(conn: AsyncConnection, account_id: str, result_id: str) -> list[Any]:
    """The assets of a result, without their bytes, in name order."""
    rows = await conn.execute(
        sa.select(*_LISTED)
        .where(
            check_result_assets.c.result_id == result_id,
            check_result_assets.c.account_id == account_id,
        )
        .order_by(check_result_assets.c.name)
    )
    return list(rows)


async def one(conn: AsyncConnection, account_id: str, result_id: str, name: str) -> Any:
    """The asset with its bytes; None when the account has no such asset."""
    rows = await conn.execute(
        sa.select(*_LISTED, check_result_assets.c.data).where(
            check_result_assets.c.result_id == result_id,
            check_result_assets.c.name == name,
            check_result_assets.c.account_id == account_id,
        )
    )
    return rows.first()


async def delete_of_check(conn: AsyncConnection, check_id: str) -> None:
    await conn.execute(
        check_result_assets.delete().where(check_result_assets.c.check_id == check_id)
    )


async def prune(conn: AsyncConnection, cutoff: datetime, limit: int) -> int:
    """Delete up to `limit` assets stored before `cutoff`, oldest first; how many went. Their
    results age out at the same cutoff (both carry the intake time)."""
    oldest = (
        sa.select(check_result_assets.c.result_id, check_result_assets.c.name)
        .where(check_result_assets.c.created_at < cutoff)
        .order_by(check_result_assets.c.created_at)
        .limit(limit)
    )
    doomed = claim_subquery(conn, oldest).subquery()
    deleted = await conn.execute(
        check_result_assets.delete().where(
            sa.tuple_(check_result_assets.c.result_id, check_result_assets.c.name).in_(
                sa.select(doomed.c.result_id, doomed.c.name)
            )
        )
    )
    return deleted.rowcount
