"""Result intake: a batch of results from agents, stored in the caller's one transaction.

`take_in` is an orchestrator; each table is written by its own slice's repository. In order:

1. queue: delete each submitted job still leased by its submitter (fencing: a lease lost to
   another agent, or a job withdrawn, stores nothing); with each job, read its check's status
   as stored before this batch (a subquery from `statuses`).
2. results: for the jobs not taken, look up a result already stored (a resend after a lost
   answer is a duplicate and changes nothing); the others are fenced.
3. Per taken job: decide the retry (`sessions.retries.decide`) and build the result row, an
   ATTEMPT when retried, a FINAL otherwise.
4. results: mark the results a maintenance window covers (vantage.results.maintenance); insert
   the result rows, and the assets taken out of them (vantage.assets); rollups: add them to their
   check x location x bucket roll-ups (one additive upsert per group of the batch).
5. queue: insert the retries (`new_job`: next attempt, same location id, chain and chain start).
6. statuses: upsert the status rows of the checks with a FINAL result (with the certificate an
   HTTPS run was served, for SSL expiry alerts); each FINAL that changes
   its check's status (from the one read in step 1) is a `StatusTransition`. checks: refresh
   those checks' dashboard severity from the rows just written (one statement; it writes only
   the checks whose state changed).
7. sessions: add the FINAL results to their sessions' counters and
8. advance the status of every session touched (a FINAL or a retry), in one write per session
   (its counters read first, locked on PostgreSQL); collect the sessions this batch ended.
9. alerting: feed each ended session, as one run, into its check's alert state; queue the
   notifications this raises in the outbox (`vantage.alerting.evaluation`).

A late result (its session ended before it came: timed out at its deadline while the run was
still out) is stored as a FINAL and updates its check's status row, but is never retried nor
counted (7, 8): its session keeps its status, `stoppedAt` and counts, and is never reopened.

The results of ad-hoc runs (a job with a `test_session_id`: `checkly test`, `checkly trigger`)
are stored and end their sessions, but skip 4's roll-ups, 6 and 9: such a run is not part of its
check's history. Their completions name the test session, for the result channel.

A batch costs a handful of statements whatever its size (every write above is one statement, an
executemany, or one per lease owner for step 1), because on SQLite every statement waits for the
single writer: statements per batch, not rows, bound the throughput.
"""

from __future__ import annotations

import json
import random
import time
import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncConnection

from vantage.alerting import evaluation as alerting
from vantage.assets import repository as assets_repo
from vantage.assets.extract import extract as extract_assets
from vantage.checks import severity
from vantage.dashboards.badge_cache import forget_badges
from vantage.metrics import Metrics
from vantage.probes.result import ProbeResult
from vantage.queue import repository as jobs_repo
from vantage.queue.jobs import new_job
from vantage.results import repository as results_repo
from vantage.results.maintenance import mark as mark_maintenance
from vantage.rollups import repository as rollups_repo
from vantage.rollups.digest import rows_of as rollup_rows_of
from vantage.sessions import repository as sessions_repo
from vantage.sessions.repository import Finals
from vantage.sessions.retries import RetryDecision, decide
from vantage.statuses import repository as statuses_repo
from vantage.statuses.state import CheckStatus, StatusTransition, status_of

Outcome = Literal["accepted", "duplicate", "fenced"]


@dataclass(slots=True)
class Completion:
    outcome: Outcome
    result_id: str | None = None
    session_id: str | None = None
    session_ended: bool = False
    session_status: str | None = None
    retry_location: str | None = None
    # Set for the result of an ad-hoc run: the result channel publishes it (vantage.testsessions).
    test_session_id: str | None = None
    # Its batch queued alert notifications (for the delivery worker's wake-up).
    alerts_queued: bool = False


@dataclass(frozen=True, slots=True)
class Submission:
    job_id: str
    lease_owner: str
    result: ProbeResult


@dataclass(slots=True)
class Intake:
    """What a batch changed: one Completion per submission, in order, and the status transitions
    of its checks, in the order of their results."""

    completions: list[Completion] = field(default_factory=list)
    transitions: list[StatusTransition] = field(default_factory=list)


