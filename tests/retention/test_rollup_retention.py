"""Roll-ups are pruned too, each bucket size past its own age: minutes after two days, hours after
35, days after 400 by default, so the table stops growing; with retention off nothing goes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from tests.retention.test_pruning import prepare, runtime_for
from vantage.db.engine import Database
from vantage.db.tables import result_rollups
from vantage.retention.pruner import Pruner
from vantage.rollups.digest import bucket_start
from vantage.runtime import Runtime
from vantage.timeutil import utcnow

MINUTE, HOUR, DAY = 60, 3600, 86400
NOW = utcnow()


def rollup(seconds: int, start: datetime, location: str = "nowhere") -> dict[str, Any]:
    return {
        "check_id": "check",
        "location": location,
        "bucket_seconds": seconds,
        "bucket_start": bucket_start(start, seconds),
        "account_id": "account",
        "finals": 1,
        "passed": 1,
        "degraded": 0,
        "failed": 0,
        "attempts": 1,
        "rt_sum": 12.0,
    }


async def store_rollups(db: Database, now: datetime) -> None:
    """Of each size, one row just inside its default age and one just past it, in two
    locations."""
    rows = []
    for location in ("nowhere", "elsewhere"):
        for seconds, kept in ((MINUTE, 2), (HOUR, 35), (DAY, 400)):
            inside = now - timedelta(days=kept) + timedelta(seconds=2 * seconds)
            past = now - timedelta(days=kept) - timedelta(seconds=2 * seconds)
            rows += [rollup(seconds, inside, location), rollup(seconds, past, location)]
    async with db.write() as conn:
        await conn.execute(result_rollups.insert(), rows)


async def left(db: Database) -> dict[int, int]:
    async with db.read() as conn:
        rows = await conn.execute(
            sa.select(result_rollups.c.bucket_seconds, sa.func.count()).group_by(
                result_rollups.c.bucket_seconds
            )
        )
        return {int(seconds): int(count) for seconds, count in rows.all()}


@asynccontextmanager
async def rollups_of_every_age(database_url: str, **settings: Any) -> AsyncIterator[Runtime]:
    """A runtime with `settings` over a database holding `store_rollups`' rows."""
    runtime = runtime_for(database_url, **settings)
    try:
        await prepare(runtime.db)
        await store_rollups(runtime.db, NOW)
        yield runtime
    finally:
        await runtime.db.dispose()


async def test_each_rollup_size_is_pruned_past_its_own_age(database_url: str) -> None:
    async with rollups_of_every_age(database_url, retention_batch=1) as runtime:
        done = await Pruner(runtime).run_once(NOW)

        assert done is not None
        assert done.rollups == 6
        assert await left(runtime.db) == {MINUTE: 2, HOUR: 2, DAY: 2}
        again = await Pruner(runtime).run_once(NOW)
        assert again is not None and again.rollups == 0


async def test_the_ages_are_settings_and_zero_keeps_a_size_forever(database_url: str) -> None:
    ages = {
        "retention_minute_rollups_days": 0.01,
        "retention_hour_rollups_days": 0,
        "retention_day_rollups_days": 0,
    }
    async with rollups_of_every_age(database_url, **ages) as runtime:
        done = await Pruner(runtime).run_once(NOW)

        assert done is not None
        assert done.rollups == 4  # both minute rows of each location: older than 0.01 days
        assert await left(runtime.db) == {HOUR: 4, DAY: 4}


async def test_with_retention_off_no_rollup_goes(database_url: str) -> None:
    async with rollups_of_every_age(database_url, retention_days=0) as runtime:
        assert await Pruner(runtime).run_once(NOW) is None
        assert await left(runtime.db) == {MINUTE: 4, HOUR: 4, DAY: 4}
