"""When checks run: the pure arithmetic of `vantage.checks.scheduling`, and the Scheduler that
starts a session for each due check exactly once, however many schedulers share the database."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from tests.support.checks import api_check
from tests.support.harness import Harness, Persona, running_vantage, settings_for
from tests.targets.http_target import HttpTarget
from vantage.checks.scheduling import (
    first_run_at,
    interval_seconds,
    next_run_after,
    spread_offset,
)
from vantage.db.engine import Database
from vantage.db.tables import check_sessions, checks, heartbeat_events
from vantage.locations import service as locations_service
from vantage.queue import service as queue
from vantage.runtime import Runtime
from vantage.scheduling.scheduler import Scheduler

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)

# Pure functions


@pytest.mark.parametrize(
    ("config", "seconds"),
    [
        ({}, 600),
        ({"frequency": 1}, 60),
        ({"frequency": 10}, 600),
        ({"frequency": 1440}, 86400),
        ({"frequency": 0, "frequencyOffset": 10}, 10),
        ({"frequency": 0, "frequencyOffset": 20}, 20),
        ({"frequency": 0, "frequencyOffset": 30}, 30),
        ({"frequency": 5, "frequencyOffset": 3}, 300),
    ],
)
def test_the_interval_follows_the_frequency(config: dict[str, Any], seconds: int) -> None:
    assert interval_seconds(config) == seconds


@pytest.mark.parametrize(
    ("now_after_due", "expected_after_due"),
    [
        (timedelta(0), timedelta(minutes=1)),
        (timedelta(seconds=1), timedelta(minutes=1)),
        (timedelta(seconds=59.999), timedelta(minutes=1)),
        # exactly on the next due time: that run is due now, the next one follows it
        (timedelta(minutes=1), timedelta(minutes=2)),
        (timedelta(minutes=3, seconds=30), timedelta(minutes=4)),
        (timedelta(hours=5, seconds=1), timedelta(hours=5, minutes=1)),
    ],
)
def test_the_next_run_skips_missed_runs_and_stays_on_the_grid(
    now_after_due: timedelta, expected_after_due: timedelta
) -> None:
    following = next_run_after(T0, 60, T0 + now_after_due)
    assert following == T0 + expected_after_due
    assert following > T0 + now_after_due


def test_the_schedule_never_drifts_however_late_each_pass_runs() -> None:
    due = T0
    for n in range(1, 1000):
        late = timedelta(milliseconds=(n * 37) % 900)  # each pass wakes up somewhat late
        due = next_run_after(due, 10, due + late)
        assert due == T0 + timedelta(seconds=10 * n)


def test_the_spread_offset_is_stable_and_within_the_interval() -> None:
    ids = [str(uuid.uuid4()) for _ in range(500)]
    for interval in (10, 60, 600, 86400):
        offsets = [spread_offset(check_id, interval) for check_id in ids]
        assert all(0 <= offset < interval for offset in offsets)
        assert offsets == [spread_offset(check_id, interval) for check_id in ids]
        # checks created together are spread over the interval, not bunched at its start
        assert len(set(offsets)) > 450
        assert min(offsets) < interval * 0.1 and max(offsets) > interval * 0.9


def test_the_first_run_is_within_one_interval_of_creation() -> None:
    check_id = str(uuid.uuid4())
    first = first_run_at(check_id, 600, T0)
    assert T0 <= first < T0 + timedelta(seconds=600)
    assert first == first_run_at(check_id, 600, T0)


# The Scheduler against the database


@pytest.fixture
async def quiet(database_url: str) -> AsyncIterator[Harness]:
    """No embedded agent: queued jobs stay queued until the test leases them."""
    async with running_vantage(settings_for(database_url), background=False) as harness:
        yield harness


async def lease_local(vantage: Harness, now: datetime, location: str = "local") -> int:
    """Lease every due job of `location`, as an agent's long-poll would."""
    async with vantage.runtime.db.write() as conn:
        place = (await locations_service.refs(conn))[location]
        leased = await queue.claim(
            conn, location=place, owner="agent-1/0", limit=100, now=now, lease_seconds=60
        )
    return len(leased)


async def skipped_on_metrics(vantage: Harness) -> float:
    response = await vantage.client.get("/metrics")
    assert response.status_code == 200, response.text
    [line] = [
        line
        for line in response.text.splitlines()
        if line.startswith("vantage_scheduler_slots_skipped_total ")
    ]
    return float(line.split()[1])


