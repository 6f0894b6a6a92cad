"""Alert latency: from a failing result being stored to the webhook receiver having it.

Starts a real `vantage server` (SQLite by default, or --database-url), a fast local target and a
webhook receiver in this process. Creates three sets of N failing API checks: two "quiet" ones with
no alert channel and a "loud" one subscribed to a webhook. Triggers all checks of the first quiet
set at once, then the loud set, then the second quiet set (quiet, loud, quiet: a drift of the
server over the run, its database growing, weighs on both sides alike), and prints:
- per set, the time from the trigger until every session has ended (result intake) and the
  intake throughput (sessions ended per second): the quiet sets alone, the loud set while its
  notifications go out, and the ratio of the loud one to the quiet ones' mean;
- per set, the server's CPU seconds (utime + stime, every thread) from the trigger until its
  sessions ended and, for the loud set, every notification arrived: on a shared machine the
  comparable figure, since wall times stretch with the load;
- for the loud set, the latency from each notification's row being written (in the transaction
  that stored the result) to the receiver getting it: p50, p99, max;
- the database's dialect and the machine's load average (1 min) at the start and at the end.
Goal (issue 12): p99 <= 1 s with 1,000 checks failing at once, intake time unchanged.

    python -m benchmarks.alert_latency [--checks 1000] [--database-url postgresql://...]
        [--no-delivery] [--delivery-inline]
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
from pathlib import Path
from typing import Any

import httpx2
import sqlalchemy as sa

from benchmarks.harness import percentile, server, target
from vantage.db.engine import Database
from vantage.db.tables import alert_notifications, check_sessions


class Receiver:
    """Records when each notification (by webhook-id) arrived.

    An asyncio HTTP/1.1 server with keep-alive, in a thread of its own: it reads a request's
    head and body and answers 200. Python's ThreadingHTTPServer (one thread per connection,
    taking turns at the GIL, parsing each head with the email package) took 1.8 s for 1,000
    posts from 25 connections on the shared machine, so the figures were the receiver's; this
    one is not what limits them.
    """

    def __init__(self) -> None:
        self.arrivals: dict[str, float] = {}
        self.duplicates = 0
        self.loop = asyncio.new_event_loop()
        ready = threading.Event()
        port: list[int] = []

        async def start() -> None:
            # the default backlog resets connections when a batch arrives at once
            srv = await asyncio.start_server(self._serve, "127.0.0.1", 0, backlog=1024)
            port.append(srv.sockets[0].getsockname()[1])
            ready.set()

        def run() -> None:
            self.loop.run_until_complete(start())
            self.loop.run_forever()

        threading.Thread(target=run, daemon=True).start()
        ready.wait()
        self.url = f"http://127.0.0.1:{port[0]}"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:  # keep-alive, as the providers' endpoints do
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except asyncio.IncompleteReadError:
                    return
                headers = {}
                for line in head.decode("latin-1").split("\r\n")[1:]:
                    name, sep, value = line.partition(":")
                    if sep:
                        headers[name.strip().lower()] = value.strip()
                await reader.readexactly(int(headers.get("content-length") or 0))
                now = time.time()
                key = headers.get("webhook-id", "")
                if key in self.arrivals:
                    self.duplicates += 1
                self.arrivals.setdefault(key, now)
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        except ConnectionError:
            return
        finally:
            writer.close()

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)


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


def children_cpu_seconds(pid: int) -> float:
    """CPU seconds of the server's live children: its delivery process, unless delivery is
    inline (VANTAGE_ALERT_DELIVERY_PROCESS=false)."""
    total = 0.0
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            try:
                total += cpu_seconds(int(child))
            except OSError:
                continue  # ended meanwhile
    return total


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


async def measure(
    vantage: Any,
    target_url: str,
    receiver: Receiver,
    checks: int,
    workdir: Path | None,
    delivery: bool = True,
) -> None:
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
        await create_checks(http, target_url, checks, "after", [])
        load_start = os.getloadavg()[0]
        cpu = cpu_seconds(vantage.pid)
        quiet = await run_set(http, db, "quiet", checks)
        quiet_cpu = cpu_seconds(vantage.pid) - cpu
        cpu = cpu_seconds(vantage.pid)
        child_cpu = children_cpu_seconds(vantage.pid)
        loud = await run_set(http, db, "loud", checks)
        deadline = time.time() + (120 if delivery else 0)
        while len(receiver.arrivals) < checks and time.time() < deadline:
            await asyncio.sleep(0.05)
        loud_cpu = cpu_seconds(vantage.pid) - cpu
        delivery_cpu = children_cpu_seconds(vantage.pid) - child_cpu
        # The second quiet set: after the loud one's notifications went out, so it measures
        # intake alone again, on the database as the loud set left it.
        quiet_after = await run_set(http, db, "after", checks)
        load_end = os.getloadavg()[0]
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
    if workdir is not None:
        # Each notification's (stored, received) epoch seconds, for a look at where time went.
        (workdir / "timeline.json").write_text(
            json.dumps(
                sorted(
                    (r.created_at.timestamp(), receiver.arrivals[r.id])
                    for r in rows
                    if r.id in receiver.arrivals
                )
            )
        )
    quiet_rate = (checks / quiet + checks / quiet_after) / 2
    loud_rate = checks / loud
    print(
        f"database: {db.dialect}, checks per set: {checks}, {os.cpu_count()} CPUs"
        + ("" if delivery else ", delivery off (nothing is sent)")
    )
    print(f"load average (1 min): {load_start:.2f} at the start, {load_end:.2f} at the end")
    print(
        f"intake, trigger to last session ended: quiet {quiet:.2f} s, loud {loud:.2f} s, "
        f"quiet again {quiet_after:.2f} s"
    )
    print(
        f"intake throughput: quiet (alone, mean of both) {quiet_rate:.0f}/s, loud (notifications "
        f"going out) {loud_rate:.0f}/s, ratio {loud_rate / quiet_rate:.2f}"
    )
    print(
        f"server CPU: quiet {quiet_cpu:.2f} s (intake), loud {loud_cpu:.2f} s (intake and, "
        f"unless in its own process, delivery); alerting {loud_cpu - quiet_cpu:.2f} s; "
        f"delivery process {delivery_cpu:.2f} s"
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
                "dialect": db.dialect,
                "delivery": delivery,
                "checks": checks,
                "load_start": load_start,
                "load_end": load_end,
                "quiet_s": quiet,
                "loud_s": loud,
                "quiet_after_s": quiet_after,
                "quiet_cpu_s": quiet_cpu,
                "throughput_ratio": loud_rate / quiet_rate,
                "loud_cpu_s": loud_cpu,
                "delivery_process_cpu_s": delivery_cpu,
                "received": len(receiver.arrivals),
                "duplicates": receiver.duplicates,
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
    parser.add_argument(
        "--no-delivery",
        action="store_true",
        help="the server queues notifications but sends none (VANTAGE_ALERT_DELIVERY=false): "
        "what the loud set's intake costs without the sends",
    )
    parser.add_argument(
        "--delivery-inline",
        action="store_true",
        help="the sends run on the server's event loop (VANTAGE_ALERT_DELIVERY_PROCESS=false), "
        "as before they had a process of their own",
    )
    args = parser.parse_args()
    receiver = Receiver()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(args.workdir) if args.workdir else Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        with (
            target(workdir) as target_url,
            server(
                workdir,
                database_url=args.database_url,
                env={
                    "VANTAGE_ALERT_DENY": "",
                    "VANTAGE_ALERT_DELIVERY": "false" if args.no_delivery else "true",
                    "VANTAGE_ALERT_DELIVERY_PROCESS": "false" if args.delivery_inline else "true",
                },
            ) as vantage,
        ):
            asyncio.run(
                measure(
                    vantage,
                    target_url,
                    receiver,
                    args.checks,
                    workdir if args.workdir else None,
                    delivery=not args.no_delivery,
                )
            )
    receiver.close()


if __name__ == "__main__":
    main()
