"""The loop that fails heartbeat checks at their deadline. It sleeps until the soonest deadline
(at most `IDLE_SECONDS`, so a deadline set meanwhile is never later than that), then fails what
is overdue. Deadlines live in the database, so a restart loses none, and the failing is a
compare-and-set, so every replica may run this loop."""

from __future__ import annotations

import asyncio
from datetime import datetime

import structlog

from vantage.heartbeats import service
from vantage.runtime import Runtime
from vantage.timeutil import utcnow

log = structlog.get_logger(__name__)
IDLE_SECONDS = 1.0


class HeartbeatWatcher:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    async def run_once(self, now: datetime | None = None) -> list[str]:
        now = now or utcnow()
        async with self.runtime.db.write() as conn:
            failed = await service.fail_overdue(conn, now)
        for check_id in failed:
            log.info("heartbeat missed", check_id=check_id)
        if failed:
            self.runtime.signals.alerts_queued.set()  # their alerts, if any, go out now
        return failed

    async def _sleep_until_due(self) -> None:
        async with self.runtime.db.read() as conn:
            due = await service.next_deadline(conn)
        wait = IDLE_SECONDS if due is None else (due - utcnow()).total_seconds()
        await asyncio.sleep(min(max(wait, 0.0), IDLE_SECONDS))

    async def run_forever(self) -> None:
        while True:
            try:
                await self._sleep_until_due()
                await self.run_once()
            except Exception:
                log.exception("heartbeat pass failed")
                await asyncio.sleep(IDLE_SECONDS)
