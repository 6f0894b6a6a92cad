"""Marking the results taken in a maintenance window (`in_maintenance`), as they are stored.

A result is in maintenance when a window of its account was on at the run's start and covers its
check by the check's or its group's tags (or silences every check): the very rule that silences
the check's alerts (`alerting/maintenance.py`). Marked results stay in the result lists; roll-ups
count them apart (`rollups/digest.py`), and the figures read from raw results skip them, so a
planned outage does not lower a check's availability.

Cost: one indexed read of the batch's accounts' windows; the checks' tags are read only when a
window is on at one of the batch's runs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from vantage.alerting import maintenance
from vantage.db.tables import check_groups, checks


async def mark(conn: AsyncConnection, rows: Sequence[dict[str, Any]]) -> None:
    """Set `in_maintenance` on each result row (as the intake builds them) a window covers."""
    if not rows:
        return
    windows = await maintenance.windows_of(conn, {row["account_id"] for row in rows})
    if not windows:
        return
    candidates = [
        row
        for row in rows
        if any(
            maintenance.is_active(window, row["started_at"])
            for window in windows.get(row["account_id"], ())
        )
    ]
    if not candidates:
        return
    subjects = await _tags(conn, {row["check_id"] for row in candidates})
    for row in candidates:
        subject = subjects.get(row["check_id"])
        if subject is None:
            continue
        tags, group = subject
        row["in_maintenance"] = maintenance.covers(
            windows[row["account_id"]], row["started_at"], tags, group
        )


async def _tags(
    conn: AsyncConnection, check_ids: set[str]
) -> dict[str, tuple[Sequence[str], Mapping[str, Any] | None]]:
    """Each check's tags and its group's configuration (which holds the group's tags)."""
    query = (
        sa.select(checks.c.id, checks.c.tags, check_groups.c.config.label("group_config"))
        .select_from(checks)
        .outerjoin(
            check_groups,
            sa.and_(
                check_groups.c.id == checks.c.group_id,
                check_groups.c.account_id == checks.c.account_id,
            ),
        )
        .where(checks.c.id.in_(sorted(check_ids)))
    )
    return {row.id: (row.tags or (), row.group_config) for row in (await conn.execute(query)).all()}
