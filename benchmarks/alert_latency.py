"""Alert latency: from a failing result being stored to the webhook receiver having it.

Starts a real `vantage server` (SQLite by default, or --database-url), a fast local target and a
webhook receiver in this process. Creates two sets of N failing API checks: "quiet" ones with no
alert channel and "loud" ones subscribed to a webhook. Triggers all quiet checks at once, then
all loud ones, and prints:
- per set, the time from the trigger until every session has ended (result intake), so the cost
  of alerting on intake shows as the difference;
- per set, the server's CPU seconds (utime + stime, every thread) from the trigger until its
  sessions ended and, for the loud set, every notification arrived: on a shared machine the
  comparable figure, since wall times stretch with the load;
- for the loud set, the latency from each notification's row being written (in the transaction
  that stored the result) to the receiver getting it: p50, p99, max.
Goal (issue 12): p99 <= 1 s with 1,000 checks failing at once, intake time unchanged.

    python -m benchmarks.alert_latency [--checks 1000] [--database-url postgresql://...]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx2
import sqlalchemy as sa

from benchmarks.harness import percentile, server, target
from vantage.db.engine import Database
from vantage.db.tables import alert_notifications, check_sessions


class Receiver:
    """Records when each notification (by webhook-id) arrived."""

    def __init__(self) -> None:
        self.arrivals: dict[str, float] = {}
        self.duplicates = 0
        lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            # keep-alive, as the providers' endpoints do
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("content-length") or 0))
                now = time.time()
                key = self.headers.get("webhook-id", "")
                with lock:
                    if key in receiver.arrivals:
                        receiver.duplicates += 1
                    receiver.arrivals.setdefault(key, now)
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        class Server(ThreadingHTTPServer):
            # the default backlog of 5 resets connections when a batch arrives at once
            request_queue_size = 1024

        self.server = Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


async def create_checks(
    http: httpx2.AsyncClient, target_url: str, count: int, tag: str, channels: list[int]
) -> None:
    sem = asyncio.Semaphore(16)
    subs = [{"alertChannelId": c, "activated": True} for c in channels]

    async def one(i: int) -> None:
        async with sem:
            response = await http.post(
                "/v1/checks/api",
                json={
                    "name": f"{tag} {i}",
                    "tags": [tag],
                    "frequency": 1440,
                    "alertChannelSubscriptions": subs,
                    "request": {
                        "method": "GET",
                        "url": f"{target_url}/ok",
                        # the target answers 200: this check fails on every run
                        "assertions": [
                            {"source": "STATUS_CODE", "comparison": "EQUALS", "target": "500"}
                        ],
                    },
                },
            )
            response.raise_for_status()

    await asyncio.gather(*(one(i) for i in range(count)))


def cpu_seconds(pid: int) -> float:
    """utime + stime of a whole process (every thread), from /proc/PID/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def run_set(http: httpx2.AsyncClient, db: Database, tag: str, count: int) -> float:
    """Trigger every check of `tag`; seconds until all their sessions ended."""
    start = time.time()
    response = await http.post(
        "/v2/check-sessions/trigger", json={"target": {"matchTags": [[tag]]}}
    )
    response.raise_for_status()
    ids = [s["checkSessionId"] for s in response.json()["sessions"]]
    assert len(ids) == count, len(ids)
    while True:
        async with db.read() as conn:
            open_count = await conn.scalar(
                sa.select(sa.func.count())
                .select_from(check_sessions)
                .where(check_sessions.c.id.in_(ids), check_sessions.c.stopped_at.is_(None))
            )
            last = await conn.scalar(
                sa.select(sa.func.max(check_sessions.c.stopped_at)).where(
                    check_sessions.c.id.in_(ids)
                )
            )
        if not open_count:
            return float(last.timestamp() - start)
        await asyncio.sleep(0.05)


async def measure(vantage: Any, target_url: str, receiver: Receiver, checks: int) -> None:
    db = Database(vantage.database_url)
    async with httpx2.AsyncClient(
        base_url=vantage.url, headers=vantage.headers, timeout=120
    ) as http:
        hook = await http.post(
            "/v1/alert-channels",
            json={"type": "WEBHOOK", "config": {"name": "bench", "url": receiver.url + "/hook"}},
        )
        hook.raise_for_status()
        await create_checks(http, target_url, checks, "quiet", [])
        await create_checks(http, target_url, checks, "loud", [hook.json()["id"]])
        cpu = cpu_seconds(vantage.pid)
        quiet = await run_set(http, db, "quiet", checks)
        quiet_cpu = cpu_seconds(vantage.pid) - cpu
        cpu = cpu_seconds(vantage.pid)
        loud = await run_set(http, db, "loud", checks)
        deadline = time.time() + 120
        while len(receiver.arrivals) < checks and time.time() < deadline:
            await asyncio.sleep(0.05)
        loud_cpu = cpu_seconds(vantage.pid) - cpu
    async with db.read() as conn:
        rows = (
            await conn.execute(
                sa.select(alert_notifications.c.id, alert_notifications.c.created_at)
            )
        ).all()
    await db.dispose()
    latencies = [
        (receiver.arrivals[r.id] - r.created_at.timestamp()) * 1000
        for r in rows
        if r.id in receiver.arrivals
    ]
    print(f"checks per set: {checks}")
    print(f"intake, trigger to last session ended: quiet {quiet:.2f} s, loud {loud:.2f} s")
    print(
        f"server CPU: quiet {quiet_cpu:.2f} s (intake), loud {loud_cpu:.2f} s (intake and "
        f"delivery); alerting {loud_cpu - quiet_cpu:.2f} s"
    )
    print(
        f"notifications: {len(rows)} queued, {len(receiver.arrivals)} received, "
        f"{receiver.duplicates} duplicates"
    )
    if latencies:
        print(
            f"stored -> received ms: p50 {statistics.median(latencies):.0f}  "
            f"p99 {percentile(latencies, 99):.0f}  max {max(latencies):.0f}"
        )
    print(
        json.dumps(
            {
                "quiet_s": quiet,
                "loud_s": loud,
                "quiet_cpu_s": quiet_cpu,
                "loud_cpu_s": loud_cpu,
                "p50_ms": statistics.median(latencies) if latencies else None,
                "p99_ms": percentile(latencies, 99),
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--checks", type=int, default=1000)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--workdir", default=None, help="keep the server's log here")
    args = parser.parse_args()
    receiver = Receiver()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(args.workdir) if args.workdir else Path(tmp)
        with (
            target(workdir) as target_url,
            server(
                workdir, database_url=args.database_url, env={"VANTAGE_ALERT_DENY": ""}
            ) as vantage,
        ):
            asyncio.run(measure(vantage, target_url, receiver, args.checks))
    receiver.server.shutdown()


if __name__ == "__main__":
    main()
