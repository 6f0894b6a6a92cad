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
from dataclasses import dataclass, field
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


# A wait on the server answering, not a timing: at load 20-25 on 2 cores a start has taken over
# 90 s (the two-agent browser test was taken out for it in e335440).
START_SECONDS = 180


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.upper().endswith("_PROXY")}


@dataclass
class Server:
    database_url: str
    port: int
    log: Path
    process: subprocess.Popen[bytes] | None = None
    # The embedded agent (location `local`) runs only when asked; extra VANTAGE_* settings.
    local_agent: bool = False
    env: dict[str, str] = field(default_factory=dict)

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
                *([] if self.local_agent else ["--no-local-agent"]),
                "--port",
                str(self.port),
                "--database-url",
                self.database_url,
                "--log-format",
                "json",
            ],  # fmt: skip
            stdout=handle,
            stderr=subprocess.STDOUT,
            # No scheduled run may land in the middle of a test's exact counts, unless asked; the
            # embedded agent may reach the loopback targets (its default policy denies loopback).
            env={
                **_env(),
                "VANTAGE_SCHEDULER": "false",
                "VANTAGE_PROBE_DENY": "link-local,metadata",
                **self.env,
            },
        )
        # Generous: on a machine shared with other test runs (load 20 on 2 cores), importing
        # the server alone has taken over 20 s.
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log.read_text()
            try:
                httpx2.get(f"{self.url}/v1/locations", timeout=1)
                return
            except httpx2.HTTPError:
                time.sleep(0.1)
        # the fixture's teardown does not run when its setup fails: end the process here
        self.process.kill()
        self.process.wait()
        raise AssertionError(f"server did not start:\n{self.log.read_text()}")

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)

    def pause(self) -> None:
        """SIGSTOP: the server keeps its sockets but answers nothing until `resume`."""
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)


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

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)

    def pause(self) -> None:
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        self.process.send_signal(signal.SIGCONT)

    def events(self) -> list[dict[str, Any]]:
        return log_events(self.output())

    def agent_id(self, timeout: float = 15) -> str:
        """The id it leases under, from its `agent started` line."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for event in self.events():
                if event.get("event") == "agent started":
                    return str(event["agent"])
            assert self.process.poll() is None, self.output()
            time.sleep(0.05)
        raise AssertionError(f"agent did not start:\n{self.output()}")


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
            "--outbox",
            str(outbox),
            "--log-format",
            "json",
            *extra,
        ],  # fmt: skip
        stdout=subprocess.DEVNULL,
        stderr=open(log, "wb"),  # noqa: SIM115
        # The key as the README passes it (spawn_agent passes --key, which works too).
        env={**_env(), "VANTAGE_AGENT_KEY": key},
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


def spawn_agent(
    server_url: str, location: str, key: str, outbox: Path, tmp: Path, *extra: str
) -> AgentProcess:
    """A `vantage agent` for any server URL (a replica, or a proxy in front of one); the caller
    kills it (`AgentProcess.kill`)."""
    log = tmp / f"agent-{location}-{time.monotonic_ns()}.log"
    with open(log, "wb") as stderr:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "vantage",
                "agent",
                "--server",
                server_url,
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
            stderr=stderr,
            env=_env(),
        )
    return AgentProcess(process, log)
