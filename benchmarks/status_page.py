"""A public status page under many readers (issue 15): server time per read, what reading costs.

A real `vantage server` (SQLite, loopback) with a page of 50 services in 5 cards, each fed by one
check with 90 days of daily roll-ups in 3 locations (seeded straight into the database), and 20
incidents with updates. Then C concurrent readers fetch `/status/{url}` R times in all. It prints
the server's own time per read (its request log, `ms`: from the first byte in to the last byte out),
p50/p99, the client-observed p99, the server's CPU seconds per 1000 reads, and the HTML size.
Goal: p99 <= 50 ms server time at 500 readers.

With `--churn`, a writer adds a run to today's roll-up of one of the page's checks every second,
as intake does, so each refresh of the page (every 10 s) finds new figures and renders again;
without it nothing changes and a refresh only reads and digests (`public.fingerprint`).

    python -m benchmarks.status_page [--readers 500] [--reads 20000] [--churn]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx2
import sqlalchemy as sa

from benchmarks.harness import Server, percentile, server
from vantage.db.tables import checks, result_rollups
from vantage.rollups.digest import BINS, bin_of

SERVICES = 50
CARDS = 5
LOCATIONS = ("local", "eu-west-1", "us-east-1")
URL = "bench"


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def seed(app: Server) -> None:
    with app.client() as api:
        services = [
            api.post("/v1/status-pages/services", json={"name": f"Service {i:02d}"}).json()
            for i in range(SERVICES)
        ]
        per = SERVICES // CARDS
        cards = [
            {
                "name": f"Card {c}",
                "services": [{"id": s["id"]} for s in services[c * per : (c + 1) * per]],
            }
            for c in range(CARDS)
        ]
        page = api.post("/v1/status-pages", json={"name": "Bench", "url": URL, "cards": cards})
        assert page.status_code == 201, page.text
        for i in range(20):
            incident = api.post(
                "/v1/status-pages/incidents",
                json={
                    "name": f"Incident {i}",
                    "severity": ("MINOR", "MAJOR")[i % 2],
                    "services": [{"id": services[i]["id"]}],
                    "incidentUpdates": [
                        {"description": "Investigating", "status": "INVESTIGATING"}
                    ],
                },
            ).json()
            if i >= 2:
                path = f"/v1/status-pages/incidents/{incident['id']}/incident-updates"
                api.post(path, json={"description": "Fixed", "status": "RESOLVED"})

    engine = sa.create_engine(app.database_url)
    now = datetime.now(UTC)
    today = datetime(now.year, now.month, now.day, tzinfo=UTC)
    with engine.begin() as conn:
        check_rows, rollups = [], []
        for s in services:
            check_id = str(uuid.uuid4())
            check_rows.append(
                {
                    "id": check_id,
                    "account_id": app.account_id,
                    "check_type": "API",
                    "name": s["name"],
                    "activated": False,  # nothing runs: the figures are the readers'
                    "tags": [],
                    "group_id": None,
                    "config": {"triggerIncident": {"serviceId": s["id"], "severity": "MAJOR"}},
                    "interval_seconds": 60,
                    "next_run_at": None,
                    "created_at": now,
                    "updated_at": None,
                }
            )
            for loc in LOCATIONS:
                for d in range(90):
                    failed = 3 if d % 17 == 0 else 0
                    row: dict[str, Any] = {
                        "check_id": check_id,
                        "location": loc,
                        "bucket_seconds": 86400,
                        "bucket_start": today - timedelta(days=d),
                        "account_id": app.account_id,
                        "finals": 1440,
                        "passed": 1440 - failed,
                        "degraded": 0,
                        "failed": failed,
                        "attempts": failed,
                        "rt_sum": 1440 * 120.0,
                        **dict.fromkeys(BINS, 0),
                    }
                    row[BINS[bin_of(120)]] = 1440
                    rollups.append(row)
        conn.execute(checks.insert(), check_rows)
        conn.execute(result_rollups.insert(), rollups)
    engine.dispose()


async def read(base: str, readers: int, reads: int) -> tuple[list[float], int]:
    latencies: list[float] = []
    dropped = [0]
    size = 0
    remaining = reads
    limits = httpx2.Limits(max_connections=readers, max_keepalive_connections=readers)
    async with httpx2.AsyncClient(base_url=base, limits=limits, timeout=60) as client:

        async def reader() -> None:
            nonlocal remaining, size
            while remaining > 0:
                remaining -= 1
                start = time.perf_counter()
                try:
                    response = await client.get(f"/status/{URL}")
                except httpx2.TransportError:
                    # The server closes a connection idle for 2 s; on a loaded box the client can
                    # be that slow to reuse one. Counted, then read again.
                    dropped[0] += 1
                    remaining += 1
                    continue
                latencies.append((time.perf_counter() - start) * 1000)
                if response.status_code != 200:
                    raise AssertionError(f"{response.status_code}: {response.text[:300]}")
                size = len(response.content)

        await asyncio.gather(*(reader() for _ in range(readers)))
    print(f"connections closed under a reader, read again: {dropped[0]}")
    return latencies, size


def churn(database_url: str, stop: threading.Event) -> None:
    """Intake's effect on the page, without intake's cost: one more run in today's roll-up of
    one check a second (the additive update intake makes)."""
    engine = sa.create_engine(database_url)
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    rr = result_rollups
    with engine.connect() as conn:
        ids = [row.id for row in conn.execute(sa.select(checks.c.id))]
    i = 0
    while not stop.wait(1.0):
        with engine.begin() as conn:
            conn.execute(
                rr.update()
                .where(rr.c.check_id == ids[i % len(ids)], rr.c.bucket_start == today)
                .values(finals=rr.c.finals + 1, passed=rr.c.passed + 1)
            )
        i += 1
    engine.dispose()


def server_times(log: Path) -> list[float]:
    out = []
    for line in log.read_text().splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if event.get("event") == "request" and event.get("path") == f"/status/{URL}":
            out.append(float(event["ms"]))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--readers", type=int, default=500)
    parser.add_argument("--reads", type=int, default=20_000)
    parser.add_argument("--churn", action="store_true", help="new figures every second")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        env = {
            "VANTAGE_SCHEDULER": "false",
            "VANTAGE_LOCAL_AGENT": "false",
            # 500 readers in one client process on a shared box can take longer than the 10 s
            # default to send a fresh connection's first request: that is the client's delay,
            # not the server's, and a 408 would end the run
            "VANTAGE_HEADER_TIMEOUT_SECONDS": "300",
        }
        with server(workdir, cpu=None, env=env) as app:
            seed(app)
            first = httpx2.get(f"{app.url}/status/{URL}", timeout=60)
            assert first.status_code == 200, first.text
            stop = threading.Event()
            writer = threading.Thread(target=churn, args=(app.database_url, stop))
            if args.churn:
                writer.start()
            cpu_before = _cpu_seconds(app.pid)
            started = time.monotonic()
            latencies, size = asyncio.run(read(app.url, args.readers, args.reads))
            elapsed = time.monotonic() - started
            cpu = _cpu_seconds(app.pid) - cpu_before
            stop.set()
            if args.churn:
                writer.join()
        # the log is complete once the server has stopped: the first read was the uncached one
        cold, *times = server_times(workdir / "server.log")
        load = os.getloadavg()
        print(f"page: {SERVICES} services in {CARDS} cards, 90 days x 3 locations, 20 incidents")
        print(f"churn: {'a new run every second' if args.churn else 'none'}; {elapsed:.0f} s")
        print(f"first (uncached) render: {cold:.1f} ms server time; HTML {size / 1024:.0f} KB")
        print(
            f"{args.reads} reads by {args.readers} readers:"
            f" server p50 {percentile(times, 50):.1f} ms,"
            f" p99 {percentile(times, 99):.1f} ms, max {max(times):.1f} ms;"
            f" client p99 {percentile(latencies, 99):.1f} ms"
        )
        print(f"server CPU {cpu:.2f} s = {cpu / args.reads * 1000:.3f} s per 1000 reads")
        print(f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")


if __name__ == "__main__":
    main()
