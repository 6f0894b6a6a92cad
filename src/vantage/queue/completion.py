"""Storing results of leased jobs, a batch per transaction.

A batch costs a handful of statements whatever its size (the jobs deleted with RETURNING, the
results inserted with executemany, one status upsert, the touched sessions counted and re-read
once), because on SQLite every statement waits for the single writer: statements per result, not
rows, bound the throughput.

Every result is fenced: it is stored only while the lease that produced it is the job's own (the job
row is deleted on the condition `lease_owner = :owner`). A result for a job already completed is a
duplicate and changes nothing, so agents may resend after a lost answer.
"""

from __future__ import annotations

import random
import time
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from vantage.db.dialect import greatest, insert_for, least
from vantage.db.tables import check_results, check_sessions, check_statuses, jobs
from vantage.metrics import Metrics
from vantage.probes.result import ProbeResult
from vantage.sessions.retries import decide
from vantage.sessions.state import is_terminal, status_for

Outcome = Literal["accepted", "duplicate", "fenced"]


@dataclass(slots=True)
class Completion:
    outcome: Outcome
    result_id: str | None = None
    session_id: str | None = None
    session_ended: bool = False
    session_status: str | None = None
    retry_location: str | None = None


@dataclass(frozen=True, slots=True)
class Submission:
    job_id: str
    lease_owner: str
    result: ProbeResult


def new_check_run_id() -> int:
    # Checkly's checkRunId is epoch milliseconds; three more digits of noise keep runs of the same
    # millisecond apart while staying below 2**53, the largest integer JavaScript holds exactly.
    return time.time_ns() // 1_000_000 * 1000 + random.randrange(1000)


JOB_COLUMNS = (
    jobs.c.id,
    jobs.c.session_id,
    jobs.c.account_id,
    jobs.c.check_id,
    jobs.c.location,
    jobs.c.location_id,
    jobs.c.attempt,
    jobs.c.sequence_id,
    jobs.c.config,
    jobs.c.created_at,
)


async def _take_jobs(conn: AsyncConnection, items: Sequence[Submission]) -> dict[str, Any]:
    """Delete the submitted jobs whose lease is still the submitter's; return them by id."""
    by_owner: dict[str, list[str]] = defaultdict(list)
    for item in items:
        by_owner[item.lease_owner].append(item.job_id)
    taken: dict[str, Any] = {}
    for owner, ids in by_owner.items():
        rows = await conn.execute(
            jobs.delete()
            .where(jobs.c.id.in_(ids), jobs.c.state == "LEASED", jobs.c.lease_owner == owner)
            .returning(*JOB_COLUMNS)
        )
        taken.update({row.id: row for row in rows})
    return taken


