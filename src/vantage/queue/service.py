"""The run queue: agents lease jobs for their location and hand back results.

Every write is a compare-and-set, so any number of agents and server replicas can share it:
a lease is taken with one UPDATE over rows nobody holds; a result is accepted only while the lease
that produced it is still the job's (fencing), and only once per job (idempotent).
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from vantage.db.dialect import claim_subquery, greatest, least, upsert
from vantage.db.tables import check_results, check_statuses, jobs
from vantage.probes.result import ProbeResult
from vantage.probes.runner import run_timeout_seconds
from vantage.sessions import repository as sessions_repo
from vantage.sessions.retries import decide
from vantage.sessions.state import is_terminal, status_for


@dataclass(frozen=True, slots=True)
class Job:
    id: str
    session_id: str
    account_id: str
    check_id: str
    location: str
    attempt: int
    sequence_id: str
    lease_owner: str
    config: dict[str, Any]

    @property
    def check_type(self) -> str:
        return str(self.config["checkType"])


async def claim(
    conn: AsyncConnection,
    *,
    location: str,
    owner: str,
    limit: int,
    now: datetime,
    lease_seconds: float,
) -> list[Job]:
    """Lease up to `limit` due jobs of `location`: queued ones and those whose lease expired."""
    due = claim_subquery(
        conn,
        sa.select(jobs.c.id)
        .where(
            jobs.c.location == location,
            jobs.c.run_at <= now,
            sa.or_(
                jobs.c.state == "QUEUED",
                sa.and_(jobs.c.state == "LEASED", jobs.c.lease_expires_at < now),
            ),
        )
        .order_by(jobs.c.run_at)
        .limit(limit),
    )
    rows = (
        await conn.execute(
            jobs.update()
            .where(jobs.c.id.in_(due.scalar_subquery()))
            .values(
                state="LEASED",
                lease_owner=owner,
                # The lease outlives the run's own timeout so a healthy run never loses it.
                lease_expires_at=now + timedelta(seconds=lease_seconds),
                leases=jobs.c.leases + 1,
            )
            .returning(
                jobs.c.id,
                jobs.c.session_id,
                jobs.c.account_id,
                jobs.c.check_id,
                jobs.c.location,
                jobs.c.attempt,
                jobs.c.sequence_id,
                jobs.c.config,
            )
        )
    ).all()
    return [
        Job(
            id=r.id,
            session_id=r.session_id,
            account_id=r.account_id,
            check_id=r.check_id,
            location=r.location,
            attempt=r.attempt,
            sequence_id=r.sequence_id,
            lease_owner=owner,
            config=r.config,
        )
        for r in rows
    ]


def lease_seconds_for(config: dict[str, Any], base: float) -> float:
    return max(base, run_timeout_seconds(str(config["checkType"]), config) + 15)


async def next_due(conn: AsyncConnection, location: str) -> datetime | None:
    """When the earliest queued job of `location` becomes due (for retries waiting on a backoff)."""
    value: datetime | None = await conn.scalar(
        sa.select(sa.func.min(jobs.c.run_at)).where(
            jobs.c.location == location, jobs.c.state == "QUEUED"
        )
    )
    if value is not None and value.tzinfo is None:
        from datetime import UTC

        value = value.replace(tzinfo=UTC)
    return value


Outcome = Literal["accepted", "duplicate", "fenced"]


@dataclass(slots=True)
class Completion:
    outcome: Outcome
    result_id: str | None = None
    session_id: str | None = None
    session_ended: bool = False
    retry_location: str | None = None


def new_check_run_id() -> int:
    # Checkly's checkRunId is epoch milliseconds; three more digits of noise keep runs of the same
    # millisecond apart while staying below 2**53, the largest integer JavaScript holds exactly.
    return time.time_ns() // 1_000_000 * 1000 + random.randrange(1000)


async def complete(
    conn: AsyncConnection,
    *,
    job_id: str,
    lease_owner: str,
    result: ProbeResult,
    now: datetime,
) -> Completion:
    """Store the result of a leased job, in the caller's transaction."""
    job = (
        await conn.execute(
            jobs.delete()
            .where(jobs.c.id == job_id, jobs.c.state == "LEASED", jobs.c.lease_owner == lease_owner)
            .returning(
                jobs.c.session_id,
                jobs.c.account_id,
                jobs.c.check_id,
                jobs.c.location,
                jobs.c.attempt,
                jobs.c.sequence_id,
                jobs.c.config,
                jobs.c.created_at,
            )
        )
    ).first()
    if job is None:
        seen = await conn.scalar(
            sa.select(check_results.c.id).where(check_results.c.job_id == job_id)
        )
        return Completion(outcome="duplicate", result_id=seen) if seen else Completion("fenced")

    config: dict[str, Any] = job.config
    # Jobs of one retry chain share the chain's start as created_at, for maxDurationSeconds.
    first_try_started: datetime = job.created_at
    retry = decide(
        config.get("retryStrategy"),
        attempt=job.attempt,
        failed=result.has_failures,
        network_error=result.network_error,
        seconds_since_first_attempt=(now - min(first_try_started, now)).total_seconds(),
    )
    result_type = "ATTEMPT" if retry.retry else "FINAL"
    result_id = str(uuid.uuid4())
    check_run_id = new_check_run_id()
    await conn.execute(
        check_results.insert().values(
            id=result_id,
            account_id=job.account_id,
            check_id=job.check_id,
            session_id=job.session_id,
            job_id=job_id,
            name=config.get("name", ""),
            check_type=config["checkType"],
            run_location=job.location,
            result_type=result_type,
            sequence_id=job.sequence_id,
            attempts=job.attempt,
            has_failures=result.has_failures,
            has_errors=result.has_errors,
            is_degraded=result.is_degraded,
            over_max_response_time=result.over_max_response_time,
            response_time=round(result.response_time_ms, 3),
            check_run_id=check_run_id,
            started_at=result.started_at,
            stopped_at=result.stopped_at,
            created_at=now,
            detail_key=result.detail_key,
            detail=result.detail,
        )
    )
    completion = Completion(outcome="accepted", result_id=result_id, session_id=job.session_id)
    if retry.retry:
        await conn.execute(
            jobs.insert().values(
                id=str(uuid.uuid4()),
                session_id=job.session_id,
                account_id=job.account_id,
                check_id=job.check_id,
                location=job.location,
                attempt=job.attempt + 1,
                sequence_id=job.sequence_id,
                state="QUEUED",
                run_at=now + timedelta(seconds=retry.delay_seconds),
                leases=0,
                config=config,
                created_at=first_try_started,
            )
        )
        completion.retry_location = job.location
        await _mark_progress(conn, job.session_id)
        return completion

    await _update_status(
        conn, job.check_id, job.account_id, job.location, result, check_run_id, now
    )
    counters = await sessions_repo.record_final(
        conn,
        job.session_id,
        failed=result.has_failures or result.has_errors,
        degraded=result.is_degraded,
    )
    if counters is not None and counters.stopped_at is None:
        status = status_for(
            expected=len(counters.run_locations),
            reported=counters.finals,
            finals=counters.finals,
            failed=counters.failed,
            degraded=counters.degraded,
        )
        if status != counters.status:
            ended = is_terminal(status)
            changed = await sessions_repo.set_status(
                conn, job.session_id, status, now if ended else None
            )
            completion.session_ended = changed and ended
    return completion


