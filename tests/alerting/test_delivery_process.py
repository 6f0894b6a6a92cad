"""The delivery worker in a child process of the server: woken through its pipe, started again
when it dies, stopped with the server, and gone when the server is killed."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx2
import pytest

from tests.agent.processes import Server, free_port
from tests.alerting.conftest import alerting_settings
from tests.alerting.flow import channel, check, point_at, run, settled
from tests.alerting.receiver import Receiver
from tests.support.harness import Harness, Persona, running_vantage
from tests.targets.http_target import HttpTarget

MODULE = "vantage.alerting.delivery_process"
# Longer than any wait below: a notification that arrives came through a wake-up, not the
# worker's fallback poll.
POLL_SECONDS = 600


def children(parent: int) -> list[int]:
    """The delivery processes whose parent is `parent`, from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == parent and MODULE.encode() in cmdline:
            found.append(int(entry.name))
    return found


async def child_of(parent: int, *, other_than: int | None = None, timeout: float = 60) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [pid for pid in children(parent) if pid != other_than]
        if found:
            return found[0]
        await asyncio.sleep(0.05)
    raise AssertionError(f"no delivery process under {parent}")


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


async def gone(pid: int, timeout: float = 30) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not alive(pid):
            return True
        await asyncio.sleep(0.05)
    return False


@pytest.fixture
async def vantage(database_url: str, receiver: Receiver) -> AsyncIterator[Harness]:
    settings = alerting_settings(
        database_url, receiver, alert_delivery_process=True, alert_poll_seconds=POLL_SECONDS
    )
    async with running_vantage(settings) as harness:
        yield harness


async def test_the_child_process_sends_each_alert_as_soon_as_it_is_raised(
    vantage: Harness, alice: Persona, http_target: HttpTarget, receiver: Receiver
) -> None:
    await child_of(os.getpid())
    hook = await channel(alice, "WEBHOOK", {"url": receiver.url + "/hook"})
    check_id = await check(alice, http_target, [hook])
    assert await run(alice, check_id) == "FAILED"
    await receiver.wait_for(1, timeout=60)
    await settled(vantage, 1)
    # The worker is idle now, until a wake-up or its poll: the recovery comes through the pipe.
    await point_at(alice, check_id, http_target, "/ok")
    assert await run(alice, check_id) == "PASSED"
    received = await receiver.wait_for(2, timeout=60)
    assert [r.json()["ALERT_TYPE"] for r in received] == ["ALERT_FAILURE", "ALERT_RECOVERY"]
    rows = await settled(vantage, 2)
    assert [(r.status, r.attempts) for r in rows] == [("SUCCESS", 1), ("SUCCESS", 1)]


async def test_a_child_that_dies_is_replaced_and_the_next_alert_still_goes_out(
    vantage: Harness, alice: Persona, http_target: HttpTarget, receiver: Receiver
) -> None:
    first = await child_of(os.getpid())
    os.kill(first, signal.SIGKILL)
    await child_of(os.getpid(), other_than=first)
    hook = await channel(alice, "WEBHOOK", {"url": receiver.url + "/hook"})
    check_id = await check(alice, http_target, [hook])
    assert await run(alice, check_id) == "FAILED"
    [got] = await receiver.wait_for(1, timeout=60)
    assert got.json()["CHECK_ID"] == check_id


async def test_the_child_stops_with_the_app(database_url: str, receiver: Receiver) -> None:
    settings = alerting_settings(database_url, receiver, alert_delivery_process=True)
    async with running_vantage(settings):
        pid = await child_of(os.getpid())
    assert await gone(pid, timeout=10)


@pytest.fixture
def server(tmp_path: Path) -> Server:
    database_url = f"sqlite:///{tmp_path / 'vantage.db'}"
    return Server(database_url, free_port(), tmp_path / "server.log")


async def test_a_killed_server_takes_its_delivery_process_with_it(server: Server) -> None:
    server.start()
    assert server.process is not None
    pid = await child_of(server.process.pid)
    server.kill()
    assert await gone(pid), "the delivery process outlived its server"


async def test_a_stopped_server_stops_its_delivery_process_and_exits_cleanly(
    server: Server,
) -> None:
    server.start()
    assert server.process is not None
    pid = await child_of(server.process.pid)
    server.process.send_signal(signal.SIGTERM)
    assert server.process.wait(30) == 0
    assert await gone(pid, timeout=5)
    assert "alert delivery process started" in server.log.read_text()
    with pytest.raises(httpx2.HTTPError):
        httpx2.get(f"{server.url}/v1/locations", timeout=1)


def test_the_child_exits_at_once_when_its_server_says_nothing() -> None:
    done = subprocess.run(
        [sys.executable, "-m", MODULE], input=b"", capture_output=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
