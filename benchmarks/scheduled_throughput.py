"""Sustained scheduled executions per second on the embedded default, and the schedule lag.

Starts a real `vantage server` (SQLite, in-process agent) and a fast local target, creates N API
checks that run every 10 s (frequency 0, frequencyOffset 10), lets the scheduler run them for the
given time, then reads the stored sessions and results. Prints executions per second per 10-second
window and the schedule lag: how late each run started against its due time (the first run of a
check plus whole intervals). Goal (issue 2): >= 200 executions/s with the lag flat.

`--cpu N` pins the server (and its agent) to one CPU: an offered load above what it can run shows
how the server degrades under overload. The scheduled slots skipped because the check's previous
run still waited for an agent are read from /metrics at the end.

    python -m benchmarks.scheduled_throughput [--checks 2500] [--seconds 60] [--cpu N]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import tempfile
import time
from collections import defaultdict
from datetime import datetime
from pathlib import Path

import httpx2
import sqlalchemy as sa

from benchmarks.harness import Server, create_api_checks, percentile, server, target
from vantage.db.engine import Database
from vantage.db.tables import check_results, check_sessions

INTERVAL = 10.0


async def create_checks(vantage: Server, target_url: str, count: int) -> None:
    headers = {
        "Authorization": f"Bearer {vantage.api_key}",
        "X-Checkly-Account": vantage.account_id,
    }
    await create_api_checks(
        vantage.url, headers, target_url, count, frequency=0, frequencyOffset=10
    )


async def read_runs(
    database_url: str,
) -> tuple[list[tuple[str, datetime]], list[tuple[datetime, datetime]]]:
    """Every session's (check, start) and every result's (stored at, its session's start)."""
    db = Database(database_url)
    try:
        async with db.read() as conn:
            sessions = [
                (row.check_id, row.started_at)
                for row in await conn.execute(
                    sa.select(check_sessions.c.check_id, check_sessions.c.started_at)
                )
            ]
            results = [
                (row.created_at, row.started_at)
                for row in await conn.execute(
                    sa.select(check_results.c.created_at, check_sessions.c.started_at).join(
                        check_sessions, check_sessions.c.id == check_results.c.session_id
                    )
                )
            ]
    finally:
        await db.dispose()
    return sessions, results


def slots_skipped(url: str) -> str:
    """vantage_scheduler_slots_skipped_total, or "n/a" from a server that does not count them."""
    text = httpx2.get(f"{url}/metrics", timeout=30).text
    for line in text.splitlines():
        if line.startswith("vantage_scheduler_slots_skipped_total "):
            return str(int(float(line.split()[1])))
    return "n/a"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--checks", type=int, default=2500)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--cpu", type=int, help="pin the server to this CPU (taskset)")
    parser.add_argument(
        "--profile",
        metavar="FILE",
        help="record the server with py-spy (.svg flame graph, .txt stacks)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        with target(workdir) as target_url, server(workdir, cpu=args.cpu) as vantage:
            created = time.monotonic()
            asyncio.run(create_checks(vantage, target_url, args.checks))
            print(f"created {args.checks} checks in {time.monotonic() - created:.1f} s", flush=True)
            if args.profile:
                subprocess.run(
                    [
                        "py-spy",
                        "record",
                        "-p",
                        str(vantage.pid),
                        "-o",
                        args.profile,
                        "-d",
                        str(int(args.seconds)),
                        "-r",
                        "50",
                        "-f",
                        "raw" if args.profile.endswith(".txt") else "flamegraph",
                    ],
                    check=False,
                )
            else:
                time.sleep(args.seconds)
            skipped = slots_skipped(vantage.url)
            sessions, results = asyncio.run(read_runs(vantage.database_url))

    # Measure only whole windows after every check has had its first run.
    by_check: dict[str, list[datetime]] = defaultdict(list)
    for check_id, started in sessions:
        by_check[check_id].append(started)
    firsts = [min(starts) for starts in by_check.values()]
    window_start = max(firsts)
    lags: dict[int, list[float]] = defaultdict(list)
    for starts in by_check.values():
        starts.sort()
        for started in starts:
            # The slot it ran for is the nearest one: a skipped slot (its previous run still
            # queued) shifts every later run of the check by a whole interval, not into the lag.
            k = round((started - starts[0]).total_seconds() / INTERVAL)
            due = starts[0].timestamp() + k * INTERVAL
            if started >= window_start:
                window = int((started - window_start).total_seconds() // INTERVAL)
                lags[window].append((started.timestamp() - due) * 1000)
    per_window: dict[int, int] = defaultdict(int)
    waits: dict[int, list[float]] = defaultdict(list)
    last = max(created for created, _ in results) if results else window_start
    for created_at, session_started in results:
        if created_at >= window_start:
            window = int((created_at - window_start).total_seconds() // INTERVAL)
            per_window[window] += 1
            waits[window].append((created_at - session_started).total_seconds() * 1000)
    full = [
        w
        for w in sorted(per_window)
        if window_start.timestamp() + (w + 1) * INTERVAL <= last.timestamp()
    ]
    print(
        f"checks: {args.checks} every {INTERVAL:.0f} s; "
        f"sessions {len(sessions)}, results {len(results)}"
    )
    print("schedule lag: session start - due time; result wait: result stored - session start")
    print("window  executions/s  lag p50 ms  lag p99 ms  lag max ms  wait p50 ms  wait p99 ms")
    for w in full:
        values = lags.get(w, [0.0])
        wait = waits.get(w, [0.0])
        print(
            f"{w:>6}  {per_window[w] / INTERVAL:>12.1f}  {statistics.median(values):>10.1f}"
            f"  {percentile(values, 99):>10.1f}  {max(values):>10.1f}"
            f"  {statistics.median(wait):>11.1f}  {percentile(wait, 99):>11.1f}"
        )
    print(f"scheduled slots skipped (previous run still queued): {skipped}")
    rates = [per_window[w] / INTERVAL for w in full]
    if rates:
        print(f"sustained: median {statistics.median(rates):.1f} executions/s (goal >= 200)")


if __name__ == "__main__":
    main()