async def _mark_progress(conn: AsyncConnection, session_id: str) -> None:
    from vantage.db.tables import check_sessions

    await conn.execute(
        check_sessions.update()
        .where(check_sessions.c.id == session_id, check_sessions.c.status == "STARTED")
        .values(status="PROGRESS")
    )


async def _update_status(
    conn: AsyncConnection,
    check_id: str,
    account_id: str,
    location: str,
    result: ProbeResult,
    check_run_id: int,
    now: datetime,
) -> None:
    """Keep the check's latest status in one row, so status reads never scan results."""
    stmt = upsert(
        conn,
        check_statuses,
        index_elements=["check_id"],
        update_columns=[
            "has_failures",
            "has_errors",
            "is_degraded",
            "last_run_location",
            "last_check_run_id",
            "last_result_at",
            "updated_at",
        ],
    )
    await conn.execute(
        stmt,
        {
            "check_id": check_id,
            "account_id": account_id,
            "has_failures": result.has_failures,
            "has_errors": result.has_errors,
            "is_degraded": result.is_degraded,
            "longest_run": result.response_time_ms,
            "shortest_run": result.response_time_ms,
            "last_run_location": location,
            "last_check_run_id": check_run_id,
            "last_result_at": now,
            "created_at": now,
            "updated_at": now,
        },
    )
    await conn.execute(
        check_statuses.update()
        .where(check_statuses.c.check_id == check_id)
        .values(
            longest_run=greatest(conn, check_statuses.c.longest_run, result.response_time_ms),
            shortest_run=least(conn, check_statuses.c.shortest_run, result.response_time_ms),
        )
    )


async def complete_many(
    conn: AsyncConnection,
    items: Sequence[tuple[str, str, ProbeResult]],
    now: datetime,
) -> list[Completion]:
    return [
        await complete(conn, job_id=job_id, lease_owner=owner, result=result, now=now)
        for job_id, owner, result in items
    ]
