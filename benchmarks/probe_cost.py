"""CPU per HTTP probe: a whole `vantage agent` vs prometheus-blackbox-exporter in one run (issue 5).

Method of perf-anchors.md: one local target (`benchmarks.hold_target`, `GET /ok`, a fresh TCP
connection per probe, `Connection: close`) pinned to CPU 1; the measured prober alone on CPU 0
(`taskset`); CPU = utime+stime of the prober process, all threads, from /proc/PID/stat before and
after a phase of `--probes` probes. Repetitions interleave the two probers (the order alternates),
as a VM drifts 10-35% between runs: compare the per-repetition ratio.

- **agent**: a real `vantage agent` process (`--concurrency 50`) for location `bench` of a
  `vantage server --no-local-agent` (SQLite, CPU 1). `--checks` API checks (GET /ok, a status-code
  and a JSON-body assertion) are created through the API; a phase triggers all of them
  (`POST /v2/check-sessions/trigger`) `probes / checks` times and ends when the server has stored
  that many more results. The agent's figure is everything it does: leasing, probes, assertions,
  timings, result serialization and upload, heartbeats. The server's CPU over the same phase is
  printed too (per 10k results; it includes creating the triggered sessions).
- **blackbox**: `prometheus-blackbox-exporter` (module http_2xx, GOMAXPROCS=1 from the pinning)
  driven through `/probe?module=http_2xx&target=...` by `hey` (50 in flight, keep-alive, on CPU 1).

The target counts the requests it answered, so each phase is checked to have probed it exactly
`--probes` times. Goal: agent <= 0.75x blackbox. `--profile FILE` adds one agent phase recorded with
py-spy (`.txt`: collapsed stacks, and a summary is printed; `.svg`: flame graph); the agent by
default, the server with `--profile-process server`.

    python -m benchmarks.probe_cost [--probes 10000] [--reps 3] [--checks 500] [--profile FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx2

from benchmarks.harness import free_port, process

LOCATION = "bench"
CONCURRENCY = 50
TICK = os.sysconf("SC_CLK_TCK")
BLACKBOX_CONFIG = """modules:
  http_2xx:
    prober: http
    timeout: 5s
    http:
      preferred_ip_protocol: ip4
"""


# `--agent-loop uvloop`: install uvloop's policy before the CLI starts its loop (an experiment: the
# CLI as shipped calls uvloop.install() inside a coroutine asyncio.run already runs, too late)
UVLOOP = "import uvloop; uvloop.install(); from vantage.cli import main; main()"


def cpu_seconds(pid: int) -> float:
    """utime + stime of a whole process (every thread), from /proc/PID/stat."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def require_tools() -> None:
    missing = [
        tool
        for tool in ("prometheus-blackbox-exporter", "hey", "taskset")
        if shutil.which(tool) is None
    ]
    if missing:
        packages = {
            "prometheus-blackbox-exporter": "prometheus-blackbox-exporter",
            "hey": "hey",
            "taskset": "util-linux",
        }
        names = " ".join(packages[m] for m in missing)
        sys.exit(f"missing {', '.join(missing)}: apt-get install {names}")
    if (os.cpu_count() or 1) < 2:
        sys.exit("needs 2 CPUs: the prober on CPU 0, everything else on CPU 1")


def vantage_json(*args: str) -> dict[str, str]:
    done = subprocess.run(
        [sys.executable, "-m", "vantage", *args, "--json"], check=True, capture_output=True
    )
    result: dict[str, str] = json.loads(done.stdout)
    return result


