"""Server CPU per stored result, without probes: a stand-in agent that only leases and submits.

`probe_cost` measures the server over real probes, and its phases are as slow as the agent and
the target allow; on a machine shared with other work its sessions can time out before they are
leased. This measures the same server work alone: a `vantage server --no-local-agent` (SQLite, or
PostgreSQL with `--database-url`) with `--checks` API checks of location `bench`; a phase
triggers them all (`POST /v2/check-sessions/trigger`) `results / checks` times and, speaking the
agent protocol like `vantage agent` does (`--in-flight` agents' worth of leases of `--batch`
jobs, each batch handed in as one upload), stores a result for every job. Every result is a copy
of one real probe's result (run once at the start against `benchmarks.hold_target`), with its own
timestamps. CPU = utime+stime of the server process from /proc/PID/stat over a phase; the figure
is CPU seconds per 10,000 results, which includes creating the triggered sessions.

    python -m benchmarks.server_cost [--results 10000] [--reps 3] [--checks 500] [--batch 25]
                                     [--profile FILE.txt] [--database-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import shutil
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx2

from benchmarks.harness import free_port, process
from benchmarks.probe_cost import (
    LOCATION,
    _create_checks,
    background,
    cpu_seconds,
    summarize_profile,
    vantage_json,
)
from vantage.probes.runner import run_check
from vantage.probes.serialize import to_json
from vantage.probes.target_policy import TargetPolicy
from vantage.timeutil import iso, utcnow


class FakeAgent:
    """The agent protocol without probes: lease, then hand in a copy of `template` per job."""

    def __init__(self, server: str, key: str, template: dict[str, Any], batch: int) -> None:
        self.http = httpx2.AsyncClient(
            base_url=f"{server}/agent/v1",
            headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
            timeout=60,
            # Below uvicorn's 5 s keep-alive: a connection it closed between phases is not reused.
            limits=httpx2.Limits(keepalive_expiry=2.0),
        )
        self.template = template
        self.batch = batch

    async def lease(self) -> list[dict[str, Any]]:
        body = {"agentId": "bench", "location": LOCATION, "max": self.batch, "waitSeconds": 1.0}
        response = await self.http.post("/lease", json=body)
        response.raise_for_status()
        jobs: list[dict[str, Any]] = response.json()["jobs"]
        return jobs

    async def submit(self, jobs: list[dict[str, Any]]) -> None:
        now = iso(utcnow())
        items = [
            {
                "jobId": job["id"],
                "leaseOwner": job["leaseOwner"],
                "result": {**self.template, "startedAt": now, "stoppedAt": now},
            }
            for job in jobs
        ]
        content = json.dumps({"agentId": "bench", "location": LOCATION, "results": items})
        response = await self.http.post("/results", content=content.encode())
        response.raise_for_status()
        statuses = [r["status"] for r in response.json()["results"]]
        if statuses.count("accepted") != len(jobs):
            raise RuntimeError(f"results not accepted: {statuses}")


async def _work(agents: list[FakeAgent], until: float) -> int:
    stored = 0

    async def one(agent: FakeAgent) -> None:
        nonlocal stored
        while time.monotonic() < until:
            jobs = await agent.lease()
            if not jobs:
                return
            await agent.submit(jobs)
            stored += len(jobs)

    await asyncio.gather(*(one(a) for a in agents))
    return stored


async def phase(
    api: httpx2.AsyncClient, agents: list[FakeAgent], results: int, checks: int, pid: int
) -> float:
    """Server CPU seconds per 10k results over one phase of `results` results."""
    triggers = max(1, round(results / checks))
    cpu0 = cpu_seconds(pid)
    stored = 0
    for _ in range(triggers):
        (await api.post("/v2/check-sessions/trigger", json={})).raise_for_status()
        stored += await _work(agents, time.monotonic() + 600)
    cpu = cpu_seconds(pid) - cpu0
    if stored < triggers * checks:  # more: a check's once-a-day run came due meanwhile
        raise RuntimeError(f"stored {stored} results of {triggers * checks}")
    return cpu / stored * 10_000


async def _template(config: dict[str, Any]) -> dict[str, Any]:
    result = await run_check("API", config, policy=TargetPolicy())
    if result.has_failures or result.has_errors:
        raise RuntimeError(f"the template probe failed: {result.error}")
    return to_json(result)


def run(args: argparse.Namespace, workdir: Path) -> None:
    database_url = args.database_url or f"sqlite:///{workdir / 'vantage.db'}"
    account = vantage_json("accounts", "create", "bench", "--database-url", database_url)
    location = vantage_json(
        "locations", "create", LOCATION, "--name", "Bench", "--database-url", database_url
    )
    target_port, server_port = free_port(), free_port()
    with contextlib.ExitStack() as stack:
        stack.enter_context(
            process(
                [sys.executable, "-m", "benchmarks.hold_target", "--port", str(target_port)],
                port=target_port,
                log=workdir / "target.log",
            )
        )
        server = stack.enter_context(
            process(
                [
                    *(["taskset", "-c", str(args.cpu)] if args.cpu is not None else []),
                    sys.executable,
                    "-m",
                    "vantage",
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
        server_url = f"http://127.0.0.1:{server_port}"
        asyncio.run(
            _measure(
                args, workdir, server_url, account, location["agentKey"], target_port, server.pid
            )
        )


async def _measure(
    args: argparse.Namespace,
    workdir: Path,
    server_url: str,
    account: dict[str, str],
    agent_key: str,
    target_port: int,
    pid: int,
) -> None:
    headers = {
        "Authorization": f"Bearer {account['apiKey']}",
        "X-Checkly-Account": account["accountId"],
    }
    target_url = f"http://127.0.0.1:{target_port}"
    await _create_checks(server_url, headers, target_url, args.checks)
    async with httpx2.AsyncClient(base_url=server_url, headers=headers, timeout=60) as api:
        config = (await api.get("/v1/checks", params={"limit": 1})).raise_for_status().json()[0]
        template = await _template(config)
        agents = [
            FakeAgent(server_url, agent_key, template, args.batch) for _ in range(args.in_flight)
        ]
        await phase(api, agents, args.checks, args.checks, pid)  # warm-up, not counted
        figures = []
        for rep in range(args.reps):
            figures.append(await phase(api, agents, args.results, args.checks, pid))
            print(f"rep {rep + 1}: server {figures[-1]:.2f} CPU s / 10k results", flush=True)
        if figures:
            print(
                f"server CPU s / 10k results: median {statistics.median(figures):.2f} "
                f"(min {min(figures):.2f}, max {max(figures):.2f}, {len(figures)} reps)",
                flush=True,
            )
        if args.profile:
            out = Path(args.profile).resolve()
            py_spy = Path(sys.executable).parent / "py-spy"
            spy_args = [str(py_spy), "record", "-p", str(pid), "-r", "200", "-o", str(out)]
            with background([*spy_args, "-f", "raw", "--nonblocking"], workdir / "spy.log") as spy:
                await asyncio.sleep(1.0)
                per_10k = await phase(api, agents, args.results, args.checks, pid)
                spy.send_signal(signal.SIGINT)
                spy.wait(timeout=30)
            print(f"profiled phase: server {per_10k:.2f} CPU s / 10k results under py-spy")
            summarize_profile(out, "server", top=40)
        for agent in agents:
            await agent.http.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--results", type=int, default=10_000, help="results per rep")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--checks", type=int, default=500, help="checks triggered together")
    parser.add_argument("--batch", type=int, default=25, help="jobs per lease and upload")
    parser.add_argument("--in-flight", type=int, default=2, help="agents leasing at once")
    parser.add_argument("--cpu", type=int, default=None, help="pin the server to this CPU")
    parser.add_argument("--database-url", help="default: a new SQLite file")
    parser.add_argument("--profile", metavar="FILE.txt", help="py-spy one more phase")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (logs)")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="server-cost-"))
    try:
        run(args, workdir)
    finally:
        if args.keep:
            print(f"work directory: {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
