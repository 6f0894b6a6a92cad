"""The retention loop: every few minutes, prune raw results, their assets and ended sessions past
their age, each size of roll-up past its own, and all but the newest deployments of each project
and code bundles of each account.

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
import functools
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog
from sqlalchemy.ext.asyncio import AsyncConnection

from vantage.assets.repository import prune as prune_assets
from vantage.bundles.service import prune as prune_bundles
from vantage.projects.repository import prune_deployments
from vantage.retention import partitioning, repository
from vantage.rollups.digest import BUCKET_SECONDS
from vantage.runtime import Runtime
from vantage.timeutil import utcnow

log = structlog.get_logger(__name__)

# Any constant, distinct from the migration lock's: the replicas' pruners take turns on it.
RETENTION_LOCK = 0x76616E75

# Deletes up to a batch (the int) and says how many went.
Prune = Callable[[AsyncConnection, int], Awaitable[int]]


@dataclass(frozen=True, slots=True)
class Pass:
    """What one pass removed."""

    cutoff: datetime
    partitions_dropped: int
    results: int
    assets: int
    sessions: int
    rollups: int
    deployments: int
    bundles: int
    pages_freed: int
    seconds: float


def _prune_rollups(
    seconds: int, cutoff: datetime, conn: AsyncConnection, limit: int
) -> Awaitable[int]:
    return repository.prune_rollups(conn, seconds, cutoff, limit)


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
            results = await self._drain(lambda c, n: repository.prune_results(c, cutoff, n))
            assets = await self._drain(lambda c, n: prune_assets(c, cutoff, n))
            sessions = await self._drain(lambda c, n: repository.prune_sessions(c, cutoff, n))
            rollups = await self._prune_rollups(now)
            deployments_kept = settings.project_deployments_kept
            deployments = await self._drain(lambda c, n: prune_deployments(c, deployments_kept, n))
            bundles_kept = settings.code_bundles_kept
            bundles = await self._drain(lambda c, n: prune_bundles(c, bundles_kept, n))
            deleted = results or assets or sessions or rollups or deployments or bundles
            pages = await db.reclaim_space() if deleted else 0
        seconds = time.perf_counter() - began
        done = Pass(
            cutoff,
            len(upkeep.dropped),
            results,
            assets,
            sessions,
            rollups,
            deployments,
            bundles,
            pages,
            seconds,
        )
        log.info(
            "retention pass",
            cutoff=cutoff.isoformat(),
            partitions_dropped=done.partitions_dropped,
            results_deleted=results,
            assets_deleted=assets,
            sessions_deleted=sessions,
            rollups_deleted=rollups,
            deployments_deleted=deployments,
            bundles_deleted=bundles,
            pages_freed=pages,
            seconds=round(done.seconds, 3),
        )
        return done

    async def _prune_rollups(self, now: datetime) -> int:
        """Each bucket size's roll-ups past their own age (vantage.rollups.keeping)."""
        keeping = self.runtime.settings.rollup_keeping()
        total = 0
        for seconds in BUCKET_SECONDS:
            cutoff = keeping.cutoff(seconds, now)
            if cutoff is not None:
                total += await self._drain(functools.partial(_prune_rollups, seconds, cutoff))
        return total

    async def _drain(self, prune: Prune) -> int:
        settings = self.runtime.settings
        batch = settings.retention_batch
        total = 0
        while True:
            # On SQLite every transaction first queues behind the intake's for the one writer: a
            # busy server (measured: 200 results/s on one core) made each 100-row batch wait about
            # a second, and pruning fell behind what arrived. So one wait buys batches for up to
            # `retention_transaction_seconds`, which bounds the intake's wait all the same.
            async with self.runtime.db.write() as conn:
                ends = time.perf_counter() + settings.retention_transaction_seconds
                while True:
                    deleted = await prune(conn, batch)
                    total += deleted
                    if deleted < batch:
                        return total
                    if time.perf_counter() >= ends:
                        break
            # Let the writers queued behind this transaction (result intake) go first.
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
