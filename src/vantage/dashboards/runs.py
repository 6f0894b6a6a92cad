"""A public dashboard's recent runs per check (Checkly's `expandChecks` shows them opened, and
`showCheckRunLinks` links each to its own page). Only what a reader of the dashboard may see:
status, location, time and response time, never the run's request, response or error text,
which may carry the account's secrets."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from vantage.db.tables import check_results
from vantage.statuses.state import status_of
from vantage.timeutil import iso

RUNS = 10
_COLUMNS = (
    check_results.c.id,
    check_results.c.check_id,
    check_results.c.run_location,
    check_results.c.started_at,
    check_results.c.stopped_at,
    check_results.c.response_time,
    check_results.c.attempts,
    check_results.c.has_failures,
    check_results.c.has_errors,
    check_results.c.is_degraded,
)


def _run(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "check_id": row.check_id,
        "location": row.run_location,
        "at": iso(row.started_at),
        "stopped": iso(row.stopped_at),
        "ms": row.response_time,
        "attempts": row.attempts,
        "status": status_of(
            has_failures=bool(row.has_failures),
            has_errors=bool(row.has_errors),
            is_degraded=bool(row.is_degraded),
        ),
    }


async def recent(conn: AsyncConnection, ids: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
    """Each check's last `RUNS` final runs, newest first: one statement for the page's checks."""
    out: dict[str, list[dict[str, Any]]] = {i: [] for i in ids}
    if not ids:
        return out
    rank = (
        sa.func.row_number()
        .over(partition_by=check_results.c.check_id, order_by=check_results.c.started_at.desc())
        .label("rank")
    )
    ranked = (
        sa.select(*_COLUMNS, rank)
        .where(check_results.c.check_id.in_(list(ids)), check_results.c.result_type == "FINAL")
        .subquery()
    )
    rows = await conn.execute(
        sa.select(ranked).where(ranked.c.rank <= RUNS).order_by(ranked.c.started_at.desc())
    )
    for row in rows:
        out[row.check_id].append(_run(row))
    return out


async def one(conn: AsyncConnection, result_id: str, ids: Sequence[str]) -> dict[str, Any] | None:
    """A final run of one of `ids` (the dashboard's checks); None for any other."""
    row = (
        await conn.execute(
            sa.select(*_COLUMNS).where(
                check_results.c.id == result_id,
                check_results.c.check_id.in_(list(ids)),
                check_results.c.result_type == "FINAL",
            )
        )
    ).first()
    return None if row is None else _run(row)
