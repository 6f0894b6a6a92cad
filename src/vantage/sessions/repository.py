"""SQL for check sessions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from vantage.db.tables import check_results, check_sessions, jobs
from vantage.sessions.planning import SessionPlan


async def insert_plans(conn: AsyncConnection, plans: Sequence[SessionPlan]) -> None:
    if not plans:
        return
    await conn.execute(check_sessions.insert(), [plan.session for plan in plans])
    queued = [job for plan in plans for job in plan.jobs]
    if queued:
        await conn.execute(jobs.insert(), queued)


async def get(conn: AsyncConnection, account_id: str, session_id: str) -> Any:
    return (
        await conn.execute(
            sa.select(check_sessions).where(
                check_sessions.c.id == session_id, check_sessions.c.account_id == account_id
            )
        )
    ).first()


async def results_of(conn: AsyncConnection, session_id: str) -> Sequence[Any]:
    return (
        await conn.execute(
            sa.select(check_results)
            .where(check_results.c.session_id == session_id)
            .order_by(check_results.c.started_at, check_results.c.id)
        )
    ).all()


async def time_out_overdue(conn: AsyncConnection, now: datetime) -> list[str]:
    """End every open session past its deadline; compare-and-set, so a session that ended
    meanwhile in another transaction keeps its status."""
    overdue = (
        await conn.scalars(
            sa.select(check_sessions.c.id).where(
                check_sessions.c.stopped_at.is_(None), check_sessions.c.deadline_at < now
            )
        )
    ).all()
    ended: list[str] = []
    for session_id in overdue:
        result = await conn.execute(
            check_sessions.update()
            .where(check_sessions.c.id == session_id, check_sessions.c.stopped_at.is_(None))
            .values(status="TIMED_OUT", stopped_at=now)
        )
        if result.rowcount == 1:
            ended.append(session_id)
    if ended:
        # Queued runs of an ended session would only produce late results; a run already under
        # way may still report, and its result is kept.
        await conn.execute(
            jobs.delete().where(jobs.c.session_id.in_(ended), jobs.c.state == "QUEUED")
        )
    return ended
