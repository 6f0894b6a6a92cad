"""How long leasing takes with a deep queue: `queue/service.py: claim` with 1,000 and 100,000 jobs
waiting, on SQLite and PostgreSQL.

For each database and depth, a fresh database (a SQLite file, or a scratch database on the server
of `--postgres`, dropped after) is migrated and given one location and `depth` jobs of it, each
with its open session, in two shapes:

- `queued`: every job QUEUED and due (a backlog: agents fell behind, or a burst of triggers);
- `leased`: every job LEASED to a live agent, lease not expired (many runs in flight: the claim
  must judge each lease, which the take-over of dead agents' leases made harder).

Both also hold the `--claims` x `--claim` QUEUED jobs the claims take, so that every claim finds a
full batch.

It then times `--claims` claims of `--claim` jobs each, one write transaction per claim as an
agent's lease call makes it, and prints the median and p95 wall time and the CPU time of this
process (SQLite runs in it) or of the PostgreSQL backend, per claim.

    python -m benchmarks.lease_depth [--depths 1K,100K] [--claims 50] [--claim 50]
                                     [--postgres postgresql://postgres@127.0.0.1:5432/postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from benchmarks.harness import percentile
from benchmarks.retention import admin, backends, cpu_seconds, size
from vantage.db.engine import Database
from vantage.db.migrate import upgrade
from vantage.db.tables import accounts, check_sessions, jobs, locations
from vantage.locations.ref import LocationRef
from vantage.queue.service import claim
from vantage.timeutil import utcnow

LOCATION = LocationRef(id="loc-bench", slug="bench", account_id=None)
CONFIG = {"checkType": "API", "name": "bench", "request": {"method": "GET", "url": "http://x/"}}


def rows(count: int, state: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    now = utcnow()
    sessions: list[dict[str, Any]] = []
    queued: list[dict[str, Any]] = []
    for i in range(count):
        session_id = str(uuid.uuid4())
        sessions.append(
            dict(
                id=session_id, account_id="account", check_id=f"check-{i % 1000}",
                check_type="API", name="bench", status="STARTED", run_source="SCHEDULER",
                run_locations=["bench"], started_at=now, stopped_at=None,
                deadline_at=now + timedelta(hours=1),
            )
        )  # fmt: skip
        leased = state == "LEASED"
        queued.append(
            dict(
                id=str(uuid.uuid4()), session_id=session_id, account_id="account",
                check_id=f"check-{i % 1000}", location="bench", location_id=LOCATION.id,
                attempt=1, sequence_id=str(uuid.uuid4()), state=state,
                run_at=now - timedelta(seconds=count - i),
                lease_owner="live-agent/1" if leased else None,
                lease_expires_at=now + timedelta(hours=1) if leased else None,
                leases=1 if leased else 0, config=CONFIG, created_at=now,
            )
        )  # fmt: skip
    return sessions, queued


async def prepare(db: Database, depth: int, shape: str, claims: int, claim_size: int) -> None:
    await upgrade(db)
    now = utcnow()
    async with db.write() as conn:
        await conn.execute(accounts.insert().values(id="account", name="A", created_at=now))
        await conn.execute(
            locations.insert().values(slug="bench", name="Bench", id=LOCATION.id, created_at=now)
        )
    taken = claims * claim_size
    parts = [(depth + taken, "QUEUED")]
    if shape == "leased":
        parts = [(depth, "LEASED"), (taken, "QUEUED")]
    for count, state in parts:
        sessions, queued = rows(count, state)
        for start in range(0, count, 10_000):
            async with db.write() as conn:
                await conn.execute(check_sessions.insert(), sessions[start : start + 10_000])
                await conn.execute(jobs.insert(), queued[start : start + 10_000])
    async with db.write() as conn:
        await conn.execute(sa.text("ANALYZE"))


async def measure(db: Database, claims: int, claim_size: int, shape: str) -> tuple[Any, ...]:
    took: list[float] = []
    pids = [os.getpid()] if db.is_sqlite else await backends(db)
    cpu = cpu_seconds(pids)
    got = 0
    for n in range(claims):
        began = time.perf_counter()
        async with db.write() as conn:
            leased = await claim(
                conn,
                location=LOCATION,
                owner=f"bench/{n}",
                limit=claim_size,
                now=utcnow(),
                lease_seconds=60,
                dead_before=utcnow() - timedelta(seconds=30),
            )
        took.append(time.perf_counter() - began)
        got += len(leased)
    cpu_ms = (cpu_seconds(pids) - cpu) * 1000 / claims
    return statistics.median(took) * 1000, percentile(took, 95) * 1000, cpu_ms, got / claims


async def one(url: str, depth: int, shape: str, args: argparse.Namespace) -> tuple[Any, ...]:
    db = Database(url, pool_size=1)
    try:
        await prepare(db, depth, shape, args.claims, args.claim)
        return await measure(db, args.claims, args.claim, shape)
    finally:
        await db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--depths", default="1K,100K")
    parser.add_argument("--claims", type=int, default=50)
    parser.add_argument("--claim", type=int, default=50)
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--dialects", default="sqlite,postgresql")
    args = parser.parse_args()
    print(
        "database    shape   depth  claim p50 ms  claim p95 ms  CPU ms/claim  jobs/claim  load"
        "\n(CPU: this process on SQLite, which runs in it; the PostgreSQL backend on PostgreSQL)"
    )
    for dialect in args.dialects.split(","):
        for shape in ("queued", "leased"):
            for depth in map(size, args.depths.split(",")):
                with tempfile.TemporaryDirectory() as tmp:
                    name = f"vantage_bench_lease_{uuid.uuid4().hex[:8]}"
                    if dialect == "sqlite":
                        url = f"sqlite:///{Path(tmp) / 'lease.db'}"
                    else:
                        asyncio.run(admin(args.postgres, f'CREATE DATABASE "{name}"'))
                        url = (
                            make_url(args.postgres)
                            .set(database=name)
                            .render_as_string(hide_password=False)
                        )
                    try:
                        p50, p95, cpu, got = asyncio.run(one(url, depth, shape, args))
                    finally:
                        if dialect != "sqlite":
                            drop = f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
                            asyncio.run(admin(args.postgres, drop))
                print(
                    f"{dialect:<10}  {shape:<6}  {depth:>7,}  {p50:>12.1f}  {p95:>12.1f}  "
                    f"{cpu:>12.1f}  {got:>10.0f}  {os.getloadavg()[0]:>4.1f}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
