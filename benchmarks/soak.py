"""A soak of the embedded default with retention on: does anything grow or slow down over time?

Starts a real `vantage server` (SQLite, in-process agent, pruning every `--prune-seconds` what is
older than `--retention-minutes`) and a fast local target, creates enough API checks running every
10 s to offer `--fraction` of `--ceiling` executions per second, and for `--minutes` prints one line
per minute:

- executions/s: results stored in that minute (`vantage_check_executions`, from /metrics);
- schedule lag: the scheduler's `vantage_schedule_lag_seconds`, sampled every second (mean, max);
- RSS of the server process; the database file with its WAL;
- p95 of `GET /v2/check-results/{checkId}?limit=100` for a random check, requested one at a time
  about five times a second by a client thread;
- the results, sessions and roll-up rows stored, and what the retention passes of that minute
  deleted (minute roll-ups are kept `--rollup-minutes`, by default as long as results);
- the machine's 1-minute load average (on a shared machine, what else was running).

The default ceiling, 900 executions/s, is the embedded default's sustained figure on the project's
2-core machine (`scheduled_throughput.py --checks 9000`); measure your own and pass it.

    python -m benchmarks.soak [--minutes 30] [--ceiling 900] [--fraction 0.8]
                              [--retention-minutes 5] [--prune-seconds 120]
                              [--rollup-minutes N]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

import httpx2

from benchmarks.harness import (
    NO_RATE_LIMIT,
    SERVER_ENV,
    Server,
    create_api_checks,
    free_port,
    percentile,
    process,
    server,
    target,
)

INTERVAL = 10  # seconds between a check's runs


@dataclass
class Minute:
    lags: list[float] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    errors: int = 0


def metric_sum(text: str, name: str) -> float:
    """The sum of every sample of one metric in Prometheus' text format."""
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name) and line[len(name)] in "{ ":
            total += float(line.rsplit(" ", 1)[1])
    return total


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def db_mib(path: Path) -> float:
    files = [path, path.with_name(path.name + "-wal")]
    return sum(f.stat().st_size for f in files if f.exists()) / 2**20


