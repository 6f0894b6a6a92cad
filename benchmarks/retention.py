"""Insert rate and list latency as PostgreSQL's `check_results` grows, 1M to 20M stored results.

Creates a scratch database on the PostgreSQL server of `--postgres` (dropped at the end unless
`--keep`), starts a real `vantage server` on it (no agent, no scheduler, no retention), creates
`--checks` API checks through the API, then grows the table to each of `--sizes` in turn. The
database generates the filling rows itself (INSERT ... SELECT from generate_series, a
transaction per 100k rows), of the real shape: a session row and a FINAL result with a ~750-byte
`apiCheckResult` each, checks chosen round-robin, `created_at` in time order over 30 days up to
the largest size. `check_results` is partitioned by day (migration 0016): before filling, the
script gives each of the 30 days its partition, as a server that has run for 30 days has them.
At each size it measures:

- insert rate: the server's own result insert (`results/repository.py: insert_many`, one
  executemany of `--batch` rows per transaction, as the intake writes a batch), for
  `--probe-seconds`, with the CPU time of the PostgreSQL backend that did it;
- list latency over HTTP, one request at a time, `--requests` each: v2 page 1 and v2 page 5 (through
  `nextId`) of a random check's results, v1's default 6-hour window, and one result by id, with
  the CPU time the server process and its PostgreSQL backends spent per request;
- the size of `check_results` (every partition) with its indexes.

At the end it runs retention as a pass does over the oldest `--prune` results: it drops the days
wholly before the cutoff (`retention/partitioning.py`), then deletes the rest of the cutoff's day
in batches (`retention/repository.py: prune_results`, 500 rows a transaction).

    python -m benchmarks.retention [--sizes 1M,2M,5M,10M,20M] [--checks 1000]
                                   [--postgres postgresql://postgres@127.0.0.1:5432/postgres]

The full run writes about 50 GB; `--sizes 1M,2M,5M` took 50 minutes at load average 25-35.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx2
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from benchmarks.harness import Server, percentile, server
from vantage.db import partitions
from vantage.db.engine import Database
from vantage.db.tables import check_results
from vantage.results.repository import insert_many
from vantage.retention.partitioning import keep, partition_names
from vantage.retention.repository import prune_results

SPAN = timedelta(days=30)
DETAIL = {
    "apiCheckResult": {
        "assertions": [
            {"source": "STATUS_CODE", "comparison": "EQUALS", "target": "200", "actual": 200}
        ],
        "request": {
            "method": "GET",
            "url": "https://api.example.com/v1/health?region=eu",
            "headers": {"User-Agent": "Vantage/0.1", "Accept": "application/json"},
            "data": "",
        },
        "response": {
            "status": 200,
            "statusText": "OK",
            "body": '{"status":"ok","version":"1.42.0","uptime":123456}',
            "headers": {
                "content-type": "application/json",
                "content-length": "52",
                "date": "Fri, 27 Nov 2026 07:00:00 GMT",
                "server": "nginx",
            },
            "timings": {"socket": 0.4, "lookup": 1.2, "connect": 3.1, "response": 41.0},
            "timingPhases": {"wait": 0.4, "dns": 0.8, "tcp": 1.9, "firstByte": 36.3, "total": 45.6},
        },
        "requestError": None,
        "jobLog": None,
    }
}
DETAIL_TEXT = json.dumps(DETAIL)
RESULT_COLUMNS = [c.name for c in check_results.columns]
SESSION_COLUMNS = [
    "id", "account_id", "check_id", "check_type", "name", "status", "run_source",
    "run_locations", "finals", "failed", "degraded", "started_at", "stopped_at", "deadline_at",
]  # fmt: skip


def size(text: str) -> int:
    text = text.strip().upper()
    scale = {"K": 1_000, "M": 1_000_000}.get(text[-1], 1)
    return int(float(text.rstrip("KM")) * scale)


class Rows:
    """Synthetic sessions and results in time order: row i of `total` is stored at
    base + i * SPAN / total."""

    def __init__(self, account_id: str, check_ids: list[str], total: int) -> None:
        self.account_id = account_id
        self.check_ids = check_ids
        self.base = datetime.now(UTC) - SPAN
        self.step = SPAN / total
        self.salt = uuid.uuid4().hex

    def at(self, i: int) -> datetime:
        return self.base + self.step * i

    def pair(self, i: int, at: datetime | None = None) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
        check_id = self.check_ids[i % len(self.check_ids)]
        session_id = str(uuid.uuid4())
        created = at or self.at(i)
        started = created - timedelta(milliseconds=60)
        failed = i % 20 == 0  # 5% fail, as read-scale.md's data
        session = (
            session_id, self.account_id, check_id, "API", "benchmark", "FAILED" if failed
            else "PASSED", "SCHEDULER", '["local"]', 1, int(failed), 0, started, created,
            started + timedelta(seconds=76),
        )  # fmt: skip
        result = dict(
            id=str(uuid.uuid4()), account_id=self.account_id, check_id=check_id,
            session_id=session_id, job_id=str(uuid.uuid4()), name="benchmark", check_type="API",
            run_location="local", result_type="FINAL", sequence_id=str(uuid.uuid4()), attempts=1,
            has_failures=failed, has_errors=False, is_degraded=False,
            over_max_response_time=False, response_time=45.6, check_run_id=i, started_at=started,
            stopped_at=created - timedelta(milliseconds=5), created_at=created, detail_key=None,
            detail=DETAIL_TEXT,
        )  # fmt: skip
        return session, tuple(result[name] for name in RESULT_COLUMNS)

    def result_dict(self, i: int, at: datetime | None = None) -> dict[str, Any]:
        _, values = self.pair(i, at)
        row = dict(zip(RESULT_COLUMNS, values, strict=True))
        row["detail"] = DETAIL
        return row


FILL_SESSIONS = """
INSERT INTO check_sessions (id, account_id, check_id, check_type, name, status, run_source,
    run_locations, finals, failed, degraded, started_at, stopped_at, deadline_at)
