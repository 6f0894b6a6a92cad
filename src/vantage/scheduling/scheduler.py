"""The scheduler: starts a check session for every activated check whose time has come.

`run_once()` does one pass (tests call it); `run_forever()` repeats it, sleeping until the next due
check or until a check is created or edited. Due checks are claimed with `FOR UPDATE SKIP LOCKED`
on PostgreSQL (SQLite has a single writer anyway) and their `next_run_at` moved forward in the same
transaction, so several schedulers (server replicas) never start the same run twice.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime, timedelta
from typing import Any

import structlog

from vantage.alerting import evaluation as alerting
from vantage.alerting import maintenance
from vantage.checks import repository as checks_repository
from vantage.checks.scheduling import next_run_after
from vantage.runtime import Runtime
from vantage.sessions import repository as sessions_repo
from vantage.sessions.planning import SessionPlan
from vantage.sessions.starting import announce, start_sessions
from vantage.timeutil import utcnow

log = structlog.get_logger(__name__)

# A due check whose next run cannot be computed (a corrupt interval) is tried again this much later
# instead of on every pass.
POISONED_RETRY = timedelta(minutes=1)


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
            plans = await start_sessions(
                conn, due, run_source="SCHEDULER", now=now, settings=settings
            )
        announce(self.runtime, plans, "SCHEDULER")
        self.started += len(plans)
        self.runtime.metrics.schedule_lag.set(self.lag_seconds)
        return len(plans)

    def _next_run(self, row: Any, now: datetime) -> datetime:
        try:
            return next_run_after(row.next_run_at, row.interval_seconds, now)
        except Exception:
            log.exception("check has no next run", check_id=row.id)
            return now + POISONED_RETRY

    async def next_due_in(self) -> float:
        tick = self.runtime.settings.scheduler_tick_seconds
        async with self.runtime.db.read() as conn:
            nxt = await checks_repository.next_due_at(conn)
        if nxt is None:
            return tick
        return min(tick, max(0.0, (nxt - utcnow()).total_seconds()))

    async def run_forever(self) -> None:
        changed = self.runtime.signals.schedule_changed
        settings = self.runtime.settings
        while True:
            try:
                changed.clear()
                started = await self.run_once()
                if started >= settings.scheduler_batch:
                    continue
                delay = await self.next_due_in()
            except Exception:
                # Keep scheduling through a transient database error instead of dying silently.
                log.exception("scheduler pass failed")
                delay = settings.scheduler_tick_seconds
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(delay):
                    await changed.wait()


class Reaper:
    """Ends sessions whose deadline passed without every location's FINAL result."""

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
            log.info("session timed out", session_id=session_id)
            self.runtime.metrics.sessions_finished.labels("TIMED_OUT").inc()
        return ended

    async def run_forever(self) -> None:
        while True:
            try:
                await self.run_once()
            except Exception:
                log.exception("reaper pass failed")
            await asyncio.sleep(self.runtime.settings.reaper_interval_seconds)