def stored(path: Path) -> tuple[int, int, int]:
    """Results, sessions and roll-up rows in the database, read by a separate read-only connection
    (WAL lets it read while the server writes)."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
    try:
        results = conn.execute("SELECT count(*) FROM check_results").fetchone()[0]
        sessions = conn.execute("SELECT count(*) FROM check_sessions").fetchone()[0]
        rollups = conn.execute("SELECT count(*) FROM result_rollups").fetchone()[0]
    finally:
        conn.close()
    return int(results), int(sessions), int(rollups)


def largest(path: Path, count: int = 8) -> list[tuple[str, float]]:
    """The tables and indexes that take the most of the file, MiB each (SQLite's dbstat)."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
    try:
        rows = conn.execute(
            "SELECT name, sum(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC LIMIT ?", (count,)
        ).fetchall()
    finally:
        conn.close()
    return [(str(name), size / 2**20) for name, size in rows]


def pruned_since(log: Path, offset: int) -> tuple[int, int, int, int]:
    """Results, sessions and roll-ups deleted by the retention passes logged after `offset`; new
    offset."""
    results = sessions = rollups = 0
    with log.open("rb") as f:
        f.seek(offset)
        data = f.read()
    for line in data.splitlines():
        if b"retention pass" in line:
            try:
                event = json.loads(line)
            except ValueError:
                continue
            results += int(event.get("results_deleted", 0))
            sessions += int(event.get("sessions_deleted", 0))
            rollups += int(event.get("rollups_deleted", 0))
    return results, sessions, rollups, offset + len(data)


def list_latencies(
    vantage: Server, check_ids: list[str], minutes: dict[int, Minute], start: float, stop: float
) -> None:
    """Request a random check's results list one at a time until `stop`, filing each latency
    under its minute."""
    rng = random.Random(7)
    with vantage.client() as http:
        while (now := time.monotonic()) < stop:
            check_id = rng.choice(check_ids)
            began = time.perf_counter()
            try:
                response = http.get(f"/v2/check-results/{check_id}", params={"limit": 100})
                ok = response.status_code == 200
            except httpx2.HTTPError:
                ok = False
            ms = (time.perf_counter() - began) * 1000
            minute = minutes.setdefault(int((now - start) // 60), Minute())
            if ok:
                minute.latencies.append(ms)
            else:
                minute.errors += 1
            time.sleep(0.2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--minutes", type=int, default=30)
    parser.add_argument("--ceiling", type=float, default=900.0, help="executions/s sustained")
    parser.add_argument("--fraction", type=float, default=0.8)
    parser.add_argument("--retention-minutes", type=float, default=5.0)
    parser.add_argument("--prune-seconds", type=float, default=120.0)
    parser.add_argument(
        "--rollup-minutes",
        type=float,
        default=None,
        help="how long minute roll-ups are kept (default: --retention-minutes)",
    )
    args = parser.parse_args()
    rollup_minutes = args.rollup_minutes or args.retention_minutes
    rate = args.ceiling * args.fraction
    checks = round(rate * INTERVAL)
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        with target(workdir) as target_url:
            # Created with the scheduler off: checks that start running while thousands more are
            # created would slow the creation down and skew the first minutes.
            os.environ["VANTAGE_SCHEDULER"] = "false"
            with server(workdir, cpu=None) as setup:
                began = time.monotonic()
                asyncio.run(
                    create_api_checks(
                        setup.url,
                        setup.headers,
                        target_url,
                        checks,
                        frequency=0,
                        frequencyOffset=INTERVAL,
                    )  # fmt: skip
                )
                with setup.client() as http:
                    listed = http.get("/v1/checks", params={"limit": 100}).json()
                    check_ids = [c["id"] for c in listed]
            created = time.monotonic() - began
            os.environ.update(
                VANTAGE_SCHEDULER="true",
                VANTAGE_RETENTION_DAYS=str(args.retention_minutes / 1440),
                # Minute roll-ups are kept 2 days by default: a run of minutes would only see
                # them grow. Kept as long as the results here, the soak reaches its steady state.
                VANTAGE_RETENTION_MINUTE_ROLLUPS_DAYS=str(rollup_minutes / 1440),
                VANTAGE_RETENTION_INTERVAL_SECONDS=str(args.prune_seconds),
            )
            with restarted(setup, workdir) as vantage:
                print(
                    f"{checks} checks every {INTERVAL} s (offered {rate:.0f}/s = "
                    f"{args.fraction:.0%} of {args.ceiling:.0f}/s), created in {created:.0f} s; "
                    f"retention {args.retention_minutes:g} min, pruned every "
                    f"{args.prune_seconds:g} s",
                    flush=True,
                )
                warm_up = math.ceil(args.retention_minutes + args.prune_seconds / 60)
                soak(vantage, workdir, check_ids, args.minutes, warm_up)


@contextmanager
def restarted(setup: Server, workdir: Path) -> Iterator[Server]:
    """The same database and account, served again (with the environment as it is now)."""
    port = free_port()
    args = [sys.executable, "-m", "vantage", "server", "--port", str(port)]
    args += ["--database-url", setup.database_url, "--log-format", "json"]
    # The same environment as the first start: without it the loopback target is denied (every
    # run fails without probing) and the results list is rate limited.
    env = SERVER_ENV | NO_RATE_LIMIT
    with process(args, port=port, log=workdir / "server.log", env=env) as proc:
        yield replace(setup, url=f"http://127.0.0.1:{port}", pid=proc.pid)


def soak(
    vantage: Server, workdir: Path, check_ids: list[str], total_minutes: int, steady_from: int
) -> None:
    db_path = Path(vantage.database_url.removeprefix("sqlite:///"))
    log = workdir / "server.log"
    minutes: dict[int, Minute] = {}
    start = time.monotonic()
    stop = start + total_minutes * 60
    client = threading.Thread(
        target=list_latencies, args=(vantage, check_ids, minutes, start, stop), daemon=True
    )
    client.start()
    print(
        "min  exec/s  lag mean ms  lag max ms  RSS MiB  DB MiB  list p50 ms  list p95 ms  "
        "errors  results  sessions  rollups  pruned results  pruned sessions  pruned rollups  "
        "load",
        flush=True,
    )
    rows: list[tuple[float, float, float, float, float]] = []
    log_offset = 0
    with httpx2.Client(base_url=vantage.url, timeout=30) as http:
        executions = metric_sum(http.get("/metrics").text, "vantage_check_executions_total")
        for index in range(total_minutes):
            minute = minutes.setdefault(index, Minute())
            end = start + (index + 1) * 60
            while (now := time.monotonic()) < end:
                text = http.get("/metrics").text
                minute.lags.append(metric_sum(text, "vantage_schedule_lag_seconds") * 1000)
                time.sleep(min(1.0, max(0.0, end - now)))
            text = http.get("/metrics").text
            done = metric_sum(text, "vantage_check_executions_total")
            rate = (done - executions) / 60
            executions = done
            results, sessions, rollups = stored(db_path)
            pruned_results, pruned_sessions, pruned_rollups, log_offset = pruned_since(
                log, log_offset
            )
            lat = minute.latencies or [float("nan")]
            rss, size = rss_mib(vantage.pid), db_mib(db_path)
            p95 = percentile(lat, 95)
            rows.append((rate, max(minute.lags or [0.0]), rss, size, p95))
            print(
                f"{index + 1:>3}  {rate:>6.1f}  {statistics.fmean(minute.lags or [0.0]):>11.1f}"
                f"  {max(minute.lags or [0.0]):>10.1f}  {rss:>7.0f}  {size:>6.0f}"
                f"  {statistics.median(lat):>11.1f}  {p95:>11.1f}  {minute.errors:>6}"
                f"  {results:>7}  {sessions:>8}  {rollups:>7}  {pruned_results:>14}"
                f"  {pruned_sessions:>15}  {pruned_rollups:>14}  {os.getloadavg()[0]:>4.1f}",
                flush=True,
            )
    client.join()
    summarize(rows, steady_from)
    print("largest in the file: " + ", ".join(f"{n} {mib:.1f} MiB" for n, mib in largest(db_path)))


def summarize(rows: list[tuple[float, float, float, float, float]], steady_from: int) -> None:
    """The minutes after warm-up (every check's first run, and the database filling up to the
    retention age plus one pruning interval): what should stay flat, first against last, and the
    range."""
    steady = rows[steady_from:]
    if len(steady) < 2:
        print(f"too short for a steady state: it starts at minute {steady_from + 1}")
        return
    names = ("exec/s", "lag max ms", "RSS MiB", "DB MiB", "list p95 ms")
    columns = list(zip(*steady, strict=True))
    print(f"steady state, minutes {steady_from + 1}-{len(rows)}: " + "; ".join(
        f"{name} {col[0]:.1f} -> {col[-1]:.1f} (range {min(col):.1f}-{max(col):.1f})"
        for name, col in zip(names, columns, strict=True)
    ))  # fmt: skip


if __name__ == "__main__":
    main()