SELECT md5($1 || i)::uuid::text, $2, ($3::text[])[1 + i % cardinality($3::text[])], 'API',
    'benchmark', CASE WHEN i % 20 = 0 THEN 'FAILED' ELSE 'PASSED' END, 'SCHEDULER', '["local"]',
    1, (i % 20 = 0)::int, 0, t - interval '60 ms', t, t + interval '76 s'
FROM generate_series($6::bigint, $7::bigint - 1) AS i,
    LATERAL (SELECT $4::timestamptz + $5::interval * i AS t) AS at
"""
FILL_RESULTS = """
INSERT INTO {table} (id, account_id, check_id, session_id, job_id, name, check_type,
    run_location, result_type, sequence_id, attempts, has_failures, has_errors, is_degraded,
    over_max_response_time, response_time, check_run_id, started_at, stopped_at, created_at,
    detail_key, detail)
SELECT gen_random_uuid()::text, $2, ($3::text[])[1 + i % cardinality($3::text[])],
    md5($1 || i)::uuid::text, gen_random_uuid()::text, 'benchmark', 'API', 'local', 'FINAL',
    gen_random_uuid()::text, 1, i % 20 = 0, false, false, false, 45.6, i,
    t - interval '60 ms', t - interval '5 ms', t, NULL, $8::jsonb
FROM generate_series($6::bigint, $7::bigint - 1) AS i,
    LATERAL (SELECT $4::timestamptz + $5::interval * i AS t) AS at
