"""SQL that stores check results; the reads behind the API are in service.py."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from vantage.db.prepared import Prepared
from vantage.db.tables import check_results

_INSERT = Prepared(check_results.insert())


async def insert_many(conn: AsyncConnection, rows: Sequence[dict[str, Any]]) -> None:
    """Store results (every column) in one statement, an executemany: on SQLite every statement
    waits for the single writer, so statements per batch, not rows, bound the throughput. Run
    as a `Prepared` statement: Core's per-row bookkeeping cost more than storing the row."""
    await _INSERT.execute(conn, rows)


async def ids_by_job(conn: AsyncConnection, job_ids: Sequence[str]) -> dict[str, str]:
    """The id of the result already stored for each of `job_ids` that has one."""
    if not job_ids:
        return {}
    rows = await conn.execute(
        sa.select(check_results.c.job_id, check_results.c.id).where(
            check_results.c.job_id.in_(job_ids)
        )
    )
    return {row.job_id: row.id for row in rows}


async def delete_of_check(conn: AsyncConnection, check_id: str) -> None:
    await conn.execute(check_results.delete().where(check_results.c.check_id == check_id))
