"""The retention loop: every few minutes, prune raw results, their assets and ended sessions past
their age.

A pass deletes in small batches, one short write transaction each, so on SQLite result intake
waits at most one batch for the single writer; then it gives the freed pages back to the file
system (incremental vacuum), so the file stays bounded under a steady load. On PostgreSQL one
replica at a time runs a pass (an advisory lock); the others skip it. There `check_results` is
partitioned by day: a pass first creates the next days' partitions (even with retention off: a
day without one would fill the default partition), then drops the days wholly past the cutoff,
and deletes in batches only what is left of the day the cutoff falls in. Status rows stay: they
are kept up to date by every FINAL result, not computed from raw results.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog
from sqlalchemy.ext.asyncio import AsyncConnection

from vantage.assets.repository import prune as prune_assets
from vantage.retention import partitioning, repository
from vantage.runtime import Runtime
from vantage.timeutil import utcnow

log = structlog.get_logger(__name__)

# Any constant, distinct from the migration lock's: the replicas' pruners take turns on it.
RETENTION_LOCK = 0x76616E75

Prune = Callable[[AsyncConnection, datetime, int], Awaitable[int]]


@dataclass(frozen=True, slots=True)
class Pass:
    """What one pass removed."""

    cutoff: datetime
    partitions_dropped: int
    results: int
    assets: int
    sessions: int
    pages_freed: int
    seconds: float


class Pruner:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    async def run_once(self, now: datetime | None = None) -> Pass | None:
        """Keep the partitions and prune what is older than the retention age; None when
        retention is off or another replica is pruning right now."""
        settings = self.runtime.settings
        now = now or utcnow()
        retained = settings.retention_days > 0
        cutoff = now - timedelta(days=settings.retention_days)
        db = self.runtime.db
        async with db.exclusive(RETENTION_LOCK) as ours:
            if not ours:
                log.debug("retention pass skipped: another replica is pruning")
                return None
            began = time.perf_counter()
            upkeep = await partitioning.keep(db, now.date(), cutoff if retained else None)
            if not retained:
                return None
            results = await self._drain(repository.prune_results, cutoff)
            assets = await self._drain(prune_assets, cutoff)
            sessions = await self._drain(repository.prune_sessions, cutoff)
            pages = await db.reclaim_space() if results or assets or sessions else 0
        seconds = time.perf_counter() - began
        done = Pass(cutoff, len(upkeep.dropped), results, assets, sessions, pages, seconds)
        log.info(
            "retention pass",
            cutoff=cutoff.isoformat(),
            partitions_dropped=done.partitions_dropped,
            results_deleted=results,
            assets_deleted=assets,
            sessions_deleted=sessions,
            pages_freed=pages,
            seconds=round(done.seconds, 3),
        )
        return done

    async def _drain(self, prune: Prune, cutoff: datetime) -> int:
        batch = self.runtime.settings.retention_batch
        total = 0
        while True:
            async with self.runtime.db.write() as conn:
                deleted = await prune(conn, cutoff, batch)
            total += deleted
            if deleted < batch:
                return total
            # Let the writers queued behind this batch (result intake) go first.
            await asyncio.sleep(0)

    async def run_forever(self) -> None:
        interval = self.runtime.settings.retention_interval_seconds
        if self.runtime.settings.retention_days > 0:
            await self._warn_if_the_file_cannot_shrink()
        while True:
            try:
                await self.run_once()
            except Exception:
                log.exception("retention pass failed")
            await asyncio.sleep(interval)

    async def _warn_if_the_file_cannot_shrink(self) -> None:
        try:
            shrinks = await self.runtime.db.shrinks_after_deletes()
        except Exception:
            log.exception("could not read the database's auto_vacuum mode")
            return
        if not shrinks:
            log.warning(
                "pruned results leave free pages in the SQLite file, which will not shrink: "
                "it was created before incremental auto-vacuum; stop the server and run "
                "sqlite3 FILE 'PRAGMA auto_vacuum=INCREMENTAL; VACUUM;' once (docs/retention.md)"
            )
