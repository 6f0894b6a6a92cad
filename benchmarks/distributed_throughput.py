"""Sustained executions per second of a distributed deployment, and its schedule lag.

PostgreSQL, two `vantage server` replicas (scheduler on, no embedded agent), one `vantage agent` in
each of three locations (each talking to one of the replicas), and a fast local target. N API checks
run every 10 s in all three locations at once (runParallel), so every session is three executions.
After the run, the stored sessions and results give executions per second per 10-second window, the
schedule lag, and how long results waited. Goal (issue 5): >= 500 executions/s with the lag flat.

    python -m benchmarks.distributed_throughput [--checks 1700] [--seconds 60]

Uses the PostgreSQL of VANTAGE_BENCH_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/test),
in a database of its own that it creates and drops.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url

from benchmarks.harness import create_api_checks, free_port, percentile, process, target
from benchmarks.scheduled_throughput import INTERVAL, read_runs

LOCATIONS = ("bench-a", "bench-b", "bench-c")


@contextmanager
def bench_database() -> Iterator[str]:
    base = make_url(
        os.environ.get("VANTAGE_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
    )
    name = f"vantage_bench_{os.getpid()}"
    admin = base.set(drivername="postgresql").render_as_string(hide_password=False)

    async def run(sql: str) -> None:
        conn = await asyncpg.connect(admin)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    asyncio.run(run(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def cli(*args: str) -> dict[str, str]:
    done = subprocess.run(
        [sys.executable, "-m", "vantage", *args, "--json"], capture_output=True, check=True
    )
    result: dict[str, str] = json.loads(done.stdout)
    return result


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--checks", type=int, default=1700)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--concurrency", type=int, default=256, help="per agent")
    args = parser.parse_args()
    vantage = [sys.executable, "-m", "vantage"]
    with (
        tempfile.TemporaryDirectory() as tmp,
        bench_database() as database_url,
        ExitStack() as stack,
    ):
        workdir = Path(tmp)
        subprocess.run([*vantage, "db", "upgrade", "--database-url", database_url], check=True)
        account = cli("accounts", "create", "bench", "--database-url", database_url)
        keys = {
            slug: cli("locations", "create", slug, "--name", slug, "--database-url", database_url)
            for slug in LOCATIONS
        }
        target_url = stack.enter_context(target(workdir))
        servers = []
        for i in range(2):
            port = free_port()
            proc = stack.enter_context(
                process(
                    [*vantage, "server", "--no-local-agent", "--port", str(port),
                     "--database-url", database_url, "--log-format", "json"],
                    port=port,
                    log=workdir / f"server-{i}.log",
                )
            )  # fmt: skip
            servers.append((f"http://127.0.0.1:{port}", proc))
        headers = {
            "Authorization": f"Bearer {account['apiKey']}",
            "X-Checkly-Account": account["accountId"],
        }
        started = time.monotonic()
        asyncio.run(
            create_api_checks(
                servers[0][0],
                headers,
                target_url,
                args.checks,
                frequency=0,
                frequencyOffset=10,
                locations=list(LOCATIONS),
                runParallel=True,
            )
        )
        print(f"created {args.checks} checks in {time.monotonic() - started:.1f} s", flush=True)
        agents = []
        for i, slug in enumerate(LOCATIONS):
            key = keys[slug]["agentKey"]
            agents.append(
                subprocess.Popen(
                    [*vantage, "agent", "--server", servers[i % 2][0], "--location", slug,
                     "--key", key, "--concurrency", str(args.concurrency),
                     "--outbox", str(workdir / f"outbox-{slug}"), "--log-format", "json"],
                    stdout=(workdir / f"agent-{slug}.log").open("wb"),
                    stderr=subprocess.STDOUT,
                )
            )  # fmt: skip
        try:
            cpu_before = {p.pid: cpu_seconds(p.pid) for p in [*agents, *(s for _, s in servers)]}
            time.sleep(args.seconds)
            cpu = {pid: cpu_seconds(pid) - before for pid, before in cpu_before.items()}
        finally:
            for agent in agents:
                agent.terminate()
            for agent in agents:
                try:
                    agent.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    agent.kill()
        sessions, results = asyncio.run(read_runs(database_url))

    window_start = min(created for created, _ in results) if results else None
    if window_start is None:
        print("no results: see the logs")
        return
    # Skip the first window: agents were starting and the backlog of the set-up was draining.
    per_window: dict[int, int] = defaultdict(int)
    waits: dict[int, list[float]] = defaultdict(list)
    last = max(created for created, _ in results)
    for created_at, session_started in results:
        window = int((created_at - window_start).total_seconds() // INTERVAL)
        per_window[window] += 1
        waits[window].append((created_at - session_started).total_seconds() * 1000)
    by_check: dict[str, list[float]] = defaultdict(list)
    for check_id, started_at in sessions:
        by_check[check_id].append(started_at.timestamp())
    lags: dict[int, list[float]] = defaultdict(list)
    for starts in by_check.values():
        starts.sort()
        for k, ts in enumerate(starts):
            window = int((ts - window_start.timestamp()) // INTERVAL)
            lags[window].append((ts - (starts[0] + k * INTERVAL)) * 1000)
    full = [
        w
        for w in sorted(per_window)
        if w >= 1 and window_start.timestamp() + (w + 1) * INTERVAL <= last.timestamp()
    ]
    print(f"checks: {args.checks} x {len(LOCATIONS)} locations every {INTERVAL:.0f} s")
    print("window  executions/s  lag p50 ms  lag p99 ms  wait p50 ms  wait p99 ms")
    for w in full:
        lag = lags.get(w, [0.0])
        wait = waits[w]
        print(
            f"{w:>6}  {per_window[w] / INTERVAL:>12.1f}  {statistics.median(lag):>10.1f}"
            f"  {percentile(lag, 99):>10.1f}  {statistics.median(wait):>11.1f}"
            f"  {percentile(wait, 99):>11.1f}"
        )
    rates = [per_window[w] / INTERVAL for w in full]
    if rates:
        print(f"sustained: median {statistics.median(rates):.1f} executions/s (goal >= 500)")
    total = sum(per_window.values())
    for pid, seconds in cpu.items():
        role = "agent" if pid in {a.pid for a in agents} else "server"
        print(f"cpu {role} pid {pid}: {seconds:.1f} s over {args.seconds:.0f} s")
    print(f"results stored: {total}")


if __name__ == "__main__":
    main()
