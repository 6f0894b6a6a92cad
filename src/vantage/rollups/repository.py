"""The one writer of `result_rollups`, and its reads."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from vantage.db.dialect import insert_for
from vantage.db.prepared import Prepared
from vantage.db.tables import result_rollups
from vantage.rollups.digest import COUNTERS

_KEY = ("check_id", "location", "bucket_seconds", "bucket_start")


async def add(conn: AsyncConnection, rows: Sequence[dict[str, Any]]) -> None:
    """Add increments (`digest.rows_of`) to their buckets: one additive upsert, executemany.
    Addition commutes, so concurrent intakes on PostgreSQL never lose each other's counts."""
    await _upsert(conn).execute(conn, rows)


_UPSERTS: dict[str, Prepared] = {}


def _upsert(conn: AsyncConnection) -> Prepared:
    # Built once per dialect: every intake runs it, and building it (26 `excluded` columns) cost
    # more than running it. `Prepared`: each result adds three rows (one per bucket size) of 37
    # columns, and Core's per-value bookkeeping cost more than the upsert itself.
    prepared = _UPSERTS.get(conn.dialect.name)
    if prepared is None:
        stmt = insert_for(conn, result_rollups)
        stmt = stmt.on_conflict_do_update(
            index_elements=list(_KEY),
            set_={name: result_rollups.c[name] + stmt.excluded[name] for name in COUNTERS},
        )
        prepared = _UPSERTS[conn.dialect.name] = Prepared(stmt)
    return prepared


async def of_checks(
    conn: AsyncConnection,
    check_ids: Sequence[str],
    bucket_seconds: int,
    start: datetime,
    end: datetime,
) -> Sequence[Any]:
    """The buckets of `check_ids` that start in [start, end), every location."""
    if not check_ids:
        return []
    rr = result_rollups
    return (
        await conn.execute(
            sa.select(rr).where(
                rr.c.check_id.in_(check_ids),
                rr.c.bucket_seconds == bucket_seconds,
                rr.c.bucket_start >= start,
                rr.c.bucket_start < end,
            )
        )
    ).all()


async def daily_counts(
    conn: AsyncConnection, check_ids: Sequence[str], start: datetime, end: datetime
) -> Sequence[Any]:
    """Per check and day starting in [start, end): (check_id, bucket_start, finals, failed),
    summed over the locations. The public status page needs only these two counters: summing in
    SQL returns a third of the rows and 4 of their ~40 columns, which was most of a render."""
    if not check_ids:
        return []
    rr = result_rollups
    return (
        await conn.execute(
            sa.select(
                rr.c.check_id,
                rr.c.bucket_start,
                sa.func.sum(rr.c.finals).label("finals"),
                sa.func.sum(rr.c.failed).label("failed"),
            )
            .where(
                rr.c.check_id.in_(check_ids),
                rr.c.bucket_seconds == 86400,
                rr.c.bucket_start >= start,
                rr.c.bucket_start < end,
            )
            .group_by(rr.c.check_id, rr.c.bucket_start)
        )
    ).all()


async def delete_of_check(conn: AsyncConnection, check_id: str) -> None:
    await conn.execute(result_rollups.delete().where(result_rollups.c.check_id == check_id))