WHERE t >= $9 AND t < $10
"""


async def partition_the_span(db: Database, rows: Rows) -> None:
    """Partitions as a server has them: today's and the next days' (the filled days get theirs
    as they are filled); the migration's partition of everything before tomorrow goes (it is
    empty in a new database)."""
    async with db.read() as conn:
        names = await partition_names(conn)
    async with db.write() as conn:
        for old in map(partitions.parse, names):
            if old is not None and old.lower is None:
                await conn.execute(sa.text(partitions.drop_statement(old)))
    await keep(db, datetime.now(UTC).date(), None)


def cpu_seconds(pids: list[int]) -> float:
    """utime + stime of these processes (all threads), from /proc; a process gone counts 0."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


async def backends(db: Database) -> list[int]:
    """The PostgreSQL server processes serving this database's connections (on this machine)."""
    async with db.read() as conn:
        rows = await conn.execute(
            sa.text("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
        )
        return [pid for (pid,) in rows]


async def fill(dsn: str, rows: Rows, start: int, stop: int) -> float:
    """Rows [start, stop), generated by the database itself (the same shape as `Rows.pair`), a
    transaction per 100k; return rows per second.

    A day's results go into its partition. A day not filled before gets a table of its own,
    filled without indexes and then attached, which builds them in one sorted pass (several times
    faster than inserting into 8 indexes row by row); the rest of a day filled before is inserted
    through the parent."""
    conn = await asyncpg.connect(dsn)
    began = time.perf_counter()
    try:
        for chunk in range(start, stop, 100_000):
            common = (rows.salt, rows.account_id, rows.check_ids, rows.base, rows.step)
            async with conn.transaction():
                await conn.execute(FILL_SESSIONS, *common, chunk, min(stop, chunk + 100_000))
        attached = {r["relname"] for r in await conn.fetch(PARTITIONS)}
        day = rows.at(start).date()
        while day <= rows.at(stop - 1).date():
            await fill_day(conn, rows, partitions.day_partition(day), start, stop, attached)
            day += timedelta(days=1)
    finally:
        await conn.close()
    return (stop - start) / (time.perf_counter() - began)


PARTITIONS = (
    "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
    "WHERE i.inhparent = 'check_results'::regclass"
)


async def fill_day(
    conn: asyncpg.Connection,
    rows: Rows,
    day: partitions.Partition,
    start: int,
    stop: int,
    attached: set[str],
) -> None:
    assert day.lower is not None
    # The row numbers whose time falls in the day, with a margin: the WHERE on t is exact.
    first = max(start, int((day.lower - rows.base) / rows.step) - 2)
    last = min(stop, int((day.upper - rows.base) / rows.step) + 2)
    new = day.name not in attached
    table = day.name if new else partitions.PARENT
    async with conn.transaction():
        if new:
            await conn.execute(f"CREATE TABLE {day.name} (LIKE check_results INCLUDING DEFAULTS)")
        for chunk in range(first, last, 100_000):
            await conn.execute(
                FILL_RESULTS.format(table=table),
                *(rows.salt, rows.account_id, rows.check_ids, rows.base, rows.step),
                chunk,
                min(last, chunk + 100_000),
                DETAIL_TEXT,
                day.lower,
                day.upper,
            )
        if new:
            await conn.execute(
                f"ALTER TABLE check_results ATTACH PARTITION {day.name} {partitions.bounds(day)}"
            )
            attached.add(day.name)


async def insert_rate(
    db: Database, rows: Rows, first: int, newest: datetime, seconds: float, batch: int
) -> Any:
    """The server's own insert, a batch per transaction, for `seconds`: rows/s, batch p50/p95 ms,
    the PostgreSQL CPU ms per 1,000 rows, and the next free row number. The rows are dated a
    microsecond apart just before `newest`, the newest filled row: they go into the partition
    the intake would be writing, holding a day's worth of results or less."""
    took: list[float] = []
    i = first
    pids = await backends(db)
    cpu = cpu_seconds(pids)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        batch_rows = [
            rows.result_dict(n, newest - timedelta(microseconds=n - first + 1))
            for n in range(i, i + batch)
        ]
        began = time.perf_counter()
        async with db.write() as conn:
            await insert_many(conn, batch_rows)
        took.append(time.perf_counter() - began)
        i += batch
    cpu_ms = (cpu_seconds(pids) - cpu) * 1000 / ((i - first) / 1000)
    rate = (i - first) / sum(took)
    return rate, percentile(took, 50) * 1000, percentile(took, 95) * 1000, cpu_ms, i


def latencies(vantage: Server, check_ids: list[str], requests: int) -> dict[str, list[float]]:
    rng = random.Random(11)
    out: dict[str, list[float]] = {"v2 page 1": [], "v2 page 5": [], "v1 6 h": [], "by id": []}

    def timed(http: httpx2.Client, name: str, path: str, **params: Any) -> Any:
        began = time.perf_counter()
        response = http.get(path, params=params)
        out[name].append((time.perf_counter() - began) * 1000)
        response.raise_for_status()
        return response

    with vantage.client() as http:
        for _ in range(10):  # warm-up
            http.get(f"/v2/check-results/{rng.choice(check_ids)}", params={"limit": 100})
        for _ in range(requests):
            check_id = rng.choice(check_ids)
            page = timed(http, "v2 page 1", f"/v2/check-results/{check_id}", limit=100).json()
            timed(http, "v1 6 h", f"/v1/check-results/{check_id}", limit=100)
            if page["entries"]:
                result_id = page["entries"][0]["id"]
                timed(http, "by id", f"/v1/check-results/{check_id}/{result_id}")
            cursor = page.get("nextId")
            for _ in range(3):  # to page 4's cursor, untimed
                if not cursor:
                    break
                more = http.get(
                    f"/v2/check-results/{check_id}", params={"limit": 100, "nextId": cursor}
                )
                cursor = more.json().get("nextId")
            if cursor:
                timed(http, "v2 page 5", f"/v2/check-results/{check_id}", limit=100, nextId=cursor)
    return out


async def table_mib(db: Database) -> float:
    async with db.read() as conn:
        value = await conn.scalar(
            sa.text(
                "SELECT sum(pg_total_relation_size(inhrelid)) FROM pg_inherits "
                "WHERE inhparent = 'check_results'::regclass"
            )
        )
    return int(value or 0) / 2**20


async def prune(db: Database, rows: Rows, count: int) -> str:
    """A retention pass's work over the oldest `count` rows: whole days dropped, then the rest of
    the cutoff's day deleted in batches."""
    cutoff = rows.at(count)
    async with db.read() as conn:
        before = await conn.scalar(sa.select(sa.func.count()).select_from(check_results))
    began = time.perf_counter()
    upkeep = await keep(db, datetime.now(UTC).date(), cutoff)
    dropped_in = time.perf_counter() - began
    async with db.read() as conn:
        after = await conn.scalar(sa.select(sa.func.count()).select_from(check_results))
    began = time.perf_counter()
    deleted = 0
    while True:
        async with db.write() as conn:
            n = await prune_results(conn, cutoff, 500)
        deleted += n
        if n < 500:
            break
    deleted_in = time.perf_counter() - began
    return (
        f"retention over the oldest {count:,}: {len(upkeep.dropped)} day partitions "
        f"({int(before or 0) - int(after or 0):,} results) dropped in {dropped_in:.2f} s; "
        f"the {deleted:,} left before the cutoff deleted in batches in {deleted_in:.2f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="1M,2M,5M,10M,20M")
    parser.add_argument("--checks", type=int, default=1000)
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--probe-seconds", type=float, default=20.0)
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--prune", default="1M", help="oldest results pruned at the end")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    args = parser.parse_args()
    sizes = [size(s) for s in args.sizes.split(",")]
    name = f"vantage_bench_retention_{uuid.uuid4().hex[:8]}"
    asyncio.run(admin(args.postgres, f'CREATE DATABASE "{name}"'))
    url = make_url(args.postgres).set(database=name).render_as_string(hide_password=False)
    print(f"scratch database {name}", flush=True)
    try:
        run(url, sizes, args)
    finally:
        if not args.keep:
            asyncio.run(admin(args.postgres, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        else:
            print(f"kept {url}")


async def admin(url: str, statement: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


def run(url: str, sizes: list[int], args: argparse.Namespace) -> None:
    os.environ.update(
        VANTAGE_LOCAL_AGENT="false", VANTAGE_SCHEDULER="false", VANTAGE_RETENTION_DAYS="0"
    )
    with tempfile.TemporaryDirectory() as tmp, server(Path(tmp), url, cpu=None) as vantage:
        asyncio.run(create_checks(vantage, args.checks))
        with vantage.client() as http:
            check_ids = [c["id"] for c in http.get("/v1/checks", params={"limit": 100}).json()]
            check_ids += [
                c["id"]
                for page in range(2, args.checks // 100 + 2)
                for c in http.get("/v1/checks", params={"limit": 100, "page": page}).json()
            ]
        # The span ends a day and a half before now (5% of 30 days): the filled days are past.
        rows = Rows(vantage.account_id, check_ids, int(max(sizes) * 1.05))
        print(
            f"{len(check_ids)} checks; result rows span {SPAN.days} days at the largest size; "
            f"insert batches of {args.batch}"
        )
        print(
            "results     fill rows/s  insert rows/s  batch p50 ms  batch p95 ms  "
            "pg CPU ms/1k  v2 p1 p50/p95  v2 p5 p50/p95  v1 p50/p95  by id p50/p95  "
            "CPU ms/req  table+indexes MiB  load"
        )
        print(
            "(pg CPU: the PostgreSQL backend's CPU per 1,000 inserted results; CPU ms/req: the "
            "server process and its PostgreSQL backends per list request, the figure to compare "
            "on a shared machine; by id is one primary-key lookup per partition, whatever the "
            "size; load is the 1-minute load average)"
        )
        asyncio.run(grow(url, vantage, rows, check_ids, sizes, args))


async def create_checks(vantage: Server, count: int) -> None:
    from benchmarks.harness import create_api_checks

    await create_api_checks(vantage.url, vantage.headers, "http://192.0.2.1", count)


async def grow(
    url: str,
    vantage: Server,
    rows: Rows,
    check_ids: list[str],
    sizes: list[int],
    args: argparse.Namespace,
) -> None:
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    db = Database(url, pool_size=2)
    # The insert probes' row numbers (their check and run id), apart from the filled ones'.
    extra = max(sizes) + 1
    stored = 0
    try:
        await partition_the_span(db, rows)
        for target_size in sizes:
            fill_rate = await fill(dsn, rows, stored, target_size)
            stored = target_size
            async with db.write() as conn:
                await conn.execute(sa.text("ANALYZE check_results"))
                await conn.execute(sa.text("ANALYZE check_sessions"))
            rate, p50, p95, insert_cpu, extra = await insert_rate(
                db, rows, extra, rows.at(target_size - 1), args.probe_seconds, args.batch
            )
            serving = [vantage.pid, *await backends(db)]
            cpu = cpu_seconds(serving)
            lat = await asyncio.to_thread(latencies, vantage, check_ids, args.requests)
            list_cpu = (cpu_seconds(serving) - cpu) * 1000 / sum(len(v) for v in lat.values())
            mib = await table_mib(db)
            cells = "  ".join(
                f"{statistics.median(v):>6.1f}/{percentile(v, 95):<6.1f}" if v else "  –  "
                for v in lat.values()
            )
            print(
                f"{target_size:>9,}  {fill_rate:>11,.0f}  {rate:>13,.0f}  {p50:>12.1f}  "
                f"{p95:>12.1f}  {insert_cpu:>11.1f}  {cells}  {list_cpu:>10.2f}  {mib:>10,.0f}  "
                f"{os.getloadavg()[0]:>5.1f}",
                flush=True,
            )
        print(await prune(db, rows, size(args.prune)))
    finally:
        await db.dispose()


if __name__ == "__main__":
    main()
