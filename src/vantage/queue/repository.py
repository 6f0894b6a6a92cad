"""SQL that creates and deletes jobs; leasing them (claim, extend, release) is in service.py."""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from vantage.db.dialect import qualified
from vantage.db.prepared import Prepared
from vantage.db.tables import check_sessions, jobs

# What the intake needs of a job it takes: enough to store its result and build its retry. The
# check's configuration comes as its JSON text (`config_json`), parsed only for a failed run (its
# retry strategy): every result needs just its name and type, which the database reads out, so a
# stored result costs no parse of the whole check.
TAKEN_COLUMNS = (
    jobs.c.id,
    jobs.c.session_id,
    jobs.c.account_id,
    jobs.c.check_id,
    jobs.c.location,
    jobs.c.location_id,
    jobs.c.attempt,
    jobs.c.sequence_id,
    sa.cast(jobs.c.config, sa.Text()).label("config_json"),
    jobs.c.config["name"].as_string().label("check_name"),
    jobs.c.config["checkType"].as_string().label("check_type"),
    jobs.c.created_at,
    jobs.c.test_session_id,
    # A result for a session that already ended (timed out while the run was out) is late: it is
    # stored, but neither retried nor counted, so the session never reopens.
    qualified(
        sa.exists().where(
            check_sessions.c.id == jobs.c.session_id, check_sessions.c.stopped_at.is_not(None)
        )
    ).label("session_ended"),
)


_INSERT = Prepared(jobs.insert())


async def insert_many(conn: AsyncConnection, rows: Sequence[dict[str, Any]]) -> None:
    """Queue jobs built by `vantage.queue.jobs.new_job`, in one statement (`Prepared`: a trigger
    queues hundreds at once, and Core's per-row bookkeeping cost more than storing them)."""
    await _INSERT.execute(conn, rows)


OfCheck = Callable[[sa.ColumnElement[str]], sa.ColumnElement[Any]]


@functools.cache
def _take(of_check: OfCheck | None) -> Any:
    # Built once: constructing a statement costs more CPU than SQLite spends running it.
    # `qualified`: the statement is a DELETE ... RETURNING, and these are correlated subqueries.
    also = [] if of_check is None else [of_check(jobs.c.check_id)]
    return (
        jobs.delete()
        .where(
            jobs.c.id.in_(sa.bindparam("b_ids", expanding=True)),
            jobs.c.state == "LEASED",
            jobs.c.lease_owner == sa.bindparam("b_owner"),
        )
        .returning(*TAKEN_COLUMNS, *also)
    )


async def take_leased(
    conn: AsyncConnection,
    leases: Iterable[tuple[str, str]],
    of_check: OfCheck | None = None,
) -> dict[str, Any]:
    """Delete each (job id, lease owner) whose job is still leased by that owner (fencing);
    return the deleted jobs by id, each with `of_check(its check id)` when asked (a labelled
    expression). One statement per owner: a batch comes from one agent."""
    by_owner: dict[str, list[str]] = defaultdict(list)
    for job_id, owner in leases:
        by_owner[owner].append(job_id)
    taken: dict[str, Any] = {}
    for owner, ids in by_owner.items():
        rows = await conn.execute(_take(of_check), {"b_ids": ids, "b_owner": owner})
        taken.update({row.id: row for row in rows})
    return taken


async def delete_where(conn: AsyncConnection, condition: sa.ColumnElement[bool]) -> set[str]:
    """Delete the jobs that match `condition`, whatever their state; return their sessions."""
    rows = await conn.execute(jobs.delete().where(condition).returning(jobs.c.session_id))
    return {row.session_id for row in rows}


# How long the job of an ended session waits, once its lease ran out, for its agent to report
# late (an agent cut off from the server keeps its results in its outbox).
ABANDONED_AFTER = timedelta(hours=1)


async def delete_abandoned(conn: AsyncConnection, now: datetime) -> int:
    """Drop the leased jobs of ended sessions whose lease ran out an hour ago: a lease ends at its
    session's deadline and is never given again, so only the agent that held it could still
    report (a late result, kept); after that the row would only keep its session from being
    pruned."""
    # Correlated on the job (a few rows), not `session_id IN (every ended session)`: the reaper
    # runs this every pass, and that subquery read every session ever ended.
    ended = sa.exists().where(
        check_sessions.c.id == jobs.c.session_id, check_sessions.c.stopped_at.is_not(None)
    )
    result = await conn.execute(
        jobs.delete().where(
            jobs.c.state == "LEASED",
            jobs.c.lease_expires_at < now - ABANDONED_AFTER,
            ended,
        )
    )
    return int(result.rowcount or 0)


async def delete_queued(conn: AsyncConnection, session_ids: Sequence[str]) -> None:
    """Drop the queued jobs of ended sessions: they would only produce late results. A run
    already under way may still report, and its result is kept."""
    if session_ids:
        await conn.execute(
            jobs.delete().where(jobs.c.session_id.in_(session_ids), jobs.c.state == "QUEUED")
        )
