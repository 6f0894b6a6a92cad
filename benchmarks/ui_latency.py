"""Server time of the web UI's pages over a large, seeded history (issue 14).

Seeds N checks x 3 locations, daily roll-ups for a year and hourly ones for the last D days, and R
raw results, straight into a SQLite file with executemany (not the server's write path). Then it
logs in and times the pages in-process through the ASGI app (no network): the dashboard, a check
overview at 30 days, a result page and a results list page, and prints p50/p95 and the HTML size.
Goal: p95 <= 50 ms each, HTML <= 200 KB.

    python -m benchmarks.ui_latency [--checks 1000] [--results 200000] [--hourly-days 7]

The issue's full size is --checks 10000 --results 10000000 --hourly-days 30 (hours of seeding and
tens of GB); the default is small enough for a laptop.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx2

from vantage.app import create_app
from vantage.config import Settings
from vantage.db.engine import Database
from vantage.db.migrate import upgrade
from vantage.db.tables import (
    accounts,
    check_results,
    check_sessions,
    check_statuses,
    checks,
    result_rollups,
)
from vantage.rollups.digest import BINS, bin_of
from vantage.timeutil import utcnow
from vantage.users.service import create_user

LOCATIONS = ("local", "eu-west-1", "us-east-1")
PASSWORD = "benchmark password"  # noqa: S105 - a throwaway user in a temporary database
BASE = "http://vantage.bench"


def _rollup(
    check_id: str, account: str, location: str, seconds: int, start: datetime
) -> dict[str, Any]:
    finals = seconds // 60
    failed = finals // 50 if random.random() < 0.2 else 0
    row: dict[str, Any] = {
        "check_id": check_id,
        "location": location,
        "bucket_seconds": seconds,
        "bucket_start": start,
        "account_id": account,
        "finals": finals,
        "passed": finals - failed,
        "degraded": 0,
        "failed": failed,
        "attempts": failed,
        "rt_sum": finals * 120.0,
        **dict.fromkeys(BINS, 0),
    }
    row[BINS[bin_of(80)]] = finals // 2
    row[BINS[bin_of(150)]] = finals - finals // 2
    return row


async def seed(db: Database, n_checks: int, n_results: int, hourly_days: int) -> dict[str, str]:
    now = utcnow()
    account = str(uuid.uuid4())
    check_ids = [str(uuid.uuid4()) for _ in range(n_checks)]
    async with db.write() as conn:
        await conn.execute(accounts.insert(), [{"id": account, "name": "bench", "created_at": now}])
        await conn.execute(
            checks.insert(),
            [
                {
                    "id": cid,
                    "account_id": account,
                    "check_type": "API",
                    "name": f"check {i:05d}",
                    "activated": i % 50 != 0,
                    "tags": [],
                    "group_id": None,
                    "config": {"locations": list(LOCATIONS), "request": {"method": "GET"}},
                    "interval_seconds": 60,
                    "next_run_at": None,
                    "created_at": now,
                    "updated_at": None,
                }
                for i, cid in enumerate(check_ids)
            ],
        )
        await conn.execute(
            check_statuses.insert(),
            [
                {
                    "check_id": cid,
                    "account_id": account,
                    "has_failures": i % 37 == 0,
                    "has_errors": False,
                    "is_degraded": i % 53 == 0,
                    "longest_run": 100.0,
                    "shortest_run": 100.0,
                    "last_run_location": "local",
                    "last_check_run_id": 1,
                    "last_result_at": now,
                    "created_at": now,
                    "updated_at": now,
                }
                for i, cid in enumerate(check_ids)
            ],
        )
    day0 = datetime(now.year, now.month, now.day, tzinfo=UTC)
    hour0 = day0 + timedelta(hours=now.hour)
    batch: list[dict[str, Any]] = []

    async def flush(force: bool = False) -> None:
        if batch and (force or len(batch) >= 50_000):
            async with db.write() as conn:
                await conn.execute(result_rollups.insert(), batch)
            batch.clear()

    for cid in check_ids:
        for loc in LOCATIONS:
            for d in range(365):
                batch.append(_rollup(cid, account, loc, 86400, day0 - timedelta(days=d)))
            for h in range(hourly_days * 24):
                batch.append(_rollup(cid, account, loc, 3600, hour0 - timedelta(hours=h)))
        await flush()
    await flush(force=True)

    # Raw results: the first check gets a deep history of its own, the rest spread evenly.
    session_id = str(uuid.uuid4())
    async with db.write() as conn:
        await conn.execute(
            check_sessions.insert(),
            [
                {
                    "id": session_id,
                    "account_id": account,
                    "check_id": check_ids[0],
                    "check_type": "API",
                    "name": "check 00000",
                    "status": "PASSED",
                    "run_source": "SCHEDULER",
                    "run_locations": list(LOCATIONS),
                    "finals": 3,
                    "failed": 0,
                    "degraded": 0,
                    "started_at": now,
                    "stopped_at": now,
                    "deadline_at": now,
                }
            ],
        )
    rows: list[dict[str, Any]] = []
    result_id = ""
    for i in range(n_results):
        cid = check_ids[0] if i % 10 == 0 else random.choice(check_ids)
        at = now - timedelta(seconds=i * 3)
        rid = str(uuid.uuid4())
        if i == 0:
            result_id = rid
        rows.append(
            {
                "id": rid,
                "account_id": account,
                "check_id": cid,
                "session_id": session_id if i < 3 else None,
                "job_id": None,
                "name": "check",
                "check_type": "API",
                "run_location": LOCATIONS[i % 3],
                "result_type": "FINAL",
                "sequence_id": None,
                "attempts": 1,
                "has_failures": i % 97 == 0,
                "has_errors": False,
                "is_degraded": False,
                "over_max_response_time": False,
                "response_time": 120.0,
                "check_run_id": i,
                "started_at": at,
                "stopped_at": at,
                "created_at": at,
                "detail_key": "apiCheckResult",
                "detail": {"request": {"method": "GET", "url": "http://x"}, "assertions": []},
            }
        )
        if len(rows) >= 50_000:
            async with db.write() as conn:
                await conn.execute(check_results.insert(), rows)
            rows.clear()
    if rows:
        async with db.write() as conn:
            await conn.execute(check_results.insert(), rows)
    async with db.write() as conn:
        await create_user(conn, "bench@example.com", account, "read-only", PASSWORD, now)
    a = f"/accounts/{account}"
    c = f"{a}/checks/{check_ids[0]}"
    return {
        "dashboard": a,
        "overview 30d": f"{c}?range=30d",
        "result": f"{c}/check-sessions/{session_id}/results/{result_id}",
        "results list": f"{c}/results",
    }


async def measure(url: str, pages: dict[str, str], rounds: int) -> None:
    app = create_app(
        Settings(database_url=url, public_url=BASE, scheduler=False, local_agent=False),
        background=False,
    )
    async with app.router.lifespan_context(app):
        transport = httpx2.ASGITransport(app=app)
        async with httpx2.AsyncClient(transport=transport, base_url=BASE) as client:
            login = await client.get("/login")
            token = login.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
            done = await client.post(
                "/login",
                data={"email": "bench@example.com", "password": PASSWORD, "csrf": token},
                headers={"Origin": BASE},
            )
            assert done.status_code == 303, done.text
            print(f"{'page':<14} {'p50 ms':>8} {'p95 ms':>8} {'HTML KB':>8}")
            for name, path in pages.items():
                times = []
                size = 0
                for _ in range(rounds):
                    start = time.perf_counter()
                    answer = await client.get(path)
                    times.append((time.perf_counter() - start) * 1000)
                    assert answer.status_code == 200, (path, answer.status_code)
                    size = len(answer.content)
                times.sort()
                p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
                print(f"{name:<14} {statistics.median(times):8.1f} {p95:8.1f} {size / 1024:8.1f}")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--checks", type=int, default=1000)
    parser.add_argument("--results", type=int, default=200_000)
    parser.add_argument("--hourly-days", type=int, default=7)
    parser.add_argument("--rounds", type=int, default=50)
    args = parser.parse_args()
    random.seed(14)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'ui.db'}"
        db = Database(url)
        await upgrade(db)
        start = time.perf_counter()
        pages = await seed(db, args.checks, args.results, args.hourly_days)
        await db.dispose()
        rollups = args.checks * 3 * (365 + 24 * args.hourly_days)
        print(
            f"seeded {args.checks} checks x 3 locations, {rollups:,} roll-ups, "
            f"{args.results:,} results in {time.perf_counter() - start:.0f} s (SQLite)"
        )
        await measure(url, pages, args.rounds)


if __name__ == "__main__":
    asyncio.run(main())
