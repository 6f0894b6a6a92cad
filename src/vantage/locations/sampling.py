"""Private locations' queues over time: what `/v1/private-locations/{id}/metrics` serves.

Every `location_sample_seconds` the sampler writes one row per private location: how many runs
are due and not leased, and how long the oldest of them has waited. Samples older than Checkly's
metrics window (15 days) are deleted in the same pass, so the table stays bounded whether or not
result retention is on. On PostgreSQL one replica at a time samples (an advisory lock), and a pass
is skipped when another replica sampled less than half an interval ago, so replicas together
still take about one sample per interval.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
import structlog
from sqlalchemy.ext.asyncio import AsyncConnection

from vantage.db.tables import location_queue_samples, locations
from vantage.locations.ref import LocationRef
from vantage.locations.service import queues
from vantage.runtime import Runtime
from vantage.timeutil import utcnow

log = structlog.get_logger(__name__)

# Checkly's metrics window reaches back at most this far; older samples are deleted.
WINDOW_DAYS = 15
# Any constant, distinct from the other advisory locks: the replicas' samplers take turns on it.
SAMPLING_LOCK = 0x76616E73
samples = location_queue_samples


@dataclass(frozen=True, slots=True)
class Sample:
    at: datetime
    queue_size: int
    oldest_wait_ms: int


async def sample_once(conn: AsyncConnection, now: datetime) -> int:
    """Sample every private location's queue at `now` and drop what left the window; the number
    of samples written."""
    rows = await conn.execute(
        sa.select(locations.c.id, locations.c.slug, locations.c.account_id).where(
            locations.c.account_id.is_not(None)
        )
    )
    found = [LocationRef(row.id, row.slug, row.account_id) for row in rows]
    await conn.execute(samples.delete().where(samples.c.sampled_at < now - window()))
    if not found:
        return 0
    depth = await queues(conn, found, now)
    await conn.execute(
        samples.insert(),
        [
            {
                "location_id": ref.id,
                "sampled_at": now,
                "queue_size": depth[ref.slug]["waiting"],
                "oldest_wait_ms": round(depth[ref.slug]["lagSeconds"] * 1000),
            }
            for ref in found
        ],
    )
    return len(found)


async def series(
    conn: AsyncConnection, location_id: str, since: datetime, until: datetime
) -> list[Sample]:
    """The location's samples from `since` to `until`, oldest first."""
    rows = await conn.execute(
        sa.select(samples.c.sampled_at, samples.c.queue_size, samples.c.oldest_wait_ms)
        .where(
            samples.c.location_id == location_id,
            samples.c.sampled_at >= since,
            samples.c.sampled_at <= until,
        )
        .order_by(samples.c.sampled_at)
    )
    return [Sample(row.sampled_at, row.queue_size, row.oldest_wait_ms) for row in rows]


def window() -> timedelta:
    return timedelta(days=WINDOW_DAYS)


class Sampler:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    async def run_once(self, now: datetime | None = None) -> int | None:
        """One pass; None when another replica sampled (or is sampling) right now."""
        now = now or utcnow()
        db = self.runtime.db
        recent = now - timedelta(seconds=self.runtime.settings.location_sample_seconds / 2)
        async with db.exclusive(SAMPLING_LOCK) as ours:
            if not ours:
                return None
            async with db.write() as conn:
                latest = await conn.scalar(sa.select(sa.func.max(samples.c.sampled_at)))
                if latest is not None and latest > recent:
                    return None
                return await sample_once(conn, now)

    async def run_forever(self) -> None:
        interval = self.runtime.settings.location_sample_seconds
        while True:
            try:
                await self.run_once()
            except Exception:
                log.exception("location queue sampling failed")
            await asyncio.sleep(interval)
