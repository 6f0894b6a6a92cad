"""The delivery worker in a child process of the server: started once there is something to
deliver, woken through its pipe, started again when it dies, stopped with the server, and gone
when the server is killed."""

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
import sqlalchemy as sa

from tests.agent.processes import Server, free_port, vantage_cli
from tests.alerting.conftest import alerting_settings
from tests.alerting.flow import channel, check, point_at, run, settled
from tests.alerting.receiver import Receiver, Reply
from tests.e2e.support import Api
from tests.support.harness import Harness, Persona, running_vantage
from tests.targets.http_target import HttpTarget
from vantage.db.tables import alert_notifications
from vantage.timeutil import utcnow

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


async def failing_check(alice: Persona, http_target: HttpTarget, receiver: Receiver) -> str:
    hook = await channel(alice, "WEBHOOK", {"url": receiver.url + "/hook"})
    return await check(alice, http_target, [hook])


async def test_no_process_starts_until_a_channel_exists_then_each_alert_goes_out_at_once(
    vantage: Harness, alice: Persona, http_target: HttpTarget, receiver: Receiver
) -> None:
    await alice.get("/v1/alert-channels")
    assert children(os.getpid()) == []
    check_id = await failing_check(alice, http_target, receiver)
    await child_of(os.getpid())
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
    check_id = await failing_check(alice, http_target, receiver)
    assert await run(alice, check_id) == "FAILED"
    first = await child_of(os.getpid())
    await receiver.wait_for(1, timeout=60)
    # Killed once idle: killed mid-send, its notification would wait for its lease to run out.
    await settled(vantage, 1)
    os.kill(first, signal.SIGKILL)
    await child_of(os.getpid(), other_than=first)
    await point_at(alice, check_id, http_target, "/ok")
    assert await run(alice, check_id) == "PASSED"
    received = await receiver.wait_for(2, timeout=60)
    assert received[-1].json()["ALERT_TYPE"] == "ALERT_RECOVERY"


async def test_what_was_queued_before_a_restart_starts_the_process_at_once(
    database_url: str, receiver: Receiver, http_target: HttpTarget
) -> None:
    """A notification stored and not delivered (the receiver was down, its retry is ahead): the
    next start runs its process before any alert is raised, and that process sends it."""
    down = alerting_settings(
        database_url, receiver, alert_delivery_process=False, alert_retry_base_seconds=600
    )
    receiver.script = [Reply(status=503)]
    async with running_vantage(down) as first:
        alice = await first.persona("alice")
        check_id = await failing_check(alice, http_target, receiver)
        assert await run(alice, check_id) == "FAILED"
        await receiver.wait_for(1, timeout=60)
    later = alerting_settings(
        database_url, receiver, alert_delivery_process=True, alert_retry_base_seconds=0.05
    )
    async with running_vantage(later) as second:
        await child_of(os.getpid())
        async with second.runtime.db.write() as conn:
            # its retry falls due now, as if the ten minutes had passed
            await conn.execute(sa.update(alert_notifications).values(next_attempt_at=utcnow()))
        received = await receiver.wait_for(2, timeout=60)
        assert received[-1].json()["CHECK_ID"] == check_id


async def test_the_child_stops_with_the_app(
    database_url: str, receiver: Receiver, http_target: HttpTarget
) -> None:
    settings = alerting_settings(database_url, receiver, alert_delivery_process=True)
    async with running_vantage(settings) as harness:
        alice = await harness.persona("alice")
        check_id = await failing_check(alice, http_target, receiver)
        assert await run(alice, check_id) == "FAILED"
        pid = await child_of(os.getpid())
    assert await gone(pid, timeout=10)


@pytest.fixture
async def server(
    tmp_path: Path, receiver: Receiver, http_target: HttpTarget
) -> AsyncIterator[tuple[Server, int]]:
    """A real `vantage server` whose delivery process runs: an alert was raised."""
    database_url = f"sqlite:///{tmp_path / 'vantage.db'}"
    account = vantage_cli("accounts", "create", "ops", "--database-url", database_url)
    running = Server(
        database_url,
        free_port(),
        tmp_path / "server.log",
        local_agent=True,
        env={"VANTAGE_ALERT_DENY": ""},
    )
    running.start()
    assert running.process is not None
    api = Api(running.url, str(account["accountId"]), str(account["apiKey"]))
    try:
        hook = await api.client.post(
            "/v1/alert-channels", json={"type": "WEBHOOK", "config": {"url": receiver.url}}
        )
        assert hook.status_code == 201, hook.text
        subscriptions = [{"alertChannelId": hook.json()["id"], "activated": True}]
        check_id = await api.create_check(
            f"{http_target.base_url}/status/500",
            ["local"],
            alertChannelSubscriptions=subscriptions,
        )
        assert (await api.completion(await api.trigger(check_id)))["status"] == "FAILED"
        pid = await child_of(running.process.pid)
        yield running, pid
    finally:
        await api.aclose()
        running.kill()


async def test_a_killed_server_takes_its_delivery_process_with_it(
    server: tuple[Server, int],
) -> None:
    running, pid = server
    running.kill()
    assert await gone(pid), "the delivery process outlived its server"


async def test_a_stopped_server_stops_its_delivery_process_and_exits_cleanly(
    server: tuple[Server, int],
) -> None:
    running, pid = server
    assert running.process is not None
    running.process.send_signal(signal.SIGTERM)
    assert running.process.wait(30) == 0
    assert await gone(pid, timeout=5)
    assert "alert delivery process started" in running.log.read_text()
    with pytest.raises(httpx2.HTTPError):
        httpx2.get(f"{running.url}/v1/locations", timeout=1)


def test_the_child_exits_at_once_when_its_server_says_nothing() -> None:
    done = subprocess.run(
        [sys.executable, "-m", MODULE], input=b"", capture_output=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
