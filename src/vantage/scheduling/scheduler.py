"""The scheduler: starts a check session for every activated check whose time has come.

`run_once()` does one pass (tests call it); `run_forever()` repeats it, sleeping until the next due
check or until a check or group is created or edited, on any replica. Due checks are claimed with
`FOR UPDATE SKIP LOCKED` on PostgreSQL (SQLite has a single writer anyway) and their `next_run_at`
moved forward in the same transaction, so several schedulers (server replicas) never start the
same run twice.

A due slot whose check's previous scheduled run is still queued (no agent has leased it) is skipped,
as Checkly skips a scheduled run that cannot start in time: the slot passes, the skip is counted
(`vantage_scheduler_slots_skipped_total`) and logged once per pass. Without it an overloaded server
queues runs faster than its agents take them and every run waits longer than the one before.
Triggered runs are never skipped, and do not hold back the schedule.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncConnection

from vantage.alerting import evaluation as alerting
from vantage.alerting import maintenance
from vantage.checks import repository as checks_repository
from vantage.checks.scheduling import next_run_after
from vantage.runtime import Runtime
from vantage.sessions import repository as sessions_repo
from vantage.sessions.planning import SessionPlan
from vantage.sessions.starting import announce, start_sessions
from vantage.timeutil import utcnow
from vantage.wakeups import SESSION_TIMED_OUT

log = structlog.get_logger(__name__)

# A due check whose next run cannot be computed (a corrupt interval) is tried again this much later
# instead of on every pass.
POISONED_RETRY = timedelta(minutes=1)
# A pass that skips slots logs this many of their check ids (and how many in all).
SKIPPED_LOGGED = 20
# After a failed pass, the scheduler tries again this soon (not at its long fallback poll).
SCHEDULER_RETRY_SECONDS = 1.0


class Scheduler:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.lag_seconds = 0.0
        self.started = 0

    async def run_once(self, now: datetime | None = None) -> int:
        """Start the sessions that are due; return how many were started."""
        now = now or utcnow()
        settings = self.runtime.settings
        plans: list[SessionPlan] = []
        async with self.runtime.db.write() as conn:
            due = await checks_repository.claim_due(conn, now, settings.scheduler_batch)
            next_runs = {row.id: self._next_run(row, now) for row in due}
            if due:
                self.lag_seconds = max(0.0, (now - due[-1].next_run_at).total_seconds())
            # Every due slot passes, run or not: a check that cannot start is not retried at once.
            await checks_repository.advance(conn, next_runs)
            # A maintenance window with pauseAllChecks skips the scheduled runs of its account.
            if due:
                due = await maintenance.unpaused(conn, due, now)
            due, skipped = await self._startable(conn, due, now)
            plans = await start_sessions(
                conn, due, run_source="SCHEDULER", now=now, settings=settings
            )
        announce(self.runtime, plans, "SCHEDULER")
        if skipped:
            self.runtime.metrics.slots_skipped.inc(len(skipped))
            # One line per pass, however many checks: an overloaded server must not log per slot.
            log.warning(
                "scheduled runs skipped: previous run still waiting for an agent",
                skipped=len(skipped),
                check_ids=skipped[:SKIPPED_LOGGED],
            )
        self.started += len(plans)
        self.runtime.metrics.schedule_lag.set(self.lag_seconds)
        return len(plans)

    @staticmethod
    async def _startable(
        conn: AsyncConnection, due: Sequence[Any], now: datetime
    ) -> tuple[list[Any], list[str]]:
        """The due checks whose previous scheduled run has started, and the ids of the others:
        a slot whose previous run is still queued, never leased, is skipped (as Checkly skips a
        scheduled run that cannot start in time) instead of queueing a second run behind it.
        Otherwise an overloaded server queues runs faster than its agents take them, and every
        run waits longer than the last."""
        if not due:
            return [], []
        waiting = await sessions_repo.scheduled_not_started(conn, [row.id for row in due], now)
        if not waiting:
            return list(due), []
        return [r for r in due if r.id not in waiting], [r.id for r in due if r.id in waiting]

    def _next_run(self, row: Any, now: datetime) -> datetime:
        try:
            return next_run_after(row.next_run_at, row.interval_seconds, now)
        except Exception:
            log.exception("check has no next run", check_id=row.id)
            return now + POISONED_RETRY

    async def next_due(self) -> datetime | None:
        """When the soonest activated check is due (None: no check is scheduled)."""
        async with self.runtime.db.read() as conn:
            return await checks_repository.next_due_at(conn)

    async def run_forever(self) -> None:
        """Sleep until the soonest activated check is due; woken sooner when checks or groups are
        created or edited, here or on another replica (`Signals.checks_changed`, relayed through
        the bus), and at most `scheduler_tick_seconds`, which bounds a lost wake-up."""
        alarm = self.runtime.signals.schedule
        settings = self.runtime.settings
        longest = settings.scheduler_tick_seconds
        due: datetime | None = None
        read = True
        while True:
            # Armed before the read: an edit from here on ends the sleep below at once.
            alarm.arm()
            wait = longest
            try:
                if read:
                    due = await self.next_due()
                # The pass takes the write lock when a check is due, not at every wake-up.
                if due is not None and due <= utcnow():
                    if await self.run_once() >= settings.scheduler_batch:
                        continue  # a full batch: more may be due at once
                    due = await self.next_due()
            except Exception:
                # Keep scheduling through a transient database error instead of dying silently.
                log.exception("scheduler pass failed")
                due, wait = None, min(longest, SCHEDULER_RETRY_SECONDS)
            rung = await alarm.sleep(due, wait, utcnow())
            # Slept until `due` without a wake-up: that check is due now, no need to read it again.
            read = rung or due is None or due > utcnow()


# After a failed pass, the reaper tries again this soon (not at its long fallback poll).
REAPER_RETRY_SECONDS = 1.0


class Reaper:
    """Ends sessions whose deadline passed without every location's FINAL result.

    It sleeps until the earliest open session's deadline (one read of the open sessions), woken
    sooner when a session starts with an earlier one, here or on another replica
    (`Signals.sessions_started`), and at most `reaper_interval_seconds`, so a lost wake-up delays
    a time-out by that much at worst. Every replica may run it: the time-out is a compare-and-set.
    """

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    async def run_once(self, now: datetime | None = None) -> list[str]:
        now = now or utcnow()
        async with self.runtime.db.write() as conn:
            ended = await sessions_repo.time_out_overdue(conn, now)
            # A timed-out session is a failed run of its check: its alerts are decided with it.
            await alerting.on_sessions_ended(conn, dict.fromkeys(ended, "TIMED_OUT"), now)
        for session_id in ended:
            self.runtime.signals.session_finished(session_id)
            self.runtime.signals.relay(SESSION_TIMED_OUT, session_id)
            log.info("session timed out", session_id=session_id)
            self.runtime.metrics.sessions_finished.labels("TIMED_OUT").inc()
        return ended

    async def next_deadline(self, after: datetime | None = None) -> datetime | None:
        """The earliest open session's deadline (after `after`: a pass's time, since what that
        pass could not end waits for the next wake-up rather than make the loop spin)."""
        async with self.runtime.db.read() as conn:
            return await sessions_repo.next_deadline(conn, after)

    async def run_forever(self) -> None:
        alarm = self.runtime.signals.session_deadlines
        longest = self.runtime.settings.reaper_interval_seconds
        swept = -math.inf
        while True:
            # Armed before the read: a session started from here on wakes the sleep below.
            alarm.arm()
            wait = longest
            try:
                due = await self.next_deadline()
                now = utcnow()
                # The pass takes the write lock when a deadline has come, not at every wake-up;
                # and at least every `longest` seconds, which drops abandoned jobs.
                if (due is not None and due <= now) or time.monotonic() - swept >= longest:
                    await self.run_once(now)
                    swept = time.monotonic()
                    due = await self.next_deadline(after=now)
            except Exception:
                log.exception("reaper pass failed")
                due, wait = None, min(longest, REAPER_RETRY_SECONDS)
            await alarm.sleep(due, wait, utcnow())