def new_check_run_id() -> int:
    # Checkly's checkRunId is epoch milliseconds; three more digits of noise keep runs of the same
    # millisecond apart while staying below 2**53, the largest integer JavaScript holds exactly.
    return time.time_ns() // 1_000_000 * 1000 + random.randrange(1000)


async def take_in(
    conn: AsyncConnection,
    items: Sequence[Submission],
    now: datetime,
    metrics: Metrics | None = None,
) -> Intake:
    """Store a batch of results in the caller's transaction (the steps are in the module doc)."""
    leases = [(i.job_id, i.lease_owner) for i in items]
    taken = await jobs_repo.take_leased(conn, leases, statuses_repo.status_of_check)  # 1
    missing = [i.job_id for i in items if i.job_id not in taken]
    already = await results_repo.ids_by_job(conn, missing)  # 2

    intake = Intake()
    result_rows: list[dict[str, Any]] = []
    asset_rows: list[dict[str, Any]] = []
    retry_rows: list[dict[str, Any]] = []
    final_rows: list[dict[str, Any]] = []  # status rows, one per FINAL result, in order
    finals: dict[str, Finals] = defaultdict(Finals)
    retried: set[str] = set()
    ad_hoc: set[str] = set()  # sessions of ad-hoc runs
    for item in items:  # 3
        job = taken.get(item.job_id)
        if job is None:
            seen = already.get(item.job_id)
            intake.completions.append(
                Completion("duplicate", result_id=seen) if seen else Completion("fenced")
            )
            continue
        result = item.result
        late = bool(job.session_ended)
        # Only a failed run can be retried, and never a late one (its session is over): only
        # then is the check's configuration read.
        config = json.loads(job.config_json) if result.has_failures and not late else None
        # Jobs of one retry chain carry the chain's start as created_at (for maxDurationSeconds).
        retry = decide(
            config.get("retryStrategy") if config is not None else None,
            attempt=job.attempt,
            failed=result.has_failures,
            network_error=result.network_error,
            seconds_since_first_attempt=max(0.0, (now - job.created_at).total_seconds()),
        )
        row = _result_row(job, result, retry, now)
        row["detail"], assets = extract_assets(
            row["detail_key"], row["detail"], check_id=row["check_id"], result_id=row["id"]
        )
        asset_rows.extend(assets_repo.rows_of(assets, row, now))
        result_rows.append(row)
        completion = Completion(
            "accepted",
            result_id=row["id"],
            session_id=job.session_id,
            test_session_id=job.test_session_id,
        )
        intake.completions.append(completion)
        if job.test_session_id is not None:
            ad_hoc.add(job.session_id)
        if metrics is not None:
            metrics.executed(job.check_type, job.location, result)
        if retry.retry:
            assert config is not None
            run_at = now + timedelta(seconds=retry.delay_seconds)
            retry_rows.append(_retry_job(job, config, run_at))
            completion.retry_location = job.location
            retried.add(job.session_id)
            continue
        if job.test_session_id is None:
            final_rows.append(_status_row(row, result, now))
        if late:
            # Stored and shown with its session, which keeps its status, stoppedAt and counts.
            continue
        counts = finals[job.session_id]
        counts.finals += 1
        counts.failed += int(result.has_failures or result.has_errors)
        counts.degraded += int(result.is_degraded)

    await mark_maintenance(conn, [r for r in result_rows if r["session_id"] not in ad_hoc])
    await results_repo.insert_many(conn, result_rows)  # 4
    await assets_repo.insert_many(conn, asset_rows)
    await rollups_repo.add(
        conn, rollup_rows_of([r for r in result_rows if r["session_id"] not in ad_hoc])
    )
    await jobs_repo.insert_many(conn, retry_rows)  # 5
    if final_rows:  # 6
        before = {j.check_id: j.check_status for j in taken.values() if j.check_status}
        intake.transitions = transitions(before, final_rows)
        if intake.transitions:
            forget_badges(conn)  # a badge shows the check's status: rare, so cleared at once
        # The batch's last result per check is its status.
        latest = {r["check_id"]: r for r in final_rows}
        await statuses_repo.upsert(conn, list(latest.values()))
        await severity.refresh(conn, latest.keys())
    # 7, 8: one read of the sessions touched and one write of their counters and status.
    ended = await sessions_repo.record_finals(conn, finals, retried - finals.keys(), now)
    # 9. alerting: each ended session is one run of its check; alerts go to the outbox, here.
    queued = await alerting.on_sessions_ended(
        conn, {sid: status for sid, status in ended.items() if sid not in ad_hoc}, now
    )
    for completion in intake.completions:
        completion.alerts_queued = queued > 0
        if completion.session_id in ended and completion.outcome == "accepted":
            completion.session_ended = True
            completion.session_status = ended.pop(completion.session_id)
            if metrics is not None:
                metrics.sessions_finished.labels(completion.session_status).inc()
    return intake


