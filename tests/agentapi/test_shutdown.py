"""A stopping server answers its agents' long-polls at once, with no job, and leases nothing more
(the agent reconnects, to another replica if there is one), on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import sqlalchemy as sa

from tests.agentapi.conftest import Agent, new_agent, start_session
from tests.support.harness import Harness, running_vantage, settings_for
from tests.targets.http_target import HttpTarget
from vantage.db.tables import jobs


@pytest.fixture
async def remote_only(database_url: str) -> AsyncIterator[Harness]:
    """No embedded agent: the server's own shutdown stops that one before it closes the
    long-polls (vantage.app: stop_work); here only remote agents wait."""
    async with running_vantage(settings_for(database_url, local_agent=False)) as harness:
        yield harness


async def test_a_stopping_server_answers_waiting_long_polls_at_once_and_leases_nothing(
    remote_only: Harness, http_target: HttpTarget
) -> None:
    vantage = remote_only
    alice = await vantage.persona("alice")
    berlin = await new_agent(vantage, "berlin")
    other = Agent("berlin", berlin.key, berlin.client, "agent-2")
    waiting = [asyncio.create_task(a.lease(waitSeconds=20)) for a in (berlin, other)]
    await asyncio.sleep(0.3)  # both are asleep on the location's bell now
    vantage.runtime.signals.close_long_polls()
    # Far sooner than their 20 s wait (a hung long-poll fails the test here).
    async with asyncio.timeout(10):
        assert await asyncio.gather(*waiting) == [[], []]

    await start_session(alice, http_target, "berlin")
    assert await berlin.lease(waitSeconds=20) == []
    async with vantage.runtime.db.read() as conn:
        assert (await conn.execute(sa.select(jobs.c.state, jobs.c.lease_owner))).all() == [
            ("QUEUED", None)
        ]


async def test_the_embedded_agent_of_a_stopping_server_backs_off_instead_of_asking_again(
    vantage: Harness,
) -> None:
    # With the embedded agent still running, its in-process long-poll would answer at once and
    # be asked again without ever yielding, starving the server: it backs off instead.
    berlin = await new_agent(vantage, "berlin")
    waiting = asyncio.create_task(berlin.lease(waitSeconds=20))
    await asyncio.sleep(0.3)
    vantage.runtime.signals.close_long_polls()
    async with asyncio.timeout(10):
        assert await waiting == []
    assert (await berlin.call("/heartbeat")).status_code == 200
