"""Alerts that no finished run of the check raises by itself: a TIME_BASED threshold met between
runs (the worker's timer), a session that timed out (a failed run), a missed heartbeat; and the
worker delivers when a session ends, without waiting for its poll."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from tests.alerting.flow import channel, check, outbox, run, settled
from tests.alerting.receiver import Receiver, Reply
from tests.groups.test_runs import trigger
from tests.heartbeats.test_heartbeats import deadline_of, ping
from tests.support import go_sdk
from tests.support.checks import api_check
from tests.support.harness import Harness, Persona, running_vantage, settings_for
from tests.targets.http_target import HttpTarget
from vantage.alerting.delivery import Deliverer
from vantage.heartbeats.watcher import HeartbeatWatcher
from vantage.locations import service as locations
from vantage.scheduling.scheduler import Reaper
from vantage.timeutil import utcnow


async def deliver(vantage: Harness, now: datetime) -> None:
    """One delivery pass at a test's clock."""
    worker = Deliverer(vantage.runtime.settings, vantage.runtime.db, owner="test-clock")
    try:
        await worker.run_once(now)
    finally:
        await worker.close()


async def test_a_time_based_threshold_alerts_on_the_timer_without_another_run(
    vantage: Harness, alice: Persona, http_target: HttpTarget, receiver: Receiver
) -> None:
    hook = await channel(alice, "WEBHOOK", {"url": receiver.url + "/t"})
    settings = {
        "escalationType": "TIME_BASED",
        "timeBasedEscalation": {"minutesFailingThreshold": 5},
    }
    check_id = await check(
        alice, http_target, [hook], useGlobalAlertSettings=False, alertSettings=settings
    )
    await run(alice, check_id)
    assert await outbox(vantage) == []  # failing for less than 5 minutes
    worker = Deliverer(vantage.runtime.settings, vantage.runtime.db, owner="test-clock")
    try:
        start = utcnow()
        await worker.run_once(start + timedelta(minutes=4))
        assert await outbox(vantage) == []
        await worker.run_once(start + timedelta(minutes=5, seconds=1))
    finally:
        await worker.close()
    [row] = await settled(vantage, 1)
    assert row.alert_type == "ALERT_FAILURE"
    [got] = await receiver.wait_for(1)
    assert got.json()["CHECK_ID"] == check_id


async def test_a_session_that_timed_out_is_a_failed_run(
    vantage: Harness, alice: Persona, http_target: HttpTarget, receiver: Receiver
) -> None:
    async with vantage.runtime.db.write() as conn:
        await locations.ensure(conn, "nobody-home", "No agent here")
    hook = await channel(alice, "WEBHOOK", {"url": receiver.url + "/late"})
    body = api_check(
        f"{http_target.base_url}/ok",
        locations=["local", "nobody-home"],
        runParallel=True,
        alertChannelSubscriptions=[{"alertChannelId": hook, "activated": True}],
    )
    created = await alice.post("/v1/checks/api", json=body)
    assert created.status_code == 201, created.text
    [started] = await trigger(alice, checkId=[created.json()["id"]])
    session_id = started["checkSessionId"]
    for _ in range(200):  # the local location passes; the other never answers
        session = (await alice.get(f"/v1/check-sessions/{session_id}")).json()
        if session["results"]:
            break
        await asyncio.sleep(0.05)
    assert session["status"] == "PROGRESS"
    assert await outbox(vantage) == []

    later = utcnow() + timedelta(minutes=5)
    assert await Reaper(vantage.runtime).run_once(later) == [session_id]
    await deliver(vantage, later)  # the notification is due at the reaper's clock
    [row] = await settled(vantage, 1)
    assert row.alert_type == "ALERT_FAILURE"
    [got] = await receiver.wait_for(1)
    assert "timed out" in got.json()["CHECK_ERROR_MESSAGE"]


