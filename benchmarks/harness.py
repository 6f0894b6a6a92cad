"""Start real processes for benchmarks: a Vantage server, a target, an account."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx2


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for_port(port: int, timeout: float = 180.0) -> None:
    # 180 s: on the shared 2-vCPU machine a server's start alone (imports, migrations) took 25 s,
    # and over 60 s at a load average of 20.
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on port {port} after {timeout} s")


@contextmanager
def process(
    args: list[str], *, port: int, log: Path, env: dict[str, str] | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as out:
        proc = subprocess.Popen(
            args, stdout=out, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})}
        )
        try:
            wait_for_port(port)
            yield proc
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()


@contextmanager
def target(workdir: Path, cpu: int | None = 1) -> Iterator[str]:
    port = free_port()
    args = [sys.executable, "-m", "benchmarks.target", "--port", str(port)]
    if cpu is not None:
        args += ["--cpu", str(cpu)]
    with process(args, port=port, log=workdir / "target.log"):
        yield f"http://127.0.0.1:{port}"


@dataclass
class Server:
    url: str
    database_url: str
    account_id: str
    api_key: str
    pid: int

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}", "X-Checkly-Account": self.account_id}

    def client(self) -> httpx2.Client:
        return httpx2.Client(
            base_url=self.url,
            headers={
                "Authorization": f"Bearer {self.api_key}",
                "X-Checkly-Account": self.account_id,
            },
            timeout=60,
        )


# The embedded agent probes the loopback target, which its default policy denies.
SERVER_ENV = {"VANTAGE_PROBE_DENY": "link-local,metadata"}
# The figures are the server's, not its rate limiter's.
NO_RATE_LIMIT = {"VANTAGE_RATE_LIMIT": "0", "VANTAGE_RATE_LIMIT_ROUTES": ""}


@contextmanager
def server(
    workdir: Path,
    database_url: str | None = None,
    cpu: int | None = 0,
    env: dict[str, str] | None = None,
) -> Iterator[Server]:
    database_url = database_url or f"sqlite:///{workdir / 'vantage.db'}"
    vantage = [sys.executable, "-m", "vantage"]
    created = subprocess.run(
        [*vantage, "accounts", "create", "bench", "--json", "--database-url", database_url],
        check=True,
        capture_output=True,
    )
    account = json.loads(created.stdout)
    port = free_port()
    args = [
        *vantage,
        "server",
        "--port",
        str(port),
        "--database-url",
        database_url,
        "--log-format",
        "json",
    ]
    if cpu is not None:
        args = ["taskset", "-c", str(cpu), *args]
    env = {**SERVER_ENV, **(env or {})} | NO_RATE_LIMIT
    with process(args, port=port, log=workdir / "server.log", env=env) as proc:
        yield Server(
            f"http://127.0.0.1:{port}",
            database_url,
            account["accountId"],
            account["apiKey"],
            proc.pid,
        )


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


async def create_api_checks(
    url: str, headers: dict[str, str], target_url: str, count: int, **fields: object
) -> None:
    """Create `count` API checks of `target_url/ok` through the API, 16 requests at a time."""
    import asyncio

    async with httpx2.AsyncClient(base_url=url, headers=headers, timeout=60) as http:
        sem = asyncio.Semaphore(16)

        async def one(i: int) -> None:
            async with sem:
                response = await http.post(
                    "/v1/checks/api",
                    json={
                        "name": f"benchmark {i}",
                        **fields,
                        "request": {
                            "method": "GET",
                            "url": f"{target_url}/ok",
                            "assertions": [
                                {"source": "STATUS_CODE", "comparison": "EQUALS", "target": "200"}
                            ],
                        },
                    },
                )
                response.raise_for_status()

        await asyncio.gather(*(one(i) for i in range(count)))
