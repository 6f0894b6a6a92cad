"""SQL for analytics: the FINAL results of checks in a window, by the (check, created) index,
leaving out those taken in a maintenance window."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from vantage.analytics.stats import Run
from vantage.db.tables import check_results


async def runs_of(
    conn: AsyncConnection, account_id: str, check_ids: Sequence[str], start: datetime, end: datetime
) -> dict[str, list[Run]]:
    rows = await conn.execute(
        sa.select(
            check_results.c.check_id,
            check_results.c.has_failures,
            check_results.c.has_errors,
            check_results.c.response_time,
            check_results.c.created_at,
        ).where(
            check_results.c.account_id == account_id,
            check_results.c.check_id.in_(list(check_ids)),
            check_results.c.created_at >= start,
            check_results.c.created_at < end,
            check_results.c.result_type == "FINAL",
            # Runs in a maintenance window are in no figure, as in the roll-ups.
            check_results.c.in_maintenance.is_(False),
        )
    )
    out: dict[str, list[Run]] = defaultdict(list)
    for check_id, failures, errors, response_time, at in rows:
        out[check_id].append(
            Run(passed=not (failures or errors), response_time_ms=response_time, at=at)
        )
    return out
