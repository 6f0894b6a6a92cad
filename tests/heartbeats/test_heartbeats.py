"""Heartbeat checks: a ping on time keeps one PASSED, a missed one FAILS at period + grace, a late
one recovers it, and the deadline is the database's, so it survives a restart."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from tests.support import go_sdk
from tests.support.harness import Harness, Persona, running_vantage, settings_for
from vantage.db.tables import check_results, heartbeats
from vantage.heartbeats.watcher import HeartbeatWatcher

ALLOWANCE = timedelta(minutes=1, seconds=30)  # go_sdk.heartbeat_monitor: 1 minute + 30 s grace


async def create(alice: Persona) -> dict[str, Any]:
    response = await alice.post("/v1/checks/heartbeat", json=go_sdk.heartbeat_monitor())
    assert response.status_code == 201, response.text
    check: dict[str, Any] = response.json()
    return check


async def deadline_of(harness: Harness, check_id: str) -> datetime:
    async with harness.runtime.db.read() as conn:
        due = await conn.scalar(
            sa.select(heartbeats.c.deadline_at).where(heartbeats.c.check_id == check_id)
        )
    assert isinstance(due, datetime)
    return due


async def ping(alice: Persona, check: dict[str, Any], method: str = "GET") -> int:
    path = check["heartbeat"]["pingUrl"].removeprefix("http://vantage.test")
    return (await alice.client.request(method, path)).status_code


async def status(alice: Persona, check_id: str) -> str | None:
    response = await alice.get(f"/v1/check-statuses/{check_id}")
    if response.status_code == 404:
        return None
    return "failing" if response.json()["hasFailures"] else "passing"


async def test_a_heartbeat_check_gets_a_ping_url_and_keeps_it_on_update(alice: Persona) -> None:
    check = await create(alice)
    heartbeat = check["heartbeat"]
    assert check["checkType"] == "HEARTBEAT"
    assert heartbeat["pingUrl"] == f"http://vantage.test/ping/{heartbeat['pingToken']}"
    edited = {**(await alice.get(f"/v1/checks/{check['id']}")).json(), "name": "renamed"}
    updated = await alice.put(f"/v1/checks/heartbeat/{check['id']}", json=edited)
    assert updated.status_code == 200, updated.text
    assert updated.json()["heartbeat"]["pingToken"] == heartbeat["pingToken"]
    # It never runs on an agent: no trigger reaches it.
    triggered = await alice.post(
        "/v2/check-sessions/trigger", json={"target": {"checkId": [check["id"]]}}
    )
    assert triggered.status_code == 404


async def test_bad_heartbeat_settings_are_400s_naming_the_field(alice: Persona) -> None:
    body = go_sdk.heartbeat_monitor(period=10, unit="seconds")
    response = await alice.post("/v1/checks/heartbeat", json=body)
    assert response.status_code == 400
    assert "heartbeat.period" in response.json()["validation"]["keys"]
    body = go_sdk.heartbeat_monitor(unit="weeks")
    response = await alice.post("/v1/checks/heartbeat", json=body)
    assert response.json()["validation"]["keys"] == ["heartbeat.periodUnit"]


async def test_the_watcher_reads_the_next_deadline_and_fails_only_what_is_due(
    vantage: Harness, alice: Persona
) -> None:
    watcher = HeartbeatWatcher(vantage.runtime)
    assert await watcher.next_deadline() is None  # no heartbeat at all
    check = await create(alice)
    assert await ping(alice, check) == 200
    due = await watcher.next_deadline()
    assert due is not None and due > datetime.now(UTC)  # due in 90 s: nothing to fail yet
    async with vantage.runtime.db.write() as conn:
        await conn.execute(
            heartbeats.update()
            .where(heartbeats.c.check_id == check["id"])
            .values(deadline_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    due = await watcher.next_deadline()
    assert due is not None and due <= datetime.now(UTC)
    assert await watcher.run_once() == [check["id"]]
    # Failed: its deadline no longer wakes the watcher.
    assert await watcher.next_deadline() is None


async def test_an_edit_that_brings_a_deadline_forward_wakes_the_watcher(
    database_url: str,
) -> None:
    # The watcher's fallback poll is an hour: only its sleep until the deadline it reads, and the
    # edit's wake-up, can fail the check within the test's bound.
    settings = settings_for(database_url, local_agent=False, heartbeat_poll_seconds=3600.0)
    async with running_vantage(settings) as vantage:
        alice = await vantage.persona("alice")
        check = await create(alice)
        assert await ping(alice, check) == 200  # due in 90 s: the watcher sleeps until then
        async with vantage.runtime.db.write() as conn:
            await conn.execute(
                heartbeats.update()
                .where(heartbeats.c.check_id == check["id"])
                .values(last_ping_at=datetime.now(UTC) - ALLOWANCE + timedelta(seconds=2))
            )
        # The edit counts the deadline from that last ping again: due in about 2 s.
        body = (await alice.get(f"/v1/checks/{check['id']}")).json()
        edited = await alice.put(f"/v1/checks/heartbeat/{check['id']}", json=body)
        assert edited.status_code == 200, edited.text
        async with asyncio.timeout(20):
            while await status(alice, check["id"]) != "failing":
                await asyncio.sleep(0.1)


async def test_a_ping_rings_the_watchers_alarm_with_the_checks_next_deadline(
    database_url: str,
) -> None:
    settings = settings_for(database_url, local_agent=False)
    async with running_vantage(settings, background=False) as vantage:
        alice = await vantage.persona("alice")
        check = await create(alice)
        alarm = vantage.runtime.signals.heartbeat_deadlines
        alarm.arm()
        now = datetime.now(UTC)
        # Asleep until after the ping's deadline (now + 90 s): the ping wakes it.
        sleeping = asyncio.create_task(alarm.sleep(None, 600, now))
        await asyncio.sleep(0)
        assert await ping(alice, check) == 200
        async with asyncio.timeout(10):
            await sleeping
        # Asleep until before it: a ping (a later deadline) leaves it asleep.
        alarm.arm()
        sleeping = asyncio.create_task(alarm.sleep(now + timedelta(seconds=60), 600, now))
        await asyncio.sleep(0)
        assert await ping(alice, check) == 200
        await asyncio.sleep(0.2)
        assert not sleeping.done()
        sleeping.cancel()


async def test_pings_on_time_pass_a_miss_fails_at_the_deadline_and_a_late_ping_recovers(
    vantage: Harness, alice: Persona
) -> None:
    check = await create(alice)
    watcher = HeartbeatWatcher(vantage.runtime)
    for method in ("GET", "POST", "HEAD"):
        assert await ping(alice, check, method) == 200
    assert await status(alice, check["id"]) == "passing"
    due = await deadline_of(vantage, check["id"])

    assert await watcher.run_once(due - timedelta(seconds=1)) == []
    assert await status(alice, check["id"]) == "passing"
    assert await watcher.run_once(due) == [check["id"]]
    assert await status(alice, check["id"]) == "failing"
    # Failed once, not again at every pass.
    assert await watcher.run_once(due + timedelta(minutes=5)) == []

    assert await ping(alice, check) == 200
    assert await status(alice, check["id"]) == "passing"
    async with vantage.runtime.db.read() as conn:
        results = (
            await conn.execute(
                sa.select(check_results.c.has_failures, check_results.c.run_location)
                .where(check_results.c.check_id == check["id"])
                .order_by(check_results.c.created_at)
            )
        ).all()
    # The miss is dated at the deadline, after the last ping: it sorts between the passes.
    assert sorted(f for f, _ in results) == [False, False, True]
    assert {location for _, location in results} == {"heartbeat"}
    events = (await alice.get(f"/v1/checks/heartbeats/{check['id']}/events")).json()
    assert [e["method"] for e in events["events"]] == ["GET", "HEAD", "POST", "GET"]
    ratio = (await alice.get(f"/v1/checks/heartbeats/{check['id']}/availability")).json()
    # The miss is dated in the future of the window that ends now.
    assert ratio["totalEntitiesCurrentPeriod"] == 2
    assert ratio["successRatio"]["currentPeriod"] == 100


async def test_the_deadline_is_period_plus_grace_after_the_last_ping(
    vantage: Harness, alice: Persona
) -> None:
    check = await create(alice)
    before = datetime.now().astimezone()
    await ping(alice, check)
    after = datetime.now().astimezone()
    due = await deadline_of(vantage, check["id"])
    # Bounded by the ping's own request, not by a guess at how long it takes.
    assert before + ALLOWANCE <= due <= after + ALLOWANCE


async def test_an_unknown_token_is_a_404(alice: Persona) -> None:
    assert (await alice.client.get("/ping/00000000-0000-4000-8000-000000000000")).status_code == 404


async def test_the_deadline_survives_a_restart(database_url: str) -> None:
    settings = settings_for(database_url)
    async with running_vantage(settings) as first:
        alice = await first.persona("alice")
        check = await create(alice)
        due = await deadline_of(first, check["id"])
    async with running_vantage(settings) as second:
        failed = await HeartbeatWatcher(second.runtime).run_once(due + timedelta(seconds=0.5))
        assert failed == [check["id"]]


async def test_one_event_is_read_by_its_id_and_only_under_its_own_check(
    alice: Persona, charlie: Persona
) -> None:
    check, other = await create(alice), await create(alice)
    assert await ping(alice, check, "POST") == 200
    [listed] = (await alice.get(f"/v1/checks/heartbeats/{check['id']}/events")).json()["events"]
    path = f"/v1/checks/heartbeats/{check['id']}/events/{listed['id']}"

    response = await alice.get(path)

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["event"] == {
        "id": listed["id"],
        "state": "RECEIVED",
        "timestamp": listed["timestamp"],
        "source": listed["source"],
        "userAgent": listed["userAgent"],
    }
    # The ping's PASSED result is the one outcome of the last day and week.
    for window in ("last24Hours", "last7Days"):
        assert body["stats"][window]["totalEntitiesCurrentPeriod"] == 1
        assert body["stats"][window]["successRatio"]["currentPeriod"] == 100
    assert (await charlie.get(path)).status_code == 404
    wrong_check = f"/v1/checks/heartbeats/{other['id']}/events/{listed['id']}"
    assert (await alice.get(wrong_check)).status_code == 404
    assert (await alice.get(path.rsplit("/", 1)[0] + "/not-an-id")).status_code == 404
