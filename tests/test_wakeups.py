"""Replicas on one PostgreSQL wake each other through LISTEN/NOTIFY (vantage.wakeups)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.support import go_sdk
from tests.support.checks import api_check
from tests.support.databases import fresh_postgres, sqlite_url
from tests.support.harness import Harness, running_vantage, settings_for
from tests.targets.http_target import HttpTarget
from vantage.db.engine import Database
from vantage.wakeups import Alarm, Signals


@pytest.fixture
async def postgres_url() -> str:
    return await fresh_postgres()


async def test_completion_on_one_replica_wakes_when_another_stores_the_result(
    postgres_url: str, http_target: HttpTarget
) -> None:
    front = settings_for(postgres_url, local_agent=False)
    worker = settings_for(postgres_url, local_agent=True)
    async with running_vantage(front) as a, running_vantage(worker) as b:
        # Without the notification this waiter would only wake at its periodic re-read.
        a.runtime.recheck_seconds = 600
        alice = await a.persona("alice")
        created = await alice.post("/v1/checks/api", json=api_check(f"{http_target.base_url}/ok"))
        trig = await alice.post(
            "/v2/check-sessions/trigger", json={"target": {"checkId": [created.json()["id"]]}}
        )
        session_id = trig.json()["sessions"][0]["checkSessionId"]
        done = await alice.get(
            f"/v2/check-sessions/{session_id}/completion", params={"maxWaitSeconds": 20}
        )
        assert done.status_code == 200, done.text
        assert done.json()["status"] == "PASSED"
        assert b.runtime.recheck_seconds is not None


async def test_work_queued_on_one_replica_signals_the_other(
    postgres_url: str, http_target: HttpTarget
) -> None:
    front = settings_for(postgres_url, local_agent=False)
    # No agent on either side, so nothing but the notification touches the event.
    worker = settings_for(postgres_url, local_agent=False)
    async with running_vantage(front) as a, running_vantage(worker) as b:
        event = b.runtime.signals.work_event("local")
        event.clear()
        alice = await a.persona("alice")
        created = await alice.post("/v1/checks/api", json=api_check(f"{http_target.base_url}/ok"))
        await alice.post(
            "/v1/check-sessions/trigger", json={"target": {"checkId": [created.json()["id"]]}}
        )
        async with asyncio.timeout(10):
            await event.wait()


async def test_an_sqlite_database_gets_a_bus_that_reaches_no_other_replica(
    tmp_path: Path,
) -> None:
    db = Database(sqlite_url(tmp_path))
    try:
        signals = Signals()
        bus = db.wakeup_bus(signals)
        await bus.start()
        await bus.stop()
        assert not bus.shared
        assert signals.broadcast is None
    finally:
        await db.dispose()


async def test_a_postgresql_database_gets_a_bus_that_forwards_while_started(
    postgres_url: str,
) -> None:
    db = Database(postgres_url)
    try:
        signals = Signals()
        bus = db.wakeup_bus(signals)
        assert bus.shared
        await bus.start()
        assert signals.broadcast is not None
        await bus.stop()
        assert signals.broadcast is None
    finally:
        await db.dispose()


def test_a_retired_agent_is_retired_only_in_the_runtime_it_said_goodbye_to() -> None:
    said_goodbye, other = Signals(), Signals()
    said_goodbye.retire("local", "agent-1")
    assert said_goodbye.is_retired("local", "agent-1")
    assert not said_goodbye.is_retired("berlin", "agent-1")
    assert not other.is_retired("local", "agent-1")


async def test_every_long_poll_of_a_location_shares_one_bell_rung_by_queued_work() -> None:
    signals = Signals()
    bell = signals.bell("local")
    assert signals.bell("local") is bell
    assert Signals().bell("local") is not bell
    ticket = bell.ticket()
    signals.work_queued("local")
    await bell.wait(ticket, timeout=10)
    assert ticket.is_set()


async def test_relayed_messages_past_one_notifications_cap_all_reach_the_other_replica(
    postgres_url: str,
) -> None:
    settings = settings_for(postgres_url, local_agent=False)
    async with running_vantage(settings) as a, running_vantage(settings) as b:
        got: list[str] = []
        arrived = asyncio.Event()

        def listen(ident: str) -> None:
            got.append(ident)
            if len(got) == 40:
                arrived.set()

        b.runtime.signals.listeners["probe"] = listen
        # B's LISTEN connection comes up in the background: ping until B hears one.
        heard = asyncio.Event()
        b.runtime.signals.listeners["ping"] = lambda _ident: heard.set()
        async with asyncio.timeout(30):
            while not heard.is_set():
                a.runtime.signals.relay("ping", "?")
                await asyncio.sleep(0.2)
        # 40 x 600 bytes is three times what one NOTIFY may carry (8000 bytes).
        sent = [f"{n:02d}" + "x" * 598 for n in range(40)]
        for ident in sent:
            a.runtime.signals.relay("probe", ident)
        async with asyncio.timeout(30):
            await arrived.wait()

    assert got == sent


async def test_alerts_raised_on_one_replica_wake_every_replicas_delivery_worker(
    postgres_url: str,
) -> None:
    # No delivery worker, which would clear the event it waits on.
    settings = settings_for(postgres_url, local_agent=False, alert_delivery=False)
    async with running_vantage(settings) as a, running_vantage(settings) as b:
        here, there = a.runtime.signals.alerts_queued, b.runtime.signals.alerts_queued
        # B's LISTEN connection comes up in the background: raise until B hears one.
        async with asyncio.timeout(30):
            while not there.is_set():
                here.clear()
                a.runtime.signals.alerts_raised()
                assert here.is_set()
                await asyncio.sleep(0.2)


async def test_an_alarm_wakes_its_sleeper_for_a_sooner_deadline_only() -> None:
    alarm = Alarm()
    now = datetime.now(UTC)
    alarm.arm()
    sleeping = asyncio.create_task(alarm.sleep(now + timedelta(hours=1), 7200, now))
    await asyncio.sleep(0)
    alarm.ring(now + timedelta(hours=2))  # later than its wake-up: nothing to do sooner
    await asyncio.sleep(0.1)
    assert not sleeping.done()
    alarm.ring(now + timedelta(minutes=1))
    async with asyncio.timeout(10):
        await sleeping
    # Rung between arm() and sleep() (the loop was reading): its sleep ends at once.
    alarm.arm()
    alarm.ring(now + timedelta(hours=2))
    async with asyncio.timeout(10):
        await alarm.sleep(None, 7200, now)


async def _listening(a: Harness, b: Harness) -> None:
    """Wait until B hears A's notifications (B's LISTEN connection comes up in the background)."""
    there = b.runtime.signals.alerts_queued
    async with asyncio.timeout(30):
        while not there.is_set():
            a.runtime.signals.alerts_raised()
            await asyncio.sleep(0.2)


async def test_a_session_started_on_one_replica_wakes_every_replicas_reaper(
    postgres_url: str, http_target: HttpTarget
) -> None:
    # No loops on either side: only the notification touches B's alarm.
    settings = settings_for(postgres_url, local_agent=False, alert_delivery=False)
    async with (
        running_vantage(settings, background=False) as a,
        running_vantage(settings, background=False) as b,
    ):
        await _listening(a, b)
        alarm = b.runtime.signals.session_deadlines
        alarm.arm()
        # B's reaper is asleep for the next 10 minutes; A starts a session due within a minute.
        sleeping = asyncio.create_task(alarm.sleep(None, 600, datetime.now(UTC)))
        alice = await a.persona("alice")
        created = await alice.post("/v1/checks/api", json=api_check(f"{http_target.base_url}/ok"))
        started = await alice.post(
            "/v1/check-sessions/trigger", json={"target": {"checkId": [created.json()["id"]]}}
        )
        assert started.status_code == 201, started.text
        async with asyncio.timeout(10):
            await sleeping


async def test_a_ping_on_one_replica_wakes_every_replicas_heartbeat_watcher(
    postgres_url: str,
) -> None:
    settings = settings_for(postgres_url, local_agent=False, alert_delivery=False)
    async with (
        running_vantage(settings, background=False) as a,
        running_vantage(settings, background=False) as b,
    ):
        await _listening(a, b)
        alice = await a.persona("alice")
        created = await alice.post("/v1/checks/heartbeat", json=go_sdk.heartbeat_monitor())
        assert created.status_code == 201, created.text
        alarm = b.runtime.signals.heartbeat_deadlines
        alarm.arm()
        # B's watcher is asleep for the next 10 minutes; the ping sets a deadline in 90 s.
        sleeping = asyncio.create_task(alarm.sleep(None, 600, datetime.now(UTC)))
        path = created.json()["heartbeat"]["pingUrl"].removeprefix("http://vantage.test")
        assert (await alice.client.get(path)).status_code == 200
        async with asyncio.timeout(10):
            await sleeping


async def test_a_check_created_or_a_group_edited_on_one_replica_wakes_every_replicas_scheduler(
    postgres_url: str, http_target: HttpTarget
) -> None:
    # A runs no scheduler (an API-only replica): only the notification reaches B's.
    settings = settings_for(postgres_url, local_agent=False, alert_delivery=False)
    async with (
        running_vantage(settings, background=False) as a,
        running_vantage(settings, background=False) as b,
    ):
        await _listening(a, b)
        alice = await a.persona("alice")
        alarm = b.runtime.signals.schedule
        alarm.arm()
        # B's scheduler sleeps for the next 10 minutes, until its soonest due check.
        sleeping = asyncio.create_task(alarm.sleep(None, 600, datetime.now(UTC)))
        created = await alice.post("/v1/checks/api", json=api_check(f"{http_target.base_url}/ok"))
        assert created.status_code == 201, created.text
        async with asyncio.timeout(10):
            assert await sleeping

        group = await alice.post("/v1/check-groups", json={"name": "Shop", "locations": ["local"]})
        assert group.status_code == 201, group.text
        alarm.arm()
        sleeping = asyncio.create_task(alarm.sleep(None, 600, datetime.now(UTC)))
        edited = await alice.put(
            f"/v1/check-groups/{group.json()['id']}", json={"activated": False}
        )
        assert edited.status_code == 200, edited.text
        async with asyncio.timeout(10):
            assert await sleeping


async def test_mail_queued_on_one_replica_wakes_every_replicas_mailer(postgres_url: str) -> None:
    settings = settings_for(postgres_url, local_agent=False, alert_delivery=False)
    async with (
        running_vantage(settings, background=False) as a,
        running_vantage(settings, background=False) as b,
    ):
        await _listening(a, b)
        alice = await a.persona("alice")
        page = await alice.post(
            "/v1/status-pages", json={"name": "Shop", "url": "shop", "cards": []}
        )
        assert page.status_code == 201, page.text
        there = b.runtime.signals.mail_queued
        there.clear()
        answer = await alice.client.post("/status/shop/subscribe", data={"email": "r@example.com"})
        assert answer.status_code == 200, answer.text
        async with asyncio.timeout(10):
            await there.wait()
