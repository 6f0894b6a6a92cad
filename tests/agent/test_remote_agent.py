"""`vantage agent` end to end: a real agent process runs checks for a real
`vantage server --no-local-agent` process, survives the server going away, and stops cleanly."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2
import pytest
import sqlalchemy as sa

from tests.agent.processes import Server, log_events, running_agent, running_server, vantage_cli
from tests.support.checks import api_check
from tests.targets.http_target import HttpTarget
from vantage.db.engine import Database
from vantage.db.tables import check_results, jobs

pytestmark = pytest.mark.e2e

LOCATION = "edge-1"


@dataclass
class Setup:
    server: Server
    agent_key: str
    api: httpx2.AsyncClient
    tmp: Path

    async def check(self, url: str, **fields: Any) -> str:
        response = await self.api.post(
            "/v1/checks/api", json=api_check(url, locations=[LOCATION], **fields)
        )
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    async def trigger(self, check_id: str) -> str:
        response = await self.api.post(
            "/v1/check-sessions/trigger", json={"target": {"checkId": [check_id]}}
        )
        assert response.status_code == 201, response.text
        return str(response.json()["sessions"][0]["checkSessionId"])

    async def completion(self, session_id: str, wait: float = 30) -> dict[str, Any]:
        deadline = time.monotonic() + wait
        while True:
            response = await self.api.get(
                f"/v1/check-sessions/{session_id}/completion", params={"maxWaitSeconds": 5}
            )
            if response.status_code == 200:
                body: dict[str, Any] = response.json()
                return body
            assert response.status_code == 408, response.text
            assert time.monotonic() < deadline, f"session {session_id} did not complete"


@pytest.fixture
async def setup(database_url: str, tmp_path: Path) -> AsyncIterator[Setup]:
    account = vantage_cli("accounts", "create", "ops", "--database-url", database_url)
    location = vantage_cli(
        "locations", "create", LOCATION, "--name", "Edge", "--database-url", database_url
    )
    with running_server(database_url, tmp_path) as server:
        headers = {
            "Authorization": f"Bearer {account['apiKey']}",
            "X-Checkly-Account": account["accountId"],
        }
        async with httpx2.AsyncClient(base_url=server.url, headers=headers, timeout=30) as api:
            yield Setup(server, location["agentKey"], api, tmp_path)


async def job_states(database_url: str) -> list[str]:
    db = Database(database_url, pool_size=1)
    try:
        async with db.read() as conn:
            return list((await conn.scalars(sa.select(jobs.c.state))).all())
    finally:
        await db.dispose()


async def results_per_job(database_url: str) -> list[int]:
    db = Database(database_url, pool_size=1)
    try:
        async with db.read() as conn:
            rows = await conn.execute(
                sa.select(sa.func.count())
                .select_from(check_results)
                .group_by(check_results.c.job_id)
            )
            return [count for (count,) in rows]
    finally:
        await db.dispose()


async def eventually(predicate: Any, timeout: float = 20, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not await predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.1)


def runs_started(target: HttpTarget, key: str) -> int:
    """Requests the target read for `key`: a lease the server committed may never reach an agent
    the test then kills the server under, so a test waits for the runs, not only the leases."""
    return sum(1 for req in target.seen if req.arg("key", "") == key)


def outbox_files(outbox: Path) -> list[str]:
    return sorted(p.name for p in outbox.glob("*.json"))


async def test_an_agent_runs_its_locations_checks_against_a_real_target(
    setup: Setup, http_target: HttpTarget
) -> None:
    outbox = setup.tmp / "outbox"
    check_id = await setup.check(f"{http_target.base_url}/ok")
    with running_agent(setup.server, LOCATION, setup.agent_key, outbox, setup.tmp) as agent:
        sessions = [await setup.trigger(check_id) for _ in range(3)]
        for session_id in sessions:
            done = await setup.completion(session_id)
            assert done["status"] == "PASSED"
            [result] = done["results"]
            assert result["runLocation"] == LOCATION
        assert agent.stop() == 0
    events = [e["event"] for e in log_events(agent.output())]
    assert "agent started" in events
    assert "jobs leased" in events
    assert "results delivered" in events
    assert events[-1] == "agent stopped"
    assert outbox_files(outbox) == []


async def test_results_wait_in_the_outbox_while_the_server_is_down_and_arrive_once(
    setup: Setup, http_target: HttpTarget, database_url: str
) -> None:
    outbox = setup.tmp / "outbox"
    key = uuid.uuid4().hex
    check_id = await setup.check(f"{http_target.base_url}/slow?ms=1500&key={key}")
    with running_agent(setup.server, LOCATION, setup.agent_key, outbox, setup.tmp) as agent:
        sessions = [await setup.trigger(check_id) for _ in range(3)]

        async def all_leased() -> bool:
            return (
                runs_started(http_target, key) == 3
                and await job_states(database_url) == ["LEASED"] * 3
            )

        await eventually(all_leased, what="the agent to lease every job")
        setup.server.kill()

        async def in_outbox() -> bool:
            return len(outbox_files(outbox)) == 3

        await eventually(in_outbox, what="the results to reach the outbox")
        await asyncio.sleep(1.0)  # the server stays away a while longer
        setup.server.start()
        for session_id in sessions:
            done = await setup.completion(session_id)
            assert done["status"] == "PASSED"
            assert len(done["results"]) == 1

        async def outbox_empty() -> bool:
            return outbox_files(outbox) == []

        await eventually(outbox_empty, what="the outbox to empty")
        assert agent.stop() == 0
    assert await results_per_job(database_url) == [1, 1, 1]
    outbox_events = [e for e in log_events(agent.output()) if e.get("source") == "outbox"]
    assert sum(e.get("accepted", 0) for e in outbox_events) == 3


async def test_results_left_in_the_outbox_are_delivered_by_the_next_agent_start(
    setup: Setup, http_target: HttpTarget, database_url: str
) -> None:
    outbox = setup.tmp / "outbox"
    key = uuid.uuid4().hex
    check_id = await setup.check(f"{http_target.base_url}/slow?ms=1000&key={key}")
    with running_agent(setup.server, LOCATION, setup.agent_key, outbox, setup.tmp) as agent:
        session_id = await setup.trigger(check_id)

        async def leased() -> bool:
            return runs_started(http_target, key) == 1 and await job_states(database_url) == [
                "LEASED"
            ]

        await eventually(leased, what="the lease")
        setup.server.kill()

        async def in_outbox() -> bool:
            return len(outbox_files(outbox)) == 1

        await eventually(in_outbox, what="the result to reach the outbox")
        # Stopped while the server is down: the result stays on disk.
        assert agent.stop() == 0
    assert len(outbox_files(outbox)) == 1

    setup.server.start()
    with running_agent(setup.server, LOCATION, setup.agent_key, outbox, setup.tmp) as agent:
        done = await setup.completion(session_id)
        assert done["status"] == "PASSED"
        assert len(done["results"]) == 1
        assert agent.stop() == 0
    assert outbox_files(outbox) == []


async def test_sigterm_finishes_short_runs_and_releases_long_ones_for_another_agent(
    setup: Setup, http_target: HttpTarget, database_url: str
) -> None:
    outbox = setup.tmp / "outbox"
    short = await setup.check(f"{http_target.base_url}/slow?ms=500", name="short")
    long = await setup.check(f"{http_target.base_url}/slow?ms=4000", name="long")
    with running_agent(
        setup.server, LOCATION, setup.agent_key, outbox, setup.tmp, "--drain-seconds", "1.5"
    ) as agent:
        short_session = await setup.trigger(short)
        long_session = await setup.trigger(long)

        async def both_leased() -> bool:
            return await job_states(database_url) == ["LEASED", "LEASED"]

        await eventually(both_leased, what="both leases")
        started = time.monotonic()
        assert agent.stop() == 0
        assert time.monotonic() - started < 8
    # The short run finished within the bound and was delivered; the long one was handed back.
    assert (await setup.completion(short_session, wait=1))["status"] == "PASSED"
    assert await job_states(database_url) == ["QUEUED"]

    with running_agent(setup.server, LOCATION, setup.agent_key, outbox, setup.tmp) as second:
        done = await setup.completion(long_session)
        assert done["status"] == "PASSED"
        assert len(done["results"]) == 1
        assert second.stop() == 0
    assert await results_per_job(database_url) == [1, 1]


async def test_an_agent_masks_the_sensitive_names_it_was_given(
    setup: Setup, http_target: HttpTarget
) -> None:
    outbox = setup.tmp / "outbox"
    check_id = await setup.check(
        f"{http_target.base_url}/echo",
        request={
            "headers": [
                {"key": "X-Trace", "value": "trace-secret-77"},
                {"key": "X-Api-Key", "value": "agent-api-key-1"},
            ]
        },
    )
    with running_agent(
        setup.server, LOCATION, setup.agent_key, outbox, setup.tmp,
        "--sensitive-names", "x-trace",
    ) as agent:  # fmt: skip
        done = await setup.completion(await setup.trigger(check_id))
        assert done["status"] == "PASSED"
        assert agent.stop() == 0
    response = await setup.api.get(f"/v1/check-results/{check_id}")
    [result] = response.json()
    # the server masks only its own (default) names; X-Trace was masked by the agent
    assert "trace-secret-77" not in response.text
    assert "agent-api-key-1" not in response.text
    assert result["apiCheckResult"]["request"]["headers"]["X-Trace"] == "********"
