"""SQL that deletes aged rows, a bounded batch per statement.

Each statement deletes at most `limit` rows, oldest first, found through an index in that order
(`ix_check_results_created`, `ix_check_sessions_stopped`), so one batch is cheap however large the
table. On PostgreSQL the rows are claimed with `FOR UPDATE SKIP LOCKED`: two pruners never wait on
each other's rows, and a row is deleted once.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from vantage.db.dialect import claim_subquery
from vantage.db.tables import check_results, check_sessions, jobs, result_rollups


async def prune_results(conn: AsyncConnection, cutoff: datetime, limit: int) -> int:
    """Delete up to `limit` results created before `cutoff`; return how many went."""
    oldest = (
        sa.select(check_results.c.id)
        .where(check_results.c.created_at < cutoff)
        .order_by(check_results.c.created_at)
        .limit(limit)
    )
    doomed = claim_subquery(conn, oldest).scalar_subquery()
    # The age bound again: on PostgreSQL it confines the delete to the partitions before the
    # cutoff, instead of a look-up by id in every day's partition.
    deleted = await conn.execute(
        check_results.delete().where(
            check_results.c.id.in_(doomed), check_results.c.created_at < cutoff
        )
    )
    return deleted.rowcount


async def prune_sessions(conn: AsyncConnection, cutoff: datetime, limit: int) -> int:
    """Delete up to `limit` sessions that ended before `cutoff` and have neither a result nor a job
    left (a session of a late result stays until that result ages out too); return how many."""
    has_result = sa.exists().where(check_results.c.session_id == check_sessions.c.id)
    has_job = sa.exists().where(jobs.c.session_id == check_sessions.c.id)
    oldest = (
        sa.select(check_sessions.c.id)
        .where(check_sessions.c.stopped_at < cutoff, ~has_result, ~has_job)
        .order_by(check_sessions.c.stopped_at)
        .limit(limit)
    )
    doomed = claim_subquery(conn, oldest).scalar_subquery()
    deleted = await conn.execute(check_sessions.delete().where(check_sessions.c.id.in_(doomed)))
    return deleted.rowcount


async def prune_rollups(conn: AsyncConnection, seconds: int, cutoff: datetime, limit: int) -> int:
    """Delete up to `limit` roll-up rows of bucket size `seconds` that start before `cutoff`,
    oldest first (`ix_result_rollups_age`); return how many went."""
    rr = result_rollups
    key = (rr.c.check_id, rr.c.location, rr.c.bucket_seconds, rr.c.bucket_start)
    oldest = (
        sa.select(*key)
        .where(rr.c.bucket_seconds == seconds, rr.c.bucket_start < cutoff)
        .order_by(rr.c.bucket_start)
        .limit(limit)
    )
    doomed = claim_subquery(conn, oldest)
    deleted = await conn.execute(rr.delete().where(sa.tuple_(*key).in_(doomed)))
    return deleted.rowcount
