"""SQL for check sessions."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from vantage.db.prepared import Prepared
from vantage.db.tables import check_results, check_sessions
from vantage.queue import repository as jobs_repo
from vantage.sessions.planning import SessionPlan
from vantage.sessions.state import is_terminal, status_for


@dataclass(slots=True)
class Finals:
    """What a batch's FINAL results add to one session's counters."""

    finals: int = 0
    failed: int = 0
    degraded: int = 0


async def insert_plans(conn: AsyncConnection, plans: Sequence[SessionPlan]) -> None:
    if not plans:
        return
    await _INSERT.execute(conn, [plan.session for plan in plans])
    await jobs_repo.insert_many(conn, [job for plan in plans for job in plan.jobs])


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
    await jobs_repo.delete_queued(conn, ended)
    await jobs_repo.delete_abandoned(conn, now)
    return ended


# The intake's statements, built once: building and hashing a statement costs the server more
# CPU than SQLite spends running it.
_RECORD_FINALS = Prepared(
    check_sessions.update()
    .where(check_sessions.c.id == sa.bindparam("b_id"))
    .values(
        finals=check_sessions.c.finals + sa.bindparam("b_finals"),
        failed=check_sessions.c.failed + sa.bindparam("b_failed"),
        degraded=check_sessions.c.degraded + sa.bindparam("b_degraded"),
    )
)
_OPEN_COUNTERS = sa.select(
    check_sessions.c.id,
    check_sessions.c.status,
    check_sessions.c.run_locations,
    check_sessions.c.finals,
    check_sessions.c.failed,
    check_sessions.c.degraded,
).where(
    check_sessions.c.id.in_(sa.bindparam("b_ids", expanding=True)),
    check_sessions.c.stopped_at.is_(None),
)
_ADVANCE = Prepared(
    check_sessions.update()
    .where(check_sessions.c.id == sa.bindparam("b_id"), check_sessions.c.stopped_at.is_(None))
    .values(status=sa.bindparam("b_status"), stopped_at=sa.bindparam("b_stopped"))
)
_INSERT = Prepared(check_sessions.insert())


async def record_finals(conn: AsyncConnection, finals: Mapping[str, Finals]) -> None:
    """Add FINAL results to their sessions' counters, one statement for the batch (executemany)."""
    if not finals:
        return
    await _RECORD_FINALS.execute(
        conn,
        [
            {"b_id": sid, "b_finals": c.finals, "b_failed": c.failed, "b_degraded": c.degraded}
            for sid, c in finals.items()
        ],
    )


async def advance_status(
    conn: AsyncConnection, session_ids: Collection[str], retrying: Collection[str], now: datetime
) -> dict[str, str]:
    """Move each open session of `session_ids` to the status its counters give; `retrying` are
    those whose only news is a retry queued (a location reported, but not finally). Return the
    sessions this ended, with their final status."""
    if not session_ids:
        return {}
    rows = await conn.execute(_OPEN_COUNTERS, {"b_ids": list(session_ids)})
    changes: list[dict[str, Any]] = []
    ended: dict[str, str] = {}
    for row in rows:
        status = status_for(
            expected=len(row.run_locations),
            reported=row.finals + int(row.id in retrying),
            finals=row.finals,
            failed=row.failed,
            degraded=row.degraded,
        )
        if status == row.status:
            continue
        terminal = is_terminal(status)
        changes.append({"b_id": row.id, "b_status": status, "b_stopped": now if terminal else None})
        if terminal:
            ended[row.id] = status
    if changes:
        # Compare-and-set on "not yet ended": a session the reaper timed out keeps TIMED_OUT.
        await _ADVANCE.execute(conn, changes)
    return ended
