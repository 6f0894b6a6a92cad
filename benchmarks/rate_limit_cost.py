"""What a rate-limit counter costs per request: the shared PostgreSQL row against the in-process
dict that SQLite's server uses.

Runs `vantage.limits.counters` directly (no HTTP): N sequential hits on distinct keys, N on one hot
key, and N hits from C concurrent tasks on one hot key (the row lock serialises them), against the
PostgreSQL of VANTAGE_BENCH_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/test), in a
database of its own that it drops afterwards. Prints p50 / p99 in microseconds and hits per second.

    python -m benchmarks.rate_limit_cost [--hits 5000] [--concurrency 16]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
import uuid

import asyncpg
from sqlalchemy.engine import make_url

from benchmarks.harness import percentile
from vantage.db.engine import Database
from vantage.db.migrate import upgrade
from vantage.limits.counters import Counters, LocalCounters, SharedCounters

ROUTE = "GET /v1/checks"


async def _timed(
    counters: Counters, keys: list[str], concurrency: int
) -> tuple[list[float], float]:
    latencies: list[float] = []
    queue = list(keys)

    async def worker() -> None:
        while queue:
            key = queue.pop()
            start = time.perf_counter()
            await counters.hit(key, ROUTE, time.time(), 60.0)
            latencies.append((time.perf_counter() - start) * 1e6)

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies, len(keys) / (time.perf_counter() - start)


def _line(name: str, latencies: list[float], rate: float) -> str:
    p50, p99 = percentile(latencies, 50), percentile(latencies, 99)
    return f"{name:<48} p50 {p50:8.1f} µs   p99 {p99:8.1f} µs   {rate:9.0f} hits/s"


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--hits", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    base = make_url(
        os.environ.get("VANTAGE_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
    )
    name = f"vantage_bench_limits_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(base.render_as_string(hide_password=False))
    await admin.execute(f'CREATE DATABASE "{name}"')
    db = Database(base.set(database=name).render_as_string(hide_password=False))
    try:
        await upgrade(db)
        n = args.hits
        distinct = [uuid.uuid4().hex for _ in range(n)]
        for label, counters in (
            ("memory (SQLite's server)", LocalCounters()),
            ("PostgreSQL row", SharedCounters(db)),
        ):
            await _timed(counters, distinct[:200], 1)  # warm-up: connections, plans
            print(
                _line(f"{label}: distinct keys, 1 at a time", *await _timed(counters, distinct, 1))
            )
            print(_line(f"{label}: one key, 1 at a time", *await _timed(counters, ["hot"] * n, 1)))
            print(
                _line(
                    f"{label}: one key, {args.concurrency} at a time",
                    *await _timed(counters, ["hot2"] * n, args.concurrency),
                )
            )
    finally:
        await db.dispose()
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


if __name__ == "__main__":
    asyncio.run(main())
