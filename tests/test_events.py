"""Replicas on one PostgreSQL wake each other through LISTEN/NOTIFY."""

from __future__ import annotations

import asyncio

import pytest

from tests.support.checks import api_check
from tests.support.databases import fresh_postgres
from tests.support.harness import running_vantage, settings_for
from tests.targets.http_target import HttpTarget


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