@contextlib.contextmanager
def background(args: list[str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A process that listens on nothing (the agent, py-spy); SIGTERM at the end."""
    with log.open("wb") as out:
        proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT)
        try:
            yield proc
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def target_served(url: str) -> int:
    served: int = httpx2.get(f"{url}/stats", timeout=10).raise_for_status().json()["served"]
    return served


@dataclass
class Bench:
    target: str
    server: str
    api: httpx2.Client
    db: Path
    agent_pid: int
    server_pid: int
    blackbox: str
    blackbox_pid: int
    checks: int

    def results(self) -> int:
        with contextlib.closing(sqlite3.connect(f"file:{self.db}?mode=ro", uri=True)) as conn:
            count: int = conn.execute("SELECT count(*) FROM check_results").fetchone()[0]
            return count

    def timed_out_sessions(self) -> int:
        with contextlib.closing(sqlite3.connect(f"file:{self.db}?mode=ro", uri=True)) as conn:
            count: int = conn.execute(
                "SELECT count(*) FROM check_sessions WHERE status = 'TIMED_OUT'"
            ).fetchone()[0]
            return count

    def failed_results(self) -> int:
        with contextlib.closing(sqlite3.connect(f"file:{self.db}?mode=ro", uri=True)) as conn:
            count: int = conn.execute(
                "SELECT count(*) FROM check_results WHERE has_failures OR has_errors"
            ).fetchone()[0]
            return count


@dataclass
class Phase:
    cpu: float  # prober CPU seconds
    probes: int
    wall: float
    server_cpu: float = 0.0
    other_cpu: float = 0.0  # the other prober, idle meanwhile

    def per_10k(self) -> float:
        return self.cpu / self.probes * 10_000


async def _create_checks(bench_url: str, headers: dict[str, str], target: str, n: int) -> None:
    async with httpx2.AsyncClient(base_url=bench_url, headers=headers, timeout=60) as http:
        sem = asyncio.Semaphore(16)

        async def one(i: int) -> None:
            async with sem:
                response = await http.post(
                    "/v1/checks/api",
                    json={
                        "name": f"probe cost {i}",
                        "activated": True,
                        "frequency": 1440,  # runs only when triggered (and once a day)
                        "locations": [LOCATION],
                        "request": {
                            "method": "GET",
                            "url": f"{target}/ok",
                            "assertions": [
                                {"source": "STATUS_CODE", "comparison": "EQUALS", "target": "200"},
                                {
                                    "source": "JSON_BODY",
                                    "property": "$.ok",
                                    "comparison": "EQUALS",
                                    "target": "true",
                                },
                            ],
                        },
                    },
                )
                response.raise_for_status()

        await asyncio.gather(*(one(i) for i in range(n)))


def agent_phase(bench: Bench, probes: int, timeout: float = 600.0) -> Phase:
    # The timeout only catches a stuck run: on a machine shared with other work a phase of 10k
    # probes has taken 2.5 minutes.
    triggers = max(1, round(probes / bench.checks))
    expected = triggers * bench.checks
    base = bench.results()
    timed_out_before = bench.timed_out_sessions()
    served = target_served(bench.target)
    agent0, server0 = cpu_seconds(bench.agent_pid), cpu_seconds(bench.server_pid)
    bb0 = cpu_seconds(bench.blackbox_pid)
    started = time.monotonic()
    for _ in range(triggers):
        bench.api.post("/v2/check-sessions/trigger", json={}).raise_for_status()
    while (stored := bench.results() - base) < expected:
        # A session whose runs did not start before its deadline (the run's timeout plus the
        # server's slack) ends TIMED_OUT and its queued runs are dropped, as Checkly's are: their
        # results never come. That is a machine too slow for the phase, not a lost result.
        timed_out = bench.timed_out_sessions() - timed_out_before
        if timed_out and stored + timed_out >= expected:
            raise RuntimeError(
                f"agent phase: {timed_out} of {expected} sessions timed out before an agent ran"
                f" them ({stored} results stored): the machine is too busy for this phase; run"
                " it with fewer --probes or on a quieter machine"
            )
        if time.monotonic() - started > timeout:
            raise RuntimeError(
                f"agent phase: {stored} of {expected} results after {timeout} s"
                f" ({timed_out} sessions timed out)"
            )
        time.sleep(0.05)
    wall = time.monotonic() - started
    phase = Phase(
        cpu=cpu_seconds(bench.agent_pid) - agent0,
        probes=expected,
        wall=wall,
        server_cpu=cpu_seconds(bench.server_pid) - server0,
        other_cpu=cpu_seconds(bench.blackbox_pid) - bb0,
    )
    hits = target_served(bench.target) - served
    if hits < expected:
        raise RuntimeError(f"agent phase: the target answered {hits} of {expected} probes")
    return phase


def blackbox_phase(bench: Bench, probes: int) -> Phase:
    url = f"{bench.blackbox}/probe?module=http_2xx&target={bench.target}/ok"
    served, stored = target_served(bench.target), bench.results()
    bb0, agent0 = cpu_seconds(bench.blackbox_pid), cpu_seconds(bench.agent_pid)
    server0 = cpu_seconds(bench.server_pid)
    started = time.monotonic()
    out = subprocess.run(
        ["taskset", "-c", "1", "hey", "-n", str(probes), "-c", str(CONCURRENCY), "-t", "30", url],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    wall = time.monotonic() - started
    phase = Phase(
        cpu=cpu_seconds(bench.blackbox_pid) - bb0,
        probes=probes,
        wall=wall,
        server_cpu=cpu_seconds(bench.server_pid) - server0,
        other_cpu=cpu_seconds(bench.agent_pid) - agent0,
    )
    ok = next((line for line in out.splitlines() if "[200]" in line and "responses" in line), "")
    hits = target_served(bench.target) - served
    # a check's once-a-day scheduled run may land in this phase: the agent probes the target too
    strays = bench.results() - stored
    if f"[200]\t{probes} responses" not in ok or not probes <= hits <= probes + strays + 2:
        raise RuntimeError(f"blackbox phase: {ok.strip()!r}, target answered {hits} of {probes}")
    return phase


def check_blackbox_probe(bench: Bench) -> None:
    url = f"{bench.blackbox}/probe?module=http_2xx&target={bench.target}/ok"
    body = httpx2.get(url, timeout=10).text
    if "probe_success 1" not in body:
        raise RuntimeError(f"blackbox cannot probe the target:\n{body}")


def summarize_profile(path: Path, who: str, top: int = 25) -> None:
    """Inclusive and self share of the functions in py-spy's collapsed stacks."""
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        total += count
        frames = stack.split(";")
        for frame in set(frames):
            inclusive[frame] += count
        own[frames[-1]] += count
    if not total:
        print("profile: no samples")
        return
    print(f"profile: {total} samples; inclusive share of the {who}'s time (top {top}):")
    for frame, count in inclusive.most_common(top):
        print(f"  {100 * count / total:5.1f}%  {frame}")
    print(f"self (leaf) share (top {top}):")
    for frame, count in own.most_common(top):
        print(f"  {100 * count / total:5.1f}%  {frame}")


def profile_phase(bench: Bench, probes: int, out: Path, workdir: Path, who: str) -> None:
    pid = bench.agent_pid if who == "agent" else bench.server_pid
    py_spy = Path(sys.executable).parent / "py-spy"
    fmt = "raw" if out.suffix == ".txt" else "flamegraph"
    args = [
        "taskset",
        "-c",
        "1",
        str(py_spy),
        "record",
        "-p",
        str(pid),
        "-r",
        "250",
        "-o",
        str(out),
        "-f",
        fmt,
        "--nonblocking",
    ]
    with background(args, workdir / "py-spy.log") as spy:
        time.sleep(1.0)  # attached
        phase = agent_phase(bench, probes)
        spy.send_signal(signal.SIGINT)
        spy.wait(timeout=30)
    print(
        f"profiled the {who} over an agent phase: agent {phase.per_10k():.2f} CPU s / 10k, server "
        f"{phase.server_cpu / phase.probes * 10_000:.2f} per 10k results under py-spy "
        f"({phase.probes / phase.wall:.0f} probes/s); written to {out}"
    )
    if fmt == "raw" and out.exists():
        summarize_profile(out, who)


def run(args: argparse.Namespace, workdir: Path) -> None:
    os.sched_setaffinity(0, {1})  # this driver, the server, the target and hey share CPU 1
    db = workdir / "vantage.db"
    database_url = f"sqlite:///{db}"
    account = vantage_json("accounts", "create", "bench", "--database-url", database_url)
    location = vantage_json(
        "locations", "create", LOCATION, "--name", "Bench", "--database-url", database_url
    )
    (workdir / "blackbox.yml").write_text(BLACKBOX_CONFIG)
    vantage = [sys.executable, "-m", "vantage"]
    target_port, server_port, bb_port = free_port(), free_port(), free_port()
    with contextlib.ExitStack() as stack:
        stack.enter_context(
            process(
                [
                    sys.executable,
                    "-m",
                    "benchmarks.hold_target",
                    "--port",
                    str(target_port),
                    "--cpu",
                    "1",
                ],
                port=target_port,
                log=workdir / "target.log",
            )
        )
        server = stack.enter_context(
            process(
                [
                    "taskset",
                    "-c",
                    "1",
                    *vantage,
                    "server",
                    "--port",
                    str(server_port),
                    "--database-url",
                    database_url,
                    "--no-local-agent",
                    "--log-format",
                    "json",
                ],
                port=server_port,
                log=workdir / "server.log",
            )
        )
        blackbox = stack.enter_context(
            process(
                [
                    "taskset",
                    "-c",
                    "0",
                    "prometheus-blackbox-exporter",
                    f"--config.file={workdir / 'blackbox.yml'}",
                    f"--web.listen-address=127.0.0.1:{bb_port}",
                ],
                port=bb_port,
                log=workdir / "blackbox.log",
            )
        )
        server_url = f"http://127.0.0.1:{server_port}"
        launcher = vantage if args.agent_loop == "as-shipped" else [sys.executable, "-c", UVLOOP]
        agent = stack.enter_context(
            background(
                [
                    "taskset",
                    "-c",
                    "0",
                    *launcher,
                    "agent",
                    "--server",
                    server_url,
                    "--location",
                    LOCATION,
                    "--key",
                    location["agentKey"],
                    "--concurrency",
                    str(CONCURRENCY),
                    "--outbox",
                    str(workdir / "outbox"),
                    "--log-format",
                    "json",
                ],
                workdir / "agent.log",
            )
        )
        headers = {
            "Authorization": f"Bearer {account['apiKey']}",
            "X-Checkly-Account": account["accountId"],
        }
        api = stack.enter_context(httpx2.Client(base_url=server_url, headers=headers, timeout=60))
        target_url = f"http://127.0.0.1:{target_port}"
        started = time.monotonic()
        asyncio.run(_create_checks(server_url, headers, target_url, args.checks))
        print(f"created {args.checks} checks in {time.monotonic() - started:.1f} s", flush=True)
        bench = Bench(
            target=target_url,
            server=server_url,
            api=api,
            db=db,
            agent_pid=agent.pid,
            server_pid=server.pid,
            blackbox=f"http://127.0.0.1:{bb_port}",
            blackbox_pid=blackbox.pid,
            checks=args.checks,
        )
        check_blackbox_probe(bench)
        # warm-up: imports, caches, the first sessions; not counted
        agent_phase(bench, args.checks)
        blackbox_phase(bench, 1000)
        agent_runs: list[Phase] = []
        bb_runs: list[Phase] = []
        for rep in range(args.reps):
            order = ("agent", "blackbox") if rep % 2 == 0 else ("blackbox", "agent")
            for name in order:
                if name == "agent":
                    agent_runs.append(agent_phase(bench, args.probes))
                else:
                    bb_runs.append(blackbox_phase(bench, args.probes))
            a, b = agent_runs[-1], bb_runs[-1]
            print(
                f"rep {rep + 1}: agent {a.per_10k():6.2f} CPU s/10k ({a.probes / a.wall:4.0f} "
                f"probes/s, {100 * a.cpu / a.wall:3.0f}% of CPU 0; server "
                f"{a.server_cpu / a.probes * 10_000:6.2f} s/10k results)   blackbox "
                f"{b.per_10k():6.2f} CPU s/10k ({b.probes / b.wall:4.0f} probes/s, "
                f"{100 * b.cpu / b.wall:3.0f}% of CPU 0)   agent/blackbox "
                f"{a.per_10k() / b.per_10k():.2f}",
                flush=True,
            )
        failed = bench.failed_results()
        if args.profile:
            profile_phase(
                bench, args.probes, Path(args.profile).resolve(), workdir, args.profile_process
            )
    report(agent_runs, bb_runs, failed)


def report(agent_runs: list[Phase], bb_runs: list[Phase], failed: int) -> None:
    if not agent_runs:  # --reps 0: a profile only
        return

    def line(name: str, values: list[float], unit: str = "CPU s / 10k") -> str:
        return (
            f"{name:34s} {statistics.median(values):7.2f} {unit}  "
            f"(min {min(values):.2f}, max {max(values):.2f})"
        )

    ratios = [a.per_10k() / b.per_10k() for a, b in zip(agent_runs, bb_runs, strict=True)]
    print(
        f"\n{len(agent_runs)} repetitions of {agent_runs[0].probes} probes per prober, "
        f"{CONCURRENCY} in flight, fresh connection per probe; checks failed: {failed}"
    )
    print(line("vantage agent (whole process)", [a.per_10k() for a in agent_runs]))
    print(line("blackbox_exporter (/probe)", [b.per_10k() for b in bb_runs]))
    print(line("agent / blackbox", ratios, unit="x       "))
    print(
        line(
            "server, per 10k agent results", [a.server_cpu / a.probes * 10_000 for a in agent_runs]
        )
    )
    print(line("agent + server", [(a.cpu + a.server_cpu) / a.probes * 10_000 for a in agent_runs]))
    print(
        f"idle CPU of the prober not being measured: agent "
        f"{statistics.median(b.other_cpu for b in bb_runs):.2f} s per blackbox phase, blackbox "
        f"{statistics.median(a.other_cpu for a in agent_runs):.2f} s per agent phase"
    )
    median = statistics.median(ratios)
    verdict = "MET" if median <= 0.75 else "NOT MET"
    print(f"goal: agent <= 0.75x blackbox -> {median:.2f}x, {verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--probes", type=int, default=10_000, help="probes per prober and rep")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--checks", type=int, default=500, help="checks triggered together")
    parser.add_argument("--profile", metavar="FILE", help="py-spy an extra agent phase")
    parser.add_argument(
        "--profile-process",
        choices=["agent", "server"],
        default="agent",
        help="the process --profile records",
    )
    parser.add_argument(
        "--agent-loop",
        choices=["as-shipped", "uvloop"],
        default="as-shipped",
        help="uvloop: start the agent with uvloop's policy installed first (experiment)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the work directory (logs)")
    args = parser.parse_args()
    require_tools()
    if args.keep:
        workdir = Path(tempfile.mkdtemp(prefix="probe-cost-"))
        print(f"work directory: {workdir}")
        run(args, workdir)
    else:
        with tempfile.TemporaryDirectory(prefix="probe-cost-") as tmp:
            run(args, Path(tmp))


if __name__ == "__main__":
    main()
