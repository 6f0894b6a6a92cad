"""The loop that fails heartbeat checks at their deadline. It sleeps until the soonest deadline,
woken sooner when a ping, a new or an edited check sets an earlier one (on any replica, through
`Signals.heartbeat_deadline`), and at most `heartbeat_poll_seconds`, so a lost wake-up delays a
miss by that much at worst; then fails what is overdue. Deadlines live in the database, so a
restart loses none, and the failing is a compare-and-set, so every replica may run this loop."""

from __future__ import annotations

from datetime import datetime

import structlog

from vantage.heartbeats import service
from vantage.runtime import Runtime
from vantage.timeutil import utcnow

log = structlog.get_logger(__name__)
# After a failed pass, try again this soon (not at the long fallback poll).
RETRY_SECONDS = 1.0


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
            self.runtime.signals.alerts_raised()  # their alerts, if any, go out now
        return failed

    async def next_deadline(self, after: datetime | None = None) -> datetime | None:
        async with self.runtime.db.read() as conn:
            return await service.next_deadline(conn, after)

    async def run_forever(self) -> None:
        alarm = self.runtime.signals.heartbeat_deadlines
        longest = self.runtime.settings.heartbeat_poll_seconds
        while True:
            # Armed before the read: a deadline set from here on wakes the sleep below.
            alarm.arm()
            wait = longest
            try:
                due = await self.next_deadline()
                now = utcnow()
                # The pass takes the write lock: only when a deadline came, not at every wake-up.
                if due is not None and due <= now:
                    await self.run_once(now)
                    # What the pass could not fail waits for the next wake-up, not a spin.
                    due = await self.next_deadline(after=now)
            except Exception:
                log.exception("heartbeat pass failed")
                due, wait = None, min(longest, RETRY_SECONDS)
            await alarm.sleep(due, wait, utcnow())