def transitions(
    before: Mapping[str, CheckStatus], status_rows: Sequence[dict[str, Any]]
) -> list[StatusTransition]:
    """The status changes that `status_rows` (in result order) make from the stored `before`."""
    latest: dict[str, CheckStatus | None] = dict(before)
    changes: list[StatusTransition] = []
    for row in status_rows:
        new = status_of(
            has_failures=row["has_failures"],
            has_errors=row["has_errors"],
            is_degraded=row["is_degraded"],
        )
        old = latest.get(row["check_id"])
        if new == old:
            continue
        latest[row["check_id"]] = new
        changes.append(
            StatusTransition(
                check_id=row["check_id"],
                account_id=row["account_id"],
                location=row["last_run_location"],
                old=old,
                new=new,
            )
        )
    return changes


def _result_row(
    job: Any, result: ProbeResult, retry: RetryDecision, now: datetime
) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "account_id": job.account_id,
        "check_id": job.check_id,
        "session_id": job.session_id,
        "job_id": job.id,
        "name": job.check_name or "",
        "check_type": job.check_type,
        "run_location": job.location,
        "result_type": "ATTEMPT" if retry.retry else "FINAL",
        "sequence_id": job.sequence_id,
        "attempts": job.attempt,
        "has_failures": result.has_failures,
        "has_errors": result.has_errors,
        "is_degraded": result.is_degraded,
        "over_max_response_time": result.over_max_response_time,
        "response_time": round(result.response_time_ms, 3),
        "check_run_id": new_check_run_id(),
        "started_at": result.started_at,
        "stopped_at": result.stopped_at,
        "created_at": now,
        "detail_key": result.detail_key,
        "detail": result.detail,
        "in_maintenance": False,
    }


def _retry_job(job: Any, config: dict[str, Any], run_at: datetime) -> dict[str, Any]:
    """The next attempt of `job`: same location (by id), chain and chain start."""
    return new_job(
        session_id=job.session_id,
        account_id=job.account_id,
        check_id=job.check_id,
        location=job.location,
        location_id=job.location_id,
        config=config,
        run_at=run_at,
        created_at=job.created_at,
        attempt=job.attempt + 1,
        sequence_id=job.sequence_id,
        test_session_id=job.test_session_id,
    )


def _status_row(result_row: dict[str, Any], result: ProbeResult, now: datetime) -> dict[str, Any]:
    """The check-status row a FINAL result makes."""
    run_ms = result.response_time_ms
    peer = result.certificate
    return {
        "check_id": result_row["check_id"],
        "account_id": result_row["account_id"],
        "has_failures": result_row["has_failures"],
        "has_errors": result_row["has_errors"],
        "is_degraded": result_row["is_degraded"],
        "longest_run": run_ms,
        "shortest_run": run_ms,
        "last_run_location": result_row["run_location"],
        "last_check_run_id": result_row["check_run_id"],
        "last_result_at": now,
        "created_at": now,
        "updated_at": now,
        # What its TLS handshake was served, for SSL expiry alerts (vantage.alerting.ssl_expiry)
        "certificate": None if peer is None else {**peer.to_json(), "seenAt": now.isoformat()},
    }