async def create(persona: Persona, payload: dict[str, Any]) -> str:
    response = await persona.post("/v1/checks/api", json=payload)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def next_run(vantage: Harness, check_id: str) -> datetime | None:
    async with vantage.runtime.db.read() as conn:
        value: datetime | None = await conn.scalar(
            sa.select(checks.c.next_run_at).where(checks.c.id == check_id)
        )
    return value


async def sessions_of(vantage: Harness, check_id: str) -> list[Any]:
    async with vantage.runtime.db.read() as conn:
        return list(
            (
                await conn.execute(
                    sa.select(check_sessions)
                    .where(check_sessions.c.check_id == check_id)
                    .order_by(check_sessions.c.started_at)
                )
            ).all()
        )


async def test_a_new_check_is_due_within_its_first_interval(
    vantage: Harness, alice: Persona, http_target: HttpTarget
) -> None:
    before = datetime.now(UTC)
    check_id = await create(alice, api_check(f"{http_target.base_url}/ok", frequency=1))
    due = await next_run(vantage, check_id)
    assert due is not None
    assert before <= due <= before + timedelta(seconds=61)


async def test_a_due_check_gets_exactly_one_scheduled_session(
    vantage: Harness, alice: Persona, http_target: HttpTarget
) -> None:
    check_id = await create(alice, api_check(f"{http_target.base_url}/ok", name="Scheduled"))
    due = await next_run(vantage, check_id)
    assert due is not None
    scheduler = Scheduler(vantage.runtime)

    assert await scheduler.run_once(due - timedelta(milliseconds=1)) == 0
    assert await scheduler.run_once(due) == 1
    assert await scheduler.run_once(due) == 0

    [session] = await sessions_of(vantage, check_id)
    assert session.run_source == "SCHEDULER"
    assert session.account_id == alice.account_id
    assert await next_run(vantage, check_id) == due + timedelta(minutes=10)


