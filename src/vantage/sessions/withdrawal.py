"""Withdrawing runs of something deleted (a check, a private location).

Its jobs go, queued or leased: a run under way then finds its job gone, so its result is fenced and
nothing is stored for what no longer exists. The sessions they belonged to end as CANCELLED (v1
shows TIMED_OUT), with their other queued jobs, as the reaper ends a session past its deadline.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from vantage.db.tables import check_sessions
from vantage.queue import repository as jobs_repo


async def withdraw_jobs(conn: AsyncConnection, condition: sa.ColumnElement[bool]) -> set[str]:
    """Delete the jobs that match `condition`, whatever their state; return their sessions."""
    return await jobs_repo.delete_where(conn, condition)


async def cancel_sessions(
    conn: AsyncConnection, condition: sa.ColumnElement[bool], now: datetime
) -> list[str]:
    """End the open sessions that match `condition` as CANCELLED; return the ones this ended.
    Compare-and-set, so a session that ended meanwhile keeps its status."""
    ended = [
        row.id
        for row in await conn.execute(
            check_sessions.update()
            .where(condition, check_sessions.c.stopped_at.is_(None))
            .values(status="CANCELLED", stopped_at=now)
            .returning(check_sessions.c.id)
        )
    ]
    await jobs_repo.delete_queued(conn, ended)
    return ended