async def complete_batch(
    conn: AsyncConnection,
    items: Sequence[Submission],
    now: datetime,
    metrics: Metrics | None = None,
) -> list[Completion]:
    """Store a batch of results in the caller's transaction; one Completion per item, in order."""
    taken = await _take_jobs(conn, items)
    missing = [item.job_id for item in items if item.job_id not in taken]
    already: dict[str, str] = {}
    if missing:
        already = {
            row.job_id: row.id
            for row in await conn.execute(
                sa.select(check_results.c.job_id, check_results.c.id).where(
                    check_results.c.job_id.in_(missing)
                )
            )
        }

    completions: list[Completion] = []
    result_rows: list[dict[str, Any]] = []
    retry_rows: list[dict[str, Any]] = []
    status_rows: dict[str, dict[str, Any]] = {}
    finals: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])  # finals, failed, degraded
    progressed: set[str] = set()
    for item in items:
        job = taken.get(item.job_id)
        if job is None:
            seen = already.get(item.job_id)
            completions.append(
                Completion("duplicate", result_id=seen) if seen else Completion("fenced")
            )
            continue
        result = item.result
        config: dict[str, Any] = job.config
        # Jobs of one retry chain carry the chain's start as created_at (for maxDurationSeconds).
        retry = decide(
            config.get("retryStrategy"),
            attempt=job.attempt,
            failed=result.has_failures,
            network_error=result.network_error,
            seconds_since_first_attempt=max(0.0, (now - job.created_at).total_seconds()),
        )
        result_id = str(uuid.uuid4())
        check_run_id = new_check_run_id()
        result_rows.append(
            {
                "id": result_id,
                "account_id": job.account_id,
                "check_id": job.check_id,
                "session_id": job.session_id,
                "job_id": job.id,
                "name": config.get("name", ""),
                "check_type": config["checkType"],
                "run_location": job.location,
                "result_type": "ATTEMPT" if retry.retry else "FINAL",
                "sequence_id": job.sequence_id,
                "attempts": job.attempt,
                "has_failures": result.has_failures,
                "has_errors": result.has_errors,
                "is_degraded": result.is_degraded,
                "over_max_response_time": result.over_max_response_time,
                "response_time": round(result.response_time_ms, 3),
                "check_run_id": check_run_id,
                "started_at": result.started_at,
                "stopped_at": result.stopped_at,
                "created_at": now,
                "detail_key": result.detail_key,
                "detail": result.detail,
            }
        )
        completion = Completion("accepted", result_id=result_id, session_id=job.session_id)
        completions.append(completion)
        if metrics is not None:
            metrics.executed(config["checkType"], job.location, result)
        if retry.retry:
            retry_rows.append(
                {
                    "id": str(uuid.uuid4()),
                    "session_id": job.session_id,
                    "account_id": job.account_id,
                    "check_id": job.check_id,
                    "location": job.location,
                    "location_id": job.location_id,
                    "attempt": job.attempt + 1,
                    "sequence_id": job.sequence_id,
                    "state": "QUEUED",
                    "run_at": now + timedelta(seconds=retry.delay_seconds),
                    "lease_owner": None,
                    "lease_expires_at": None,
                    "leases": 0,
                    "config": config,
                    "created_at": job.created_at,
                }
            )
            completion.retry_location = job.location
            progressed.add(job.session_id)
            continue
        status_rows[job.check_id] = {
            "check_id": job.check_id,
            "account_id": job.account_id,
            "has_failures": result.has_failures,
            "has_errors": result.has_errors,
            "is_degraded": result.is_degraded,
            "longest_run": result.response_time_ms,
            "shortest_run": result.response_time_ms,
            "last_run_location": job.location,
            "last_check_run_id": check_run_id,
            "last_result_at": now,
            "created_at": now,
            "updated_at": now,
        }
        counts = finals[job.session_id]
        counts[0] += 1
        counts[1] += int(result.has_failures or result.has_errors)
        counts[2] += int(result.is_degraded)

    if result_rows:
        await conn.execute(check_results.insert(), result_rows)
    if retry_rows:
        await conn.execute(jobs.insert(), retry_rows)
    if status_rows:
        await _upsert_statuses(conn, list(status_rows.values()))
    ended = await _count_finals(conn, finals, progressed - set(finals), now)
    for completion in completions:
        if completion.session_id in ended and completion.outcome == "accepted":
            completion.session_ended = True
            completion.session_status = ended.pop(completion.session_id)
            if metrics is not None:
                metrics.sessions_finished.labels(completion.session_status).inc()
    return completions


async def _upsert_statuses(conn: AsyncConnection, rows: list[dict[str, Any]]) -> None:
    """Keep each check's latest status in one row, so status reads never scan results."""
    stmt = insert_for(conn, check_statuses)
    stmt = stmt.on_conflict_do_update(
        index_elements=["check_id"],
        set_={
            **{
                name: stmt.excluded[name]
                for name in (
                    "has_failures",
                    "has_errors",
                    "is_degraded",
                    "last_run_location",
                    "last_check_run_id",
                    "last_result_at",
                    "updated_at",
                )
            },
            "longest_run": greatest(conn, check_statuses.c.longest_run, stmt.excluded.longest_run),
            "shortest_run": least(conn, check_statuses.c.shortest_run, stmt.excluded.shortest_run),
        },
    )
    await conn.execute(stmt, rows)


async def _count_finals(
    conn: AsyncConnection,
    finals: dict[str, list[int]],
    progressed: set[str],
    now: datetime,
) -> dict[str, str]:
    """Add the batch's FINAL results to their sessions' counters and move each session's status;
    return the sessions this batch ended, with their final status."""
    if finals:
        await conn.execute(
            check_sessions.update()
            .where(check_sessions.c.id == sa.bindparam("b_id"))
            .values(
                finals=check_sessions.c.finals + sa.bindparam("b_finals"),
                failed=check_sessions.c.failed + sa.bindparam("b_failed"),
                degraded=check_sessions.c.degraded + sa.bindparam("b_degraded"),
            ),
            [
                {"b_id": sid, "b_finals": c[0], "b_failed": c[1], "b_degraded": c[2]}
                for sid, c in finals.items()
            ],
        )
    touched = set(finals) | progressed
    if not touched:
        return {}
    rows = await conn.execute(
        sa.select(
            check_sessions.c.id,
            check_sessions.c.status,
            check_sessions.c.run_locations,
            check_sessions.c.finals,
            check_sessions.c.failed,
            check_sessions.c.degraded,
        ).where(check_sessions.c.id.in_(touched), check_sessions.c.stopped_at.is_(None))
    )
    changes: list[dict[str, Any]] = []
    ended: dict[str, str] = {}
    for row in rows:
        status = status_for(
            expected=len(row.run_locations),
            reported=row.finals + int(row.id in progressed),
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
        await conn.execute(
            check_sessions.update()
            .where(
                check_sessions.c.id == sa.bindparam("b_id"),
                check_sessions.c.stopped_at.is_(None),
            )
            .values(status=sa.bindparam("b_status"), stopped_at=sa.bindparam("b_stopped")),
            changes,
        )
    return ended
