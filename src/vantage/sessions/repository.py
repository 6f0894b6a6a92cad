"""SQL for check sessions."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from vantage.db.prepared import Prepared
from vantage.db.tables import check_results, check_sessions, jobs
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


# A check's scheduled run that has not started: its session is open and can still run (its
# deadline ahead, as a lease requires), and a first attempt of it was never leased by an agent.
# Read from the open sessions (`ix_check_sessions_stopped`) and their jobs (`ix_jobs_session`):
# in-flight work only, however many results are stored.
_NOT_STARTED = (
    sa.select(check_sessions.c.check_id)
    .distinct()
    .join(jobs, jobs.c.session_id == check_sessions.c.id)
    .where(
        check_sessions.c.stopped_at.is_(None),
        check_sessions.c.check_id.in_(sa.bindparam("b_check_ids", expanding=True)),
        check_sessions.c.run_source == "SCHEDULER",
        check_sessions.c.deadline_at > sa.bindparam("b_now"),
        jobs.c.state == "QUEUED",
        jobs.c.leases == 0,
        jobs.c.attempt == 1,
    )
)


async def scheduled_not_started(
    conn: AsyncConnection, check_ids: Collection[str], now: datetime
) -> set[str]:
    """Which of `check_ids` have a scheduled run still waiting for an agent (one query).
    Triggered and ad-hoc sessions do not count: only the scheduler's own runs hold back its next
    slot."""
    if not check_ids:
        return set()
    rows = await conn.scalars(_NOT_STARTED, {"b_check_ids": list(check_ids), "b_now": now})
    return set(rows.all())


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


async def next_deadline(conn: AsyncConnection, after: datetime | None = None) -> datetime | None:
    """The earliest deadline (after `after`) of an open session: when the reaper has work next.
    Reads the open sessions alone (`ix_check_sessions_stopped`), as `time_out_overdue` does."""
    query = sa.select(sa.func.min(check_sessions.c.deadline_at)).where(
        check_sessions.c.stopped_at.is_(None)
    )
    if after is not None:
        query = query.where(check_sessions.c.deadline_at > after)
    found: datetime | None = await conn.scalar(query)
    return found


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
# By primary key alone, the ended ones told apart in Python: with `stopped_at IS NULL` in the
# WHERE, SQLite (no statistics) walked `ix_check_sessions_stopped` over every open session, the
# whole backlog, for each result batch. Locked on PostgreSQL (in id order, so two intakes never
# wait on each other in a cycle): the status is computed here from the counters read, so no other
# intake of the same session may add to them before this one writes.
_COUNTERS = (
    sa.select(
        check_sessions.c.id,
        check_sessions.c.status,
        check_sessions.c.run_locations,
        check_sessions.c.finals,
        check_sessions.c.failed,
        check_sessions.c.degraded,
        check_sessions.c.stopped_at,
    )
    .where(check_sessions.c.id.in_(sa.bindparam("b_ids", expanding=True)))
    .order_by(check_sessions.c.id)
    .with_for_update()
)
# An open session's new counters and status in one write (it was two: the counters, then the
# status read back from them).
_ADVANCE = Prepared(
    check_sessions.update()
    .where(check_sessions.c.id == sa.bindparam("b_id"))
    .values(
        finals=check_sessions.c.finals + sa.bindparam("b_finals"),
        failed=check_sessions.c.failed + sa.bindparam("b_failed"),
        degraded=check_sessions.c.degraded + sa.bindparam("b_degraded"),
        status=sa.bindparam("b_status"),
        stopped_at=sa.bindparam("b_stopped"),
    )
)
_INSERT = Prepared(check_sessions.insert())


async def record_finals(
    conn: AsyncConnection,
    finals: Mapping[str, Finals],
    retrying: Collection[str],
    now: datetime,
) -> dict[str, str]:
    """Add the batch's FINAL results to their sessions' counters and move each open session it
    touched (`finals`, and `retrying`: those whose only news is a retry queued, a location that
    reported but not finally) to the status its counters now give. Return the sessions this
    ended, with their final status.

    One read and one write (an executemany) per batch. A session that ended before (timed out,
    cancelled) keeps its status and `stoppedAt`; only its counters grow."""
    session_ids = finals.keys() | set(retrying)
    if not session_ids:
        return {}
    rows = await conn.execute(_COUNTERS, {"b_ids": sorted(session_ids)})
    none = Finals()
    advanced: list[dict[str, Any]] = []
    counted: list[dict[str, Any]] = []
    ended: dict[str, str] = {}
    for row in rows:
        add = finals.get(row.id, none)
        change = {
            "b_id": row.id,
            "b_finals": add.finals,
            "b_failed": add.failed,
            "b_degraded": add.degraded,
        }
        if row.stopped_at is not None:
            if add.finals:
                counted.append(change)
            continue
        total = row.finals + add.finals
        status = status_for(
            expected=len(row.run_locations),
            reported=total + int(row.id in retrying),
            finals=total,
            failed=row.failed + add.failed,
            degraded=row.degraded + add.degraded,
        )
        if status == row.status and not add.finals:
            continue
        terminal = is_terminal(status)
        advanced.append({**change, "b_status": status, "b_stopped": now if terminal else None})
        if terminal:
            ended[row.id] = status
    await _ADVANCE.execute(conn, advanced)
    await _RECORD_FINALS.execute(conn, counted)
    return ended