async def test_a_missed_heartbeat_alerts_and_its_next_ping_recovers(
    vantage: Harness, alice: Persona, receiver: Receiver
) -> None:
    hook = await channel(alice, "WEBHOOK", {"url": receiver.url + "/hb"})
    body = {
        **go_sdk.heartbeat_monitor(),
        "alertChannelSubscriptions": [{"alertChannelId": hook, "activated": True}],
    }
    response = await alice.post("/v1/checks/heartbeat", json=body)
    assert response.status_code == 201, response.text
    heartbeat = response.json()
    due = await deadline_of(vantage, heartbeat["id"])
    assert await HeartbeatWatcher(vantage.runtime).run_once(due) == [heartbeat["id"]]
    await deliver(vantage, due)  # the notification is due at the watcher's clock
    await settled(vantage, 1)
    assert await ping(alice, heartbeat) == 200
    rows = await settled(vantage, 2)
    assert [r.alert_type for r in rows] == ["ALERT_FAILURE", "ALERT_RECOVERY"]
    bodies = [r.json() for r in await receiver.wait_for(2)]
    assert [(b["ALERT_TYPE"], b["CHECK_TYPE"]) for b in bodies] == [
        ("ALERT_FAILURE", "HEARTBEAT"),
        ("ALERT_RECOVERY", "HEARTBEAT"),
    ]


async def test_a_muted_heartbeat_alerts_nobody(
    vantage: Harness, alice: Persona, receiver: Receiver
) -> None:
    hook = await channel(alice, "WEBHOOK", {"url": receiver.url + "/hb"})
    body = {
        **go_sdk.heartbeat_monitor(),
        "muted": True,
        "alertChannelSubscriptions": [{"alertChannelId": hook, "activated": True}],
    }
    heartbeat = (await alice.post("/v1/checks/heartbeat", json=body)).json()
    due = await deadline_of(vantage, heartbeat["id"])
    assert await HeartbeatWatcher(vantage.runtime).run_once(due) == [heartbeat["id"]]
    assert await outbox(vantage) == []


async def test_the_worker_delivers_when_a_session_ends_not_at_its_next_poll(
    database_url: str, receiver: Receiver, http_target: HttpTarget
) -> None:
    # An hour between polls: only the wake-up of the session's end can deliver in this test.
    settings = settings_for(database_url, alert_deny="", alert_poll_seconds=3600)
    async with running_vantage(settings) as harness:
        alice = await harness.persona("alice")
        hook = await channel(alice, "WEBHOOK", {"url": receiver.url + "/now"})
        check_id = await check(alice, http_target, [hook])
        await run(alice, check_id)
        [got] = await receiver.wait_for(1)
        assert got.json()["ALERT_TYPE"] == "ALERT_FAILURE"


async def test_the_worker_retries_when_the_retry_falls_due_not_at_its_next_poll(
    database_url: str, receiver: Receiver, http_target: HttpTarget
) -> None:
    # An hour between polls: the worker must sleep until the retry's own time, then send it.
    settings = settings_for(
        database_url, alert_deny="", alert_poll_seconds=3600, alert_retry_base_seconds=0.2
    )
    receiver.script = [Reply(status=503)]
    async with running_vantage(settings) as harness:
        alice = await harness.persona("alice")
        hook = await channel(alice, "WEBHOOK", {"url": receiver.url + "/retry"})
        check_id = await check(alice, http_target, [hook])
        await run(alice, check_id)
        first, second = await receiver.wait_for(2)
        assert first.body == second.body
        [row] = await settled(harness, 1)
        assert (row.status, row.attempts) == ("SUCCESS", 2)


async def test_a_recovering_ping_wakes_the_worker(database_url: str, receiver: Receiver) -> None:
    # An hour between polls: only the ping's wake-up can deliver its recovery in this test.
    settings = settings_for(database_url, alert_deny="", alert_poll_seconds=3600)
    async with running_vantage(settings) as harness:
        alice = await harness.persona("alice")
        hook = await channel(alice, "WEBHOOK", {"url": receiver.url + "/hb"})
        body = {
            **go_sdk.heartbeat_monitor(),
            "alertChannelSubscriptions": [{"alertChannelId": hook, "activated": True}],
        }
        heartbeat = (await alice.post("/v1/checks/heartbeat", json=body)).json()
        due = await deadline_of(harness, heartbeat["id"])
        assert await HeartbeatWatcher(harness.runtime).run_once(due) == [heartbeat["id"]]
        await deliver(harness, due)  # the failure is due at the watcher's clock
        assert await ping(alice, heartbeat) == 200
        bodies = [r.json()["ALERT_TYPE"] for r in await receiver.wait_for(2)]
        assert bodies == ["ALERT_FAILURE", "ALERT_RECOVERY"]
