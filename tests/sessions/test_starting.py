"""The one path that starts sessions (vantage.sessions.starting): the scheduler and `trigger` make
the same session and jobs of the same check, and one check whose stored config cannot be planned is
logged and skipped (its slot passing) without stopping the other checks of the pass."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from tests.groups.test_endpoints import create_check, create_group
from tests.support.checks import api_check
from tests.support.harness import Harness, running_vantage, settings_for
from tests.targets.http_target import HttpTarget
from vantage.db.tables import check_sessions, checks, jobs
from vantage.scheduling.scheduler import POISONED_RETRY, Scheduler
from vantage.timeutil import utcnow


@pytest.fixture
async def quiet(database_url: str) -> AsyncIterator[Harness]:
    """No embedded agent: the jobs stay as they were planned."""
    async with running_vantage(settings_for(database_url), background=False) as harness:
        yield harness


async def sessions_of(vantage: Harness, check_id: str) -> list[Any]:
    async with vantage.runtime.db.read() as conn:
        return list(
            (
                await conn.execute(
                    sa.select(check_sessions)
                    .where(check_sessions.c.check_id == check_id)
                    .order_by(check_sessions.c.run_source)
                )
            ).all()
        )


async def jobs_of(vantage: Harness, session_id: str) -> list[dict[str, Any]]:
    async with vantage.runtime.db.read() as conn:
        rows = (
            await conn.execute(
                sa.select(jobs).where(jobs.c.session_id == session_id).order_by(jobs.c.location)
            )
        ).all()
    return [dict(row._mapping) for row in rows]


async def next_run(vantage: Harness, check_id: str) -> datetime | None:
    async with vantage.runtime.db.read() as conn:
        value: datetime | None = await conn.scalar(
            sa.select(checks.c.next_run_at).where(checks.c.id == check_id)
        )
    return value


def comparable_session(row: Any) -> dict[str, Any]:
    values = dict(row._mapping)
    budget = values["deadline_at"] - values["started_at"]
    for varying in ("id", "run_source", "started_at", "deadline_at", "stopped_at"):
        values.pop(varying)
    return {**values, "budget": budget}


def comparable_job(job: dict[str, Any]) -> dict[str, Any]:
    varying = ("id", "session_id", "sequence_id", "run_at", "created_at")
    return {key: value for key, value in job.items() if key not in varying}


async def test_the_scheduler_and_a_trigger_start_the_same_session_and_jobs(
    quiet: Harness, http_target: HttpTarget
) -> None:
    alice = await quiet.persona("alice")
    lab = await alice.post("/v1/private-locations", json={"name": "Lab", "slugName": "alice-lab"})
    assert lab.status_code == 201, lab.text
    # The group decides the locations, retries and headers: both paths must apply it.
    group = await create_group(
        alice,
        locations=["local"],
        privateLocations=["alice-lab"],
        runParallel=True,
        apiCheckDefaults={"headers": [{"key": "X-Group", "value": "1"}]},
        retryStrategy={"type": "FIXED", "baseBackoffSeconds": 5, "maxRetries": 2},
    )
    check = await create_check(
        alice, api_check(f"{http_target.base_url}/ok", name="Same", groupId=group["id"])
    )
    triggered = await alice.post(
        "/v1/check-sessions/trigger", json={"target": {"checkId": [check["id"]]}}
    )
    assert triggered.status_code == 201, triggered.text
    assert await Scheduler(quiet.runtime).run_once(utcnow() + timedelta(hours=1)) == 1

    scheduled, by_trigger = await sessions_of(quiet, check["id"])
    assert (scheduled.run_source, by_trigger.run_source) == ("SCHEDULER", "TRIGGER_API")
    assert comparable_session(scheduled) == comparable_session(by_trigger)
    assert scheduled.run_locations == ["local", "alice-lab"]
    scheduled_jobs = await jobs_of(quiet, scheduled.id)
    assert [comparable_job(j) for j in scheduled_jobs] == [
        comparable_job(j) for j in await jobs_of(quiet, by_trigger.id)
    ]
    assert [j["location"] for j in scheduled_jobs] == ["alice-lab", "local"]
    assert scheduled_jobs[0]["config"]["request"]["headers"] == [
        {"key": "X-Group", "value": "1", "locked": False}
    ]


async def poison(vantage: Harness, check_id: str, **values: Any) -> None:
    """What no API call can store: a config or an interval that planning cannot use."""
    async with vantage.runtime.db.write() as conn:
        if "config" in values:
            config = await conn.scalar(sa.select(checks.c.config).where(checks.c.id == check_id))
            assert config is not None
            values["config"] = {**config, **values["config"]}
        await conn.execute(checks.update().where(checks.c.id == check_id).values(**values))


async def test_one_check_that_cannot_be_planned_does_not_stop_the_pass(
    quiet: Harness, http_target: HttpTarget
) -> None:
    alice = await quiet.persona("alice")
    url = f"{http_target.base_url}/ok"
    poisoned = (await create_check(alice, api_check(url, name="poisoned")))["id"]
    healthy = (await create_check(alice, api_check(url, name="healthy")))["id"]
    await poison(quiet, poisoned, config={"maxResponseTime": "soon"})
    due = await next_run(quiet, poisoned)
    assert due is not None

    later = utcnow() + timedelta(hours=1)
    assert await Scheduler(quiet.runtime).run_once(later) == 1

    assert await sessions_of(quiet, poisoned) == []
    assert len(await sessions_of(quiet, healthy)) == 1
    # Its slot passed like any other: the next pass does not try it again at once.
    following = await next_run(quiet, poisoned)
    assert following is not None and following > later
    assert await Scheduler(quiet.runtime).run_once(later) == 0


async def test_a_check_without_a_usable_interval_runs_and_is_retried_a_minute_later(
    quiet: Harness, http_target: HttpTarget
) -> None:
    alice = await quiet.persona("alice")
    url = f"{http_target.base_url}/ok"
    broken = (await create_check(alice, api_check(url, name="no interval")))["id"]
    healthy = (await create_check(alice, api_check(url, name="healthy")))["id"]
    await poison(quiet, broken, interval_seconds=0)

    later = utcnow() + timedelta(hours=1)
    assert await Scheduler(quiet.runtime).run_once(later) == 2
    assert await next_run(quiet, broken) == later + POISONED_RETRY
    assert len(await sessions_of(quiet, healthy)) == 1


async def test_a_trigger_skips_a_check_that_cannot_be_planned(
    quiet: Harness, http_target: HttpTarget
) -> None:
    alice = await quiet.persona("alice")
    url = f"{http_target.base_url}/ok"
    poisoned = (await create_check(alice, api_check(url, name="poisoned")))["id"]
    healthy = (await create_check(alice, api_check(url, name="healthy")))["id"]
    await poison(quiet, poisoned, config={"retryStrategy": "often"})

    response = await alice.post("/v1/check-sessions/trigger", json={})
    assert response.status_code == 201, response.text
    assert [s["checkId"] for s in response.json()["sessions"]] == [healthy]
