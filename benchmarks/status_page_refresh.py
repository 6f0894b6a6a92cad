"""What one refresh of a cached public status page costs in CPU (issue 15), in this process.

The page of `status_page.py` (50 services, 90 days x 3 locations, 20 incidents), seeded through a
real server, then refreshed R times straight through `statuspages.public` on the SQLite file:
once with nothing new between refreshes ("still": the reads digest to the last render's, which is
served again), once with one more run in today's roll-up of one check before each ("churn": a
few services' newest day changes, so the page renders again). Process CPU (every thread: the
SQLite reads run in aiosqlite's) is the comparable figure on a shared machine; wall time is not.

    python -m benchmarks.status_page_refresh [--refreshes 12]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

from benchmarks.harness import server
from benchmarks.status_page import URL, seed
from vantage.db.engine import Database
from vantage.db.tables import checks, result_rollups
from vantage.statuspages import public
from vantage.statuspages import repository as repo
from vantage.timeutil import utcnow


def one_more_run(database_url: str, i: int) -> None:
    engine = sa.create_engine(database_url)
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    rr = result_rollups
    with engine.begin() as conn:
        ids = sorted(row.id for row in conn.execute(sa.select(checks.c.id)))
        conn.execute(
            rr.update()
            .where(rr.c.check_id == ids[i % len(ids)], rr.c.bucket_start == today)
            .values(finals=rr.c.finals + 1, passed=rr.c.passed + 1)
        )
    engine.dispose()


async def refreshes(database_url: str, count: int, churn: bool) -> list[float]:
    db = Database(database_url)
    base = f"/status/{URL}"
    held = None
    cpu = []
    try:
        for i in range(count):
            if churn:
                one_more_run(database_url, i)
            start = time.process_time()
            async with db.read() as conn:
                page = await repo.public_page(conn, url=URL)
                loaded = await public.load(conn, page, utcnow())
            source = public.fingerprint(loaded, "html", base)
            if held != source:
                public._finish(loaded, "html", base, base, source)
                held = source
            cpu.append((time.process_time() - start) * 1000)
    finally:
        await db.dispose()
    return cpu[2:]  # the first ones fill the caches


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--refreshes", type=int, default=12)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = {"VANTAGE_SCHEDULER": "false", "VANTAGE_LOCAL_AGENT": "false"}
        with server(Path(tmp), cpu=None, env=env) as app:
            seed(app)
            database_url = app.database_url
        for churn in (False, True):
            cpu = asyncio.run(refreshes(database_url, args.refreshes, churn))
            print(
                f"{'churn' if churn else 'still'}: refresh CPU median {statistics.median(cpu):.1f}"
                f" ms (min {min(cpu):.1f}, max {max(cpu):.1f}) over {len(cpu)} refreshes"
            )


if __name__ == "__main__":
    main()
