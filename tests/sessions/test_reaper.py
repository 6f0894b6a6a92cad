"""The reaper sleeps until the earliest open session's deadline, and a session that starts with an
earlier one wakes it: its fallback poll here is an hour, so only that can time a session out."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.support.checks import api_check
from tests.support.harness import Persona, running_vantage, settings_for
from tests.targets.http_target import HttpTarget

# Far longer than any test: a time-out within the test's bound is the reaper's sleep-until-due.
FALLBACK_SECONDS = 3600.0
# A generous bound for a session due in about 2 s to be ended, on a loaded machine.
BOUND_SECONDS = 20.0


def quiet(database_url: str) -> Any:
    """No agent takes the jobs, no scheduler starts runs: only the reaper ends a session."""
    return settings_for(
        database_url,
        local_agent=False,
        reaper_interval_seconds=FALLBACK_SECONDS,
        session_deadline_slack_seconds=1.0,
    )


async def triggered(alice: Persona, url: str, max_response_time: int) -> str:
    """A triggered session of a new check, due in max_response_time + 1 s grace + 1 s slack."""
    created = await alice.post(
        "/v1/checks/api",
        json=api_check(
            url, maxResponseTime=max_response_time, degradedResponseTime=max_response_time
        ),
    )
    assert created.status_code == 201, created.text
    started = await alice.post(
        "/v1/check-sessions/trigger", json={"target": {"checkId": [created.json()["id"]]}}
    )
    assert started.status_code == 201, started.text
    session_id: str = started.json()["sessions"][0]["checkSessionId"]
    return session_id


async def status_of(alice: Persona, session_id: str) -> str:
    status: str = (await alice.get(f"/v1/check-sessions/{session_id}")).json()["status"]
    return status


async def ended(alice: Persona, session_id: str) -> str:
    """The session's status once it has ended (condition wait, bounded)."""
    async with asyncio.timeout(BOUND_SECONDS):
        while (status := await status_of(alice, session_id)) in ("STARTED", "PROGRESS"):
            await asyncio.sleep(0.1)
    return status


async def test_a_session_is_timed_out_at_its_deadline_not_at_the_fallback_poll(
    database_url: str, http_target: HttpTarget
) -> None:
    async with running_vantage(quiet(database_url)) as vantage:
        alice = await vantage.persona("alice")
        session_id = await triggered(alice, f"{http_target.base_url}/ok", 1000)
        assert await ended(alice, session_id) == "TIMED_OUT"


async def test_a_session_with_an_earlier_deadline_wakes_the_reaper_asleep_until_a_later_one(
    database_url: str, http_target: HttpTarget
) -> None:
    async with running_vantage(quiet(database_url)) as vantage:
        alice = await vantage.persona("alice")
        # Due in 32 s: the reaper sleeps until then...
        later = await triggered(alice, f"{http_target.base_url}/ok", 30000)
        # ...until this one, due in 3 s, starts.
        sooner = await triggered(alice, f"{http_target.base_url}/ok", 1000)
        assert await ended(alice, sooner) == "TIMED_OUT"
        assert await status_of(alice, later) == "STARTED"