async def test_a_scheduled_session_runs_and_reads_back_with_its_run_source(
    vantage: Harness, alice: Persona, http_target: HttpTarget
) -> None:
    check_id = await create(alice, api_check(f"{http_target.base_url}/ok", name="Scheduled"))
    # Make it due now (not at a simulated instant), so the embedded agent runs it at once.
    async with vantage.runtime.db.write() as conn:
        await conn.execute(
            checks.update()
            .where(checks.c.id == check_id)
            .values(next_run_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    assert await Scheduler(vantage.runtime).run_once() == 1
    [session] = await sessions_of(vantage, check_id)

    response = await alice.get(
        f"/v2/check-sessions/{session.id}/completion", params={"maxWaitSeconds": 10}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["runSource"] == "SCHEDULER"
    assert body["status"] == "PASSED"
    assert body["name"] == "Scheduled"
    assert body["results"][0]["resultType"] == "FINAL"


async def test_a_late_scheduler_runs_a_check_once_not_once_per_missed_run(
    vantage: Harness, alice: Persona, http_target: HttpTarget
) -> None:
    check_id = await create(alice, api_check(f"{http_target.base_url}/ok", frequency=1))
    due = await next_run(vantage, check_id)
    assert due is not None
    scheduler = Scheduler(vantage.runtime)
    late = due + timedelta(minutes=5, seconds=30)
    assert await scheduler.run_once(late) == 1
    assert await scheduler.run_once(late) == 0
    assert await next_run(vantage, check_id) == due + timedelta(minutes=6)


async def test_two_schedulers_at_the_same_instant_start_one_session_between_them(
    vantage: Harness, alice: Persona, http_target: HttpTarget
) -> None:
    check_ids = [
        await create(alice, api_check(f"{http_target.base_url}/ok", name=f"c{i}")) for i in range(5)
    ]
    latest = max([d for d in [await next_run(vantage, c) for c in check_ids] if d is not None])
    # A second replica: its own database handle (own pool and, on SQLite, own writer lock).
    settings = vantage.runtime.settings
    other_db = Database(settings.database_url)
    try:
        first = Scheduler(vantage.runtime)
        second = Scheduler(Runtime(settings=settings, db=other_db))
        started = await asyncio.gather(first.run_once(latest), second.run_once(latest))
    finally:
        await other_db.dispose()

    assert sum(started) == 5
    for check_id in check_ids:
        assert len(await sessions_of(vantage, check_id)) == 1, check_id


# PostgreSQL only: SQLite has one writer, so a result's transaction never overlaps the
# scheduler's.
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_a_due_check_is_claimed_while_a_result_of_it_is_being_written(
    vantage: Harness, alice: Persona, http_target: HttpTarget
) -> None:
    # A result's transaction inserts rows that reference the check (its alert state, its alerts;
    # here a ping, which does the same). On PostgreSQL each holds a KEY SHARE lock on the check's
    # row until it commits: a claim FOR UPDATE SKIP LOCKED skipped the check, which missed its slot.
    check_id = await create(alice, api_check(f"{http_target.base_url}/ok", name="Busy"))
    due = await next_run(vantage, check_id)
    assert due is not None
    other_db = Database(vantage.runtime.settings.database_url)
    try:
        async with other_db.write() as conn:
            await conn.execute(
                heartbeat_events.insert().values(
                    id=str(uuid.uuid4()), check_id=check_id, method="GET", received_at=due
                )
            )
            started = await asyncio.wait_for(Scheduler(vantage.runtime).run_once(due), 10)
    finally:
        await other_db.dispose()
    assert started == 1
    assert len(await sessions_of(vantage, check_id)) == 1


async def test_a_deactivated_check_never_runs(
    vantage: Harness, alice: Persona, http_target: HttpTarget
) -> None:
    url = f"{http_target.base_url}/ok"
    never = await create(alice, api_check(url, activated=False))
    paused = await create(alice, api_check(url))
    response = await alice.put(f"/v1/checks/{paused}", json={"activated": False})
    assert response.status_code == 200

    scheduler = Scheduler(vantage.runtime)
    far_future = datetime.now(UTC) + timedelta(days=3)
    assert await scheduler.run_once(far_future) == 0
    assert await sessions_of(vantage, never) == []
    assert await sessions_of(vantage, paused) == []


async def test_a_reactivated_check_is_scheduled_again(
    vantage: Harness, alice: Persona, http_target: HttpTarget
) -> None:
    check_id = await create(alice, api_check(f"{http_target.base_url}/ok", activated=False))
    assert await next_run(vantage, check_id) is None
    await alice.put(f"/v1/checks/{check_id}", json={"activated": True})
    due = await next_run(vantage, check_id)
    assert due is not None
    assert await Scheduler(vantage.runtime).run_once(due) == 1


async def test_frequency_zero_with_offset_ten_runs_every_ten_seconds(
    quiet: Harness, http_target: HttpTarget
) -> None:
    vantage = quiet
    alice = await vantage.persona("alice")
    check_id = await create(
        alice, api_check(f"{http_target.base_url}/ok", frequency=0, frequencyOffset=10)
    )
    due = await next_run(vantage, check_id)
    assert due is not None
    scheduler = Scheduler(vantage.runtime)
    started = 0
    # one minute in two-second steps, each run taken by an agent before the next slot
    for step in range(0, 60, 2):
        now = due + timedelta(seconds=step)
        started += await scheduler.run_once(now)
        await lease_local(vantage, now)
    assert started == 6
    assert await next_run(vantage, check_id) == due + timedelta(seconds=60)
    sessions = await sessions_of(vantage, check_id)
    assert len(sessions) == 6
    assert {s.run_source for s in sessions} == {"SCHEDULER"}


# Overload: a scheduled run that cannot start in time is skipped, not queued behind the last one.


async def a_check_every_ten_seconds(
    harness: Harness, http_target: HttpTarget
) -> tuple[Persona, str, datetime]:
    """Alice's check due every ten seconds, with its first due time."""
    alice = await harness.persona("alice")
    check_id = await create(
        alice, api_check(f"{http_target.base_url}/ok", frequency=0, frequencyOffset=10)
    )
    due = await next_run(harness, check_id)
    assert due is not None
    return alice, check_id, due


async def test_a_slot_is_skipped_while_the_previous_scheduled_run_waits_for_an_agent(
    quiet: Harness, http_target: HttpTarget
) -> None:
    alice, check_id, due = await a_check_every_ten_seconds(quiet, http_target)
    scheduler = Scheduler(quiet.runtime)
    assert await scheduler.run_once(due) == 1
    assert await skipped_on_metrics(quiet) == 0

    # No agent took the first run: its next slot starts nothing, passes, and is counted.
    assert await scheduler.run_once(due + timedelta(seconds=10)) == 0
    assert len(await sessions_of(quiet, check_id)) == 1
    assert await next_run(quiet, check_id) == due + timedelta(seconds=20)
    assert await skipped_on_metrics(quiet) == 1

    # Once an agent leased it, the following slot starts as usual.
    assert await lease_local(quiet, due + timedelta(seconds=15)) == 1
    assert await scheduler.run_once(due + timedelta(seconds=20)) == 1
    assert len(await sessions_of(quiet, check_id)) == 2
    assert await skipped_on_metrics(quiet) == 1


async def test_one_pass_skips_only_the_checks_whose_run_waits(
    quiet: Harness, http_target: HttpTarget
) -> None:
    alice = await quiet.persona("alice")
    url = f"{http_target.base_url}/ok"
    lab = await alice.post("/v1/private-locations", json={"name": "Lab", "slugName": "alice-lab"})
    assert lab.status_code == 201, lab.text
    every_ten = {"frequency": 0, "frequencyOffset": 10}
    waiting = await create(alice, api_check(url, name="waiting", **every_ten))
    taken = await create(
        alice,
        api_check(url, name="taken", locations=[], privateLocations=["alice-lab"], **every_ten),
    )
    first = await next_run(quiet, waiting)
    second = await next_run(quiet, taken)
    assert first is not None and second is not None
    scheduler = Scheduler(quiet.runtime)
    assert await scheduler.run_once(max(first, second)) == 2
    # The lab's agent takes the run of `taken`; nobody takes the other.
    later = max(first, second) + timedelta(seconds=10)
    assert await lease_local(quiet, later, "alice-lab") == 1
    assert await scheduler.run_once(later) == 1
    assert len(await sessions_of(quiet, waiting)) == 1
    assert len(await sessions_of(quiet, taken)) == 2
    assert await skipped_on_metrics(quiet) == 1


async def test_a_run_past_its_deadline_does_not_hold_back_the_schedule(
    quiet: Harness, http_target: HttpTarget
) -> None:
    # Its job can no longer be leased (the reaper ends it): the check's next slot runs.
    alice, check_id, due = await a_check_every_ten_seconds(quiet, http_target)
    scheduler = Scheduler(quiet.runtime)
    assert await scheduler.run_once(due) == 1
    [session] = await sessions_of(quiet, check_id)
    assert await scheduler.run_once(session.deadline_at + timedelta(seconds=1)) == 1


async def test_triggered_runs_neither_wait_for_nor_hold_back_scheduled_ones(
    quiet: Harness, http_target: HttpTarget
) -> None:
    alice, check_id, due = await a_check_every_ten_seconds(quiet, http_target)

    async def trigger() -> None:
        response = await alice.post(
            "/v1/check-sessions/trigger", json={"target": {"checkId": [check_id]}}
        )
        assert response.status_code == 201, response.text

    # A triggered run still queued does not make the scheduler skip the slot...
    await trigger()
    scheduler = Scheduler(quiet.runtime)
    assert await scheduler.run_once(due) == 1
    # ...and a trigger always starts, even while the scheduled run waits for an agent.
    await trigger()
    sources = [s.run_source for s in await sessions_of(quiet, check_id)]
    assert sorted(sources) == ["SCHEDULER", "TRIGGER_API", "TRIGGER_API"]
    assert await skipped_on_metrics(quiet) == 0


async def test_a_sleeping_scheduler_starts_a_check_created_meanwhile_in_its_first_slot(
    database_url: str, http_target: HttpTarget
) -> None:
    # Nothing to schedule, and a fallback poll of an hour: only the creation can wake it.
    settings = settings_for(database_url, local_agent=False, scheduler_tick_seconds=3600)
    async with running_vantage(settings, background=False) as vantage:
        scheduler = Scheduler(vantage.runtime)
        loop = asyncio.create_task(scheduler.run_forever())
        try:
            alice = await vantage.persona("alice")
            # Due within ten seconds of its creation.
            check_id = await create(
                alice, api_check(f"{http_target.base_url}/ok", frequency=0, frequencyOffset=10)
            )
            async with asyncio.timeout(60):
                while not await sessions_of(vantage, check_id):
                    await asyncio.sleep(0.1)
        finally:
            loop.cancel()
            await asyncio.gather(loop, return_exceptions=True)
        [session] = await sessions_of(vantage, check_id)
        assert session.run_source == "SCHEDULER"
