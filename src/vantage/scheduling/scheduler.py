"""The scheduler: starts a check session for every activated check whose time has come.

`run_once()` does one pass (tests call it); `run_forever()` repeats it, sleeping until the next due
check or until a check is created or edited. Due checks are claimed with `FOR UPDATE SKIP LOCKED`
on PostgreSQL (SQLite has a single writer anyway) and their `next_run_at` moved forward in the same
transaction, so several schedulers (server replicas) never start the same run twice.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime

import sqlalchemy as sa
import structlog

from vantage.checks.scheduling import next_run_after
from vantage.db.dialect import claim_subquery
from vantage.db.tables import checks
from vantage.groups import repository as groups_repository
from vantage.groups.effective import effective_config, is_runnable
from vantage.locations import service as locations_service
from vantage.runtime import Runtime
from vantage.sessions import repository as sessions_repo
from vantage.sessions.planning import CheckToRun, SessionPlan, plan_session
from vantage.sessions.service import report_missing_locations
from vantage.timeutil import utcnow

log = structlog.get_logger(__name__)

BATCH = 500
MAX_SLEEP_SECONDS = 1.0


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
            # Rows another replica's scheduler holds are skipped (PostgreSQL); on SQLite this
            # transaction is the only writer. Either way the due rows are this pass's alone.
            due = (
                await conn.execute(
                    claim_subquery(
                        conn,
                        sa.select(
                            checks.c.id,
                            checks.c.account_id,
                            checks.c.check_type,
                            checks.c.name,
                            checks.c.group_id,
                            checks.c.config,
                            checks.c.interval_seconds,
                            checks.c.next_run_at,
                        )
                        .where(checks.c.activated.is_(True), checks.c.next_run_at <= now)
                        .order_by(checks.c.next_run_at)
                        .limit(BATCH),
                    )
                )
            ).all()
            # The due checks' groups, in one query: a check runs as its group makes it.
            groups = await groups_repository.configs_by_id(
                conn, {row.group_id for row in due if row.group_id is not None}
            )
            places = await locations_service.refs(conn) if due else {}
            advances = []
            for row in due:
                following = next_run_after(row.next_run_at, row.interval_seconds, now)
                advances.append({"b_id": row.id, "b_next": following})
                self.lag_seconds = max(0.0, (now - row.next_run_at).total_seconds())
                group = None if row.group_id is None else groups.get(row.group_id)
                if not is_runnable(row.config, group):
                    continue  # its group is deactivated: the slot passes without a run
                config = effective_config(row.check_type, row.config, group)
                plans.append(
                    plan_session(
                        CheckToRun(row.id, row.account_id, row.check_type, row.name, config),
                        run_source="SCHEDULER",
                        now=now,
                        default_location=settings.default_location,
                        deadline_slack_seconds=settings.session_deadline_slack_seconds,
                        places=places,
                    )
                )
            if advances:
                await conn.execute(
                    checks.update()
                    .where(checks.c.id == sa.bindparam("b_id"))
                    .values(next_run_at=sa.bindparam("b_next")),
                    advances,
                )
            await sessions_repo.insert_plans(conn, plans)
        for location in {loc for plan in plans for loc in plan.queued_locations}:
            self.runtime.signals.work_queued(location)
        self.started += len(plans)
        metrics = self.runtime.metrics
        report_missing_locations(plans, metrics)
        metrics.schedule_lag.set(self.lag_seconds)
        if plans:
            metrics.sessions_started.labels("SCHEDULER").inc(len(plans))
        return len(plans)

    async def next_due_in(self) -> float:
        async with self.runtime.db.read() as conn:
            nxt: datetime | None = await conn.scalar(
                sa.select(sa.func.min(checks.c.next_run_at)).where(checks.c.activated.is_(True))
            )
        if nxt is None:
            return MAX_SLEEP_SECONDS
        return min(MAX_SLEEP_SECONDS, max(0.0, (nxt - utcnow()).total_seconds()))

    async def run_forever(self) -> None:
        changed = self.runtime.signals.schedule_changed
        while True:
            try:
                changed.clear()
                started = await self.run_once()
                if started >= BATCH:
                    continue
                delay = await self.next_due_in()
            except Exception:
                # Keep scheduling through a transient database error instead of dying silently.
                log.exception("scheduler pass failed")
                delay = MAX_SLEEP_SECONDS
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(delay):
                    await changed.wait()


class Reaper:
    """Ends sessions whose deadline passed without every location's FINAL result."""

    def __init__(self, runtime: Runtime, interval: float = 1.0) -> None:
        self.runtime = runtime
        self.interval = interval

    async def run_once(self, now: datetime | None = None) -> list[str]:
        async with self.runtime.db.write() as conn:
            ended = await sessions_repo.time_out_overdue(conn, now or utcnow())
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
            await asyncio.sleep(self.interval)
