"""Vantage servers and agents as real subprocesses, as an operator runs them."""

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
from typing import Any

import httpx2


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def vantage_cli(*args: str) -> Any:
    done = subprocess.run(
        [sys.executable, "-m", "vantage", *args, "--json"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.upper().endswith("_PROXY")}


@dataclass
class Server:
    database_url: str
    port: int
    log: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        handle = open(self.log, "ab")  # noqa: SIM115
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "vantage",
                "server",
                "--no-local-agent",
                "--port",
                str(self.port),
                "--database-url",
                self.database_url,
                "--log-format",
                "json",
            ],  # fmt: skip
            stdout=handle,
            stderr=subprocess.STDOUT,
            env=_env(),
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log.read_text()
            try:
                httpx2.get(f"{self.url}/v1/locations", timeout=1)
                return
            except httpx2.HTTPError:
                time.sleep(0.1)
        raise AssertionError(f"server did not start:\n{self.log.read_text()}")

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)


@dataclass
class AgentProcess:
    process: subprocess.Popen[bytes]
    log: Path

    def stop(self, timeout: float = 30) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout)

    def output(self) -> str:
        return self.log.read_text()


@contextmanager
def running_server(database_url: str, tmp: Path) -> Iterator[Server]:
    server = Server(database_url, free_port(), tmp / "server.log")
    server.start()
    try:
        yield server
    finally:
        server.kill()


@contextmanager
def running_agent(
    server: Server, location: str, key: str, outbox: Path, tmp: Path, *extra: str
) -> Iterator[AgentProcess]:
    log = tmp / f"agent-{time.monotonic_ns()}.log"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "vantage",
            "agent",
            "--server",
            server.url,
            "--location",
            location,
            "--key",
            key,
            "--outbox",
            str(outbox),
            "--log-format",
            "json",
            *extra,
        ],  # fmt: skip
        stdout=subprocess.DEVNULL,
        stderr=open(log, "wb"),  # noqa: SIM115
        env=_env(),
    )
    agent = AgentProcess(process, log)
    try:
        yield agent
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)


def log_events(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]
