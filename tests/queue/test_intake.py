"""Result intake against a real database (SQLite and PostgreSQL): fencing, idempotence, retries,
sessions advancing and the status transitions it reports."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from vantage.accounts.service import create_account
from vantage.db.engine import Database
from vantage.db.migrate import upgrade
from vantage.db.tables import (
    check_alert_states,
    check_results,
    check_sessions,
    check_statuses,
    jobs,
    result_rollups,
)
from vantage.locations import service as locations
from vantage.probes.result import ProbeResult
from vantage.queue.intake import Intake, Submission, take_in
from vantage.sessions import repository as sessions_repo
from vantage.sessions.planning import CheckToRun, plan_session
from vantage.statuses.state import StatusTransition
from vantage.timeutil import utcnow

LOCATION = "edge"
OWNER = "agent-1/lease"
RETRY_TWICE = {"type": "FIXED", "baseBackoffSeconds": 5, "maxRetries": 2}
RETRY_NONE: dict[str, Any] = {"retryStrategy": None}


@dataclass
class Queue:
    db: Database
    account_id: str
    location_id: str

    async def start_session(
        self, check_id: str, *, test_session_id: str | None = None, **config: Any
    ) -> str:
        """Plan one session of `check_id` at LOCATION and lease its job to OWNER; with
        `test_session_id`, an ad-hoc run of that test session."""
        async with self.db.write() as conn:
            plan = plan_session(
                CheckToRun(check_id, self.account_id, "API", "intake", config),
                run_source="TRIGGER_API",
                now=utcnow(),
                default_location=LOCATION,
                deadline_slack_seconds=5,
                places=await locations.refs(conn),
            )
            plan.session["test_session_id"] = test_session_id
            for job in plan.jobs:
                job["test_session_id"] = test_session_id
            await sessions_repo.insert_plans(conn, [plan])
        await self.lease(plan.id)
        return plan.id

    async def lease(self, session_id: str) -> None:
        async with self.db.write() as conn:
            await conn.execute(
                jobs.update()
                .where(jobs.c.session_id == session_id)
                .values(state="LEASED", lease_owner=OWNER, run_at=utcnow())
            )

    async def job_of(self, session_id: str) -> Any:
        async with self.db.read() as conn:
            return (
                await conn.execute(sa.select(jobs).where(jobs.c.session_id == session_id))
            ).one()

    async def submit(self, *items: tuple[str, str, ProbeResult]) -> Intake:
        async with self.db.write() as conn:
            return await take_in(conn, [Submission(*item) for item in items], utcnow())

    async def session(self, session_id: str) -> Any:
        async with self.db.read() as conn:
            return (
                await conn.execute(
                    sa.select(check_sessions).where(check_sessions.c.id == session_id)
                )
            ).one()

    async def count(self, table: sa.Table) -> int:
        async with self.db.read() as conn:
            return int(await conn.scalar(sa.select(sa.func.count()).select_from(table)) or 0)


@pytest.fixture
async def queue(database_url: str) -> AsyncIterator[Queue]:
    db = Database(database_url)
    try:
        await upgrade(db)
        async with db.write() as conn:
            account = (await create_account(conn, "ops")).account
            await locations.ensure(conn, LOCATION, "Edge")
            found = await locations.by_slug(conn, LOCATION)
        assert found is not None
        yield Queue(db, account.id, found.ref.id)
    finally:
        await db.dispose()


def result(*, failed: bool = False, degraded: bool = False) -> ProbeResult:
    now = utcnow()
    return ProbeResult(
        check_type="API",
        started_at=now - timedelta(milliseconds=12),
        stopped_at=now,
        response_time_ms=12.0,
        has_failures=failed,
        is_degraded=degraded,
        over_max_response_time=False,
        detail_key="apiCheckResult",
    )


async def test_an_accepted_result_is_stored_as_final_and_ends_the_session(queue: Queue) -> None:
    session_id = await queue.start_session("c1")
    job = await queue.job_of(session_id)
    intake = await queue.submit((job.id, OWNER, result()))
    [completion] = intake.completions
    assert completion.outcome == "accepted"
    assert (completion.session_id, completion.session_ended) == (session_id, True)
    assert completion.session_status == "PASSED"
    async with queue.db.read() as conn:
        stored = (await conn.execute(sa.select(check_results))).one()
        status = (await conn.execute(sa.select(check_statuses))).one()
    assert (stored.id, stored.result_type, stored.job_id) == (completion.result_id, "FINAL", job.id)
    assert (status.check_id, status.last_run_location) == ("c1", LOCATION)
    session = await queue.session(session_id)
    assert (session.status, session.finals, session.stopped_at is not None) == ("PASSED", 1, True)
    assert await queue.count(jobs) == 0


async def test_an_ad_hoc_result_ends_its_session_but_writes_no_status_or_rollup(
    queue: Queue,
) -> None:
    session_id = await queue.start_session("c1", test_session_id="t1", **RETRY_NONE)
    job = await queue.job_of(session_id)

    intake = await queue.submit((job.id, OWNER, result(failed=True)))

    [completion] = intake.completions
    assert (completion.outcome, completion.test_session_id) == ("accepted", "t1")
    assert (completion.session_ended, completion.session_status) == (True, "FAILED")
    assert intake.transitions == []
    assert await queue.count(check_results) == 1
    assert await queue.count(check_statuses) == 0
    assert await queue.count(result_rollups) == 0
    assert await queue.count(check_alert_states) == 0


async def test_an_ad_hoc_runs_retry_is_ad_hoc_too(queue: Queue) -> None:
    session_id = await queue.start_session("c1", test_session_id="t1", retryStrategy=RETRY_TWICE)
    job = await queue.job_of(session_id)

    intake = await queue.submit((job.id, OWNER, result(failed=True)))

    retry = await queue.job_of(session_id)
    assert intake.completions[0].retry_location == LOCATION
    assert (retry.attempt, retry.test_session_id) == (2, "t1")


async def test_a_resent_result_is_a_duplicate_that_changes_nothing(queue: Queue) -> None:
    job = await queue.job_of(await queue.start_session("c1"))
    first = await queue.submit((job.id, OWNER, result()))
    again = await queue.submit((job.id, OWNER, result(failed=True)))
    [completion] = again.completions
    assert (completion.outcome, completion.result_id) == (
        "duplicate",
        first.completions[0].result_id,
    )
    assert again.transitions == []
    assert await queue.count(check_results) == 1


async def test_a_result_under_a_lost_lease_is_fenced(queue: Queue) -> None:
    session_id = await queue.start_session("c1")
    job = await queue.job_of(session_id)
    intake = await queue.submit((job.id, "agent-2/stale", result()))
    assert [c.outcome for c in intake.completions] == ["fenced"]
    assert await queue.count(check_results) == 0
    assert (await queue.job_of(session_id)).lease_owner == OWNER
    assert (await queue.session(session_id)).status == "STARTED"


async def test_a_failed_run_with_retries_left_is_an_attempt_and_queues_the_next(
    queue: Queue,
) -> None:
    session_id = await queue.start_session("c1", retryStrategy=RETRY_TWICE)
    first = await queue.job_of(session_id)
    intake = await queue.submit((first.id, OWNER, result(failed=True)))
    [completion] = intake.completions
    assert (completion.retry_location, completion.session_ended) == (LOCATION, False)
    assert intake.transitions == []  # an ATTEMPT says nothing about the check's status yet
    retry = await queue.job_of(session_id)
    assert (retry.state, retry.attempt, retry.sequence_id) == ("QUEUED", 2, first.sequence_id)
    assert (retry.location, retry.location_id) == (LOCATION, queue.location_id)
    assert retry.created_at == first.created_at  # the chain's start, for maxDurationSeconds
    assert retry.run_at > first.run_at
    async with queue.db.read() as conn:
        stored = (await conn.execute(sa.select(check_results))).one()
    assert (stored.result_type, stored.attempts) == ("ATTEMPT", 1)
    assert await queue.count(check_statuses) == 0
    assert (await queue.session(session_id)).status == "PROGRESS"


async def test_a_final_after_a_retry_advances_the_session(queue: Queue) -> None:
    session_id = await queue.start_session("c1", retryStrategy=RETRY_TWICE)
    first = await queue.job_of(session_id)
    await queue.submit((first.id, OWNER, result(failed=True)))
    await queue.lease(session_id)
    retry = await queue.job_of(session_id)
    [completion] = (await queue.submit((retry.id, OWNER, result()))).completions
    assert (completion.session_ended, completion.session_status) == (True, "PASSED")
    session = await queue.session(session_id)
    assert (session.status, session.finals, session.failed) == ("PASSED", 1, 0)


async def test_a_batch_stores_every_location_of_a_session_and_ends_it_once(queue: Queue) -> None:
    async with queue.db.write() as conn:
        await locations.ensure(conn, "far", "Far")
    session_id = await queue.start_session("c1", locations=[LOCATION, "far"], runParallel=True)
    async with queue.db.read() as conn:
        both = (await conn.execute(sa.select(jobs.c.id))).scalars().all()
    intake = await queue.submit(*[(job_id, OWNER, result()) for job_id in both])
    assert [c.outcome for c in intake.completions] == ["accepted", "accepted"]
    assert [c.session_ended for c in intake.completions].count(True) == 1
    session = await queue.session(session_id)
    assert (session.status, session.finals) == ("PASSED", 2)


async def test_a_failing_result_after_a_passing_one_is_a_transition_and_a_repeat_is_not(
    queue: Queue,
) -> None:
    runs = []
    for failed in (False, True, True):
        job = await queue.job_of(await queue.start_session("c1"))
        runs.append(await queue.submit((job.id, OWNER, result(failed=failed))))
    first, failing, repeat = (run.transitions for run in runs)
    assert first == [StatusTransition("c1", queue.account_id, LOCATION, None, "passing")]
    assert failing == [StatusTransition("c1", queue.account_id, LOCATION, "passing", "failing")]
    assert repeat == []


async def test_a_checks_transition_starts_from_its_own_status_not_another_checks(
    queue: Queue,
) -> None:
    failing = await queue.job_of(await queue.start_session("c1"))
    await queue.submit((failing.id, OWNER, result(failed=True)))
    first = await queue.job_of(await queue.start_session("c2"))
    intake = await queue.submit((first.id, OWNER, result()))
    assert intake.transitions == [
        StatusTransition("c2", queue.account_id, LOCATION, None, "passing")
    ]


async def test_transitions_within_one_batch_follow_its_results_in_order(queue: Queue) -> None:
    submitted = []
    for failed, degraded in ((False, False), (False, True), (False, True), (True, False)):
        job = await queue.job_of(await queue.start_session("c1"))
        submitted.append((job.id, OWNER, result(failed=failed, degraded=degraded)))
    intake = await queue.submit(*submitted)
    assert [(t.old, t.new) for t in intake.transitions] == [
        (None, "passing"),
        ("passing", "degraded"),
        ("degraded", "failing"),
    ]
    async with queue.db.read() as conn:
        status = (await conn.execute(sa.select(check_statuses))).one()
    assert (status.has_failures, status.is_degraded) == (True, False)


async def test_a_late_result_is_stored_final_but_neither_retried_nor_reopens_its_session(
    queue: Queue,
) -> None:
    session_id = await queue.start_session("c1", retryStrategy=RETRY_TWICE)
    job = await queue.job_of(session_id)
    ended_at = utcnow() - timedelta(seconds=1)
    async with queue.db.write() as conn:  # the reaper timed it out while the run was out
        await conn.execute(check_sessions.update().values(status="TIMED_OUT", stopped_at=ended_at))
    intake = await queue.submit((job.id, OWNER, result(failed=True)))
    [completion] = intake.completions
    assert completion.outcome == "accepted"
    assert (completion.retry_location, completion.session_ended) == (None, False)
    assert await queue.count(jobs) == 0  # retries left, but none queued for an ended session
    async with queue.db.read() as conn:
        stored = (await conn.execute(sa.select(check_results))).one()
    assert (stored.result_type, stored.has_failures) == ("FINAL", True)
    session = await queue.session(session_id)
    assert (session.status, session.stopped_at) == ("TIMED_OUT", ended_at)
    assert (session.finals, session.failed) == (0, 0)
