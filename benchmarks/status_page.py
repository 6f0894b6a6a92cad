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

Then result intake, alone and under the readers (`--intake N` results per phase; 0 skips it):
`--intake-checks` API checks of a location `bench` are triggered and a stand-in agent
(`server_cost.FakeAgent`: lease, hand in a copy of one real probe's result) stores a result for
each job. It prints results per second and server CPU per 1,000 results for each phase; in the
second, the readers (a separate process, so they do not share the agent's interpreter) read the
page the whole time.

The read-only phase's figures are printed as soon as it ends, before intake starts, so a run cut
short still reports them; intake alone and under readers are printed side by side at the end.
The default run is short (3,000 reads, 500 results per intake phase: a few minutes on an idle
machine); `--full` is the issue's size (20,000 reads, 2,000 results per phase from 250 checks).

    python -m benchmarks.status_page [--full] [--readers 500] [--reads N] [--churn] [--intake N]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
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


async def read(base: str, readers: int, reads: int, stop: Any = None) -> tuple[list[float], int]:
    """`reads` reads in all by `readers` readers; with `stop` (an Event), until it is set."""
    latencies: list[float] = []
    dropped = [0]
    size = 0
    remaining = reads
    limits = httpx2.Limits(max_connections=readers, max_keepalive_connections=readers)
    async with httpx2.AsyncClient(base_url=base, limits=limits, timeout=60) as client:

        async def reader() -> None:
            nonlocal remaining, size
            while remaining > 0 if stop is None else not stop.is_set():
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


def _read_until(base: str, readers: int, stop: Any, reads: Any) -> None:
    latencies, _ = asyncio.run(read(base, readers, 0, stop))
    reads.value = len(latencies)


async def _intake_phase(
    api: httpx2.AsyncClient,
    agents: list[Any],
    checks_count: int,
    results: int,
    pid: int,
    readers_pid: int | None = None,
) -> tuple[float, float, str]:
    """(results per second, server CPU seconds per 1,000 results, how busy each process was:
    CPU seconds per second of the phase, 1.0 being one core) over `results` results."""
    from benchmarks.server_cost import _work

    pids = {"server": pid} | ({"readers": readers_pid} if readers_pid else {})
    before = {name: _cpu_seconds(p) for name, p in pids.items()}
    agents_before, started, stored = time.process_time(), time.monotonic(), 0
    for _ in range(max(1, round(results / checks_count))):
        (await api.post("/v2/check-sessions/trigger", json={})).raise_for_status()
        stored += await _work(agents, time.monotonic() + 600)
    elapsed = time.monotonic() - started
    used = {name: _cpu_seconds(p) - before[name] for name, p in pids.items()}
    used["agents"] = time.process_time() - agents_before
    busy = ", ".join(f"{name} {cpu / elapsed:.2f}" for name, cpu in used.items())
    return stored / elapsed, used["server"] / stored * 1000, busy


def intake(app: Server, workdir: Path, args: argparse.Namespace) -> None:
    """Result intake's throughput without, then with, the page's readers."""
    import multiprocessing

    from benchmarks.harness import free_port, process
    from benchmarks.probe_cost import LOCATION, _create_checks, vantage_json
    from benchmarks.server_cost import FakeAgent, _template

    location = vantage_json(
        "locations", "create", LOCATION, "--name", "Bench", "--database-url", app.database_url
    )
    port = free_port()
    hold = [sys.executable, "-m", "benchmarks.hold_target", "--port", str(port)]
    with process(hold, port=port, log=workdir / "target.log"):
        target = f"http://127.0.0.1:{port}"
        asyncio.run(_create_checks(app.url, app.headers, target, args.intake_checks))

        async def measure(readers: bool) -> tuple[float, float, int, str]:
            async with httpx2.AsyncClient(base_url=app.url, headers=app.headers, timeout=60) as api:
                listed = (await api.get("/v1/checks", params={"limit": 100})).json()
                probes = [c for c in listed if str(c.get("name", "")).startswith("probe cost")]
                if not probes:
                    raise RuntimeError(f"no probe check among {str(listed)[:300]}")
                config = probes[0]
                template = await _template(config)
                agents = [FakeAgent(app.url, location["agentKey"], template, 25) for _ in range(2)]
                await _intake_phase(api, agents, args.intake_checks, args.intake_checks, app.pid)
                stop, reads = multiprocessing.Event(), multiprocessing.Value("i", 0)
                reader = multiprocessing.Process(
                    target=_read_until, args=(app.url, args.readers, stop, reads)
                )
                if readers:
                    reader.start()
                    await asyncio.sleep(5)  # the readers connected and reading
                try:
                    rate, cpu, busy = await _intake_phase(
                        api,
                        agents,
                        args.intake_checks,
                        args.intake,
                        app.pid,
                        reader.pid if readers else None,
                    )
                finally:
                    stop.set()
                    if readers:
                        reader.join()
                for agent in agents:
                    await agent.http.aclose()
                return rate, cpu, reads.value, busy

        figures = []
        for readers in (False, True):
            rate, cpu, reads, busy = asyncio.run(measure(readers))
            with_ = f"with {args.readers} readers ({reads} reads)" if readers else "alone"
            print(
                f"intake {with_}: {rate:.1f} results/s,"
                f" server CPU {cpu:.2f} s per 1000 results; cores busy: {busy}"
                f" (load {os.getloadavg()[0]:.1f})",
                flush=True,
            )
            figures.append(rate)
    alone, under = figures
    print(
        f"intake results/s: alone {alone:.1f}, with {args.readers} readers {under:.1f};"
        f" ratio {under / alone:.2f}",
        flush=True,
    )


def _logged_reads(log: Path, count: int, timeout: float = 60.0) -> list[float]:
    """The first `count` logged reads of the page (the server writes each line once it has
    answered; the client has its answers by now, so they come within moments)."""
    deadline = time.monotonic() + timeout
    while True:
        times = server_times(log)
        if len(times) >= count or time.monotonic() > deadline:
            return times[:count]
        time.sleep(0.2)


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--full", action="store_true", help="the issue's size (see the doc)")
    parser.add_argument("--readers", type=int, default=500)
    parser.add_argument("--reads", type=int, help="reads in the read-only phase (3000; full 20000)")
    parser.add_argument("--churn", action="store_true", help="new figures every second")
    parser.add_argument(
        "--intake", type=int, help="results per intake phase (500; full 2000; 0 skips intake)"
    )
    parser.add_argument(
        "--intake-checks", type=int, help="checks triggered at once (100; full 250)"
    )
    args = parser.parse_args()
    if args.reads is None:
        args.reads = 20_000 if args.full else 3_000
    if args.intake is None:
        args.intake = 2_000 if args.full else 500
    if args.intake_checks is None:
        args.intake_checks = 250 if args.full else 100
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        log = workdir / "server.log"
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
            print(
                f"page: {SERVICES} services in {CARDS} cards, 90 days x 3 locations, 20 incidents;"
                f" churn: {'a new run every second' if args.churn else 'none'}",
                flush=True,
            )
            cpu_before = _cpu_seconds(app.pid)
            started = time.monotonic()
            latencies, size = asyncio.run(read(app.url, args.readers, args.reads))
            elapsed = time.monotonic() - started
            cpu = _cpu_seconds(app.pid) - cpu_before
            stop.set()
            if args.churn:
                writer.join()
            # the first logged read was the uncached one
            cold, *times = _logged_reads(log, args.reads + 1)
            print(f"first (uncached) render: {cold:.1f} ms server time; HTML {size / 1024:.0f} KB")
            print(
                f"read only, {args.reads} reads by {args.readers} readers in {elapsed:.0f} s"
                f" ({args.reads / elapsed:.0f} requests/s): server p50"
                f" {percentile(times, 50):.1f} ms, p99 {percentile(times, 99):.1f} ms,"
                f" max {max(times):.1f} ms; client p99 {percentile(latencies, 99):.1f} ms"
            )
            print(f"server CPU {cpu:.2f} s = {cpu / args.reads * 1000:.3f} s per 1000 reads")
            print(_load(), flush=True)
            if args.intake:
                intake(app, workdir, args)
        # the log is complete once the server has stopped
        under_intake = server_times(log)[args.reads + 1 :]
        if under_intake:
            print(
                f"{len(under_intake)} reads during intake: server p50"
                f" {percentile(under_intake, 50):.1f} ms, p99 {percentile(under_intake, 99):.1f} ms"
            )
        print(_load())


if __name__ == "__main__":
    main()
