"""No account receives another account's runs through a location slug, with real `vantage server
--no-local-agent` and `vantage agent` processes: not by registering the default location `local`
(H3), nor by creating the slug of a location another account deleted with runs still queued (M1)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2
import pytest
import sqlalchemy as sa

from tests.agent.processes import AgentProcess, Server, running_server, spawn_agent, vantage_cli
from tests.support.checks import api_check
from tests.targets.http_target import HttpTarget
from vantage.db.engine import Database
from vantage.db.tables import jobs

pytestmark = pytest.mark.e2e


@dataclass
class Account:
    api: httpx2.AsyncClient

    async def post(self, path: str, body: dict[str, Any]) -> httpx2.Response:
        return await self.api.post(path, json=body)

    async def create_check(self, payload: dict[str, Any]) -> str:
        response = await self.post("/v1/checks/api", payload)
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    async def trigger(self, check_id: str) -> str:
        response = await self.post(
            "/v2/check-sessions/trigger", {"target": {"checkId": [check_id]}}
        )
        assert response.status_code == 201, response.text
        return str(response.json()["sessions"][0]["checkSessionId"])

    async def session(self, session_id: str) -> dict[str, Any]:
        response = await self.api.get(f"/v2/check-sessions/{session_id}")
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def completion(self, session_id: str, wait: float = 30) -> dict[str, Any]:
        deadline = time.monotonic() + wait
        while True:
            response = await self.api.get(
                f"/v2/check-sessions/{session_id}/completion", params={"maxWaitSeconds": 5}
            )
            if response.status_code == 200:
                body: dict[str, Any] = response.json()
                return body
            assert response.status_code == 408, response.text
            assert time.monotonic() < deadline, f"session {session_id} did not complete"


@dataclass
class Setup:
    server: Server
    database_url: str
    tmp: Path
    victim: Account
    attacker: Account

    def agent(self, location: str, key: str) -> AgentProcess:
        outbox = self.tmp / f"outbox-{location}-{time.monotonic_ns()}"
        return spawn_agent(self.server.url, location, key, outbox, self.tmp)

    async def job_states(self) -> list[str]:
        db = Database(self.database_url, pool_size=1)
        try:
            async with db.read() as conn:
                return list((await conn.scalars(sa.select(jobs.c.state))).all())
        finally:
            await db.dispose()


@pytest.fixture
async def setup(database_url: str, tmp_path: Path) -> AsyncIterator[Setup]:
    victim = vantage_cli("accounts", "create", "victim", "--database-url", database_url)
    attacker = vantage_cli("accounts", "create", "attacker", "--database-url", database_url)
    with running_server(database_url, tmp_path) as server:  # --no-local-agent

        def client(account: dict[str, str]) -> httpx2.AsyncClient:
            headers = {
                "Authorization": f"Bearer {account['apiKey']}",
                "X-Checkly-Account": account["accountId"],
            }
            return httpx2.AsyncClient(base_url=server.url, headers=headers, timeout=30)

        async with client(victim) as victim_api, client(attacker) as attacker_api:
            yield Setup(server, database_url, tmp_path, Account(victim_api), Account(attacker_api))


def leased_count(agent: AgentProcess) -> int:
    return sum(int(e.get("count", 0)) for e in agent.events() if e.get("event") == "jobs leased")


def secret_check(url: str, **fields: Any) -> dict[str, Any]:
    return api_check(
        url,
        request={
            "headers": [{"key": "X-Api-Key", "value": "VICTIM-SECRET"}],
            "basicAuth": {"username": "svc", "password": "VICTIM-PASSWORD"},
        },
        **fields,
    )


async def test_no_account_can_register_the_default_location_and_lease_its_runs(
    setup: Setup, http_target: HttpTarget
) -> None:
    """H3: the victim's check names no location, so it runs in the default `local`, which no
    embedded agent serves here. The attacker cannot create `local`, its keys do not open it, and
    only an operator's agent for `local` runs the victim's check."""
    check_id = await setup.victim.create_check(secret_check(f"{http_target.base_url}/ok"))

    taken = await setup.attacker.post(
        "/v1/private-locations", {"name": "Local", "slugName": "local"}
    )
    assert taken.status_code == 409, taken.text
    own = await setup.attacker.post(
        "/v1/private-locations", {"name": "Edge", "slugName": "attacker-edge"}
    )
    assert own.status_code == 201, own.text
    attacker_key = own.json()["keys"][0]["rawKey"]

    # Its key works for its own location only: an agent that claims `local` with it is refused.
    posing = setup.agent("local", attacker_key)
    assert posing.process.wait(30) == 2
    attackers_agent = setup.agent("attacker-edge", attacker_key)
    try:
        attackers_agent.agent_id()
        session_id = await setup.victim.trigger(check_id)
        await asyncio.sleep(3)  # several long-polls of the attacker's agent
        assert await setup.job_states() == ["QUEUED"]
        assert leased_count(attackers_agent) == 0
        assert (await setup.victim.session(session_id))["status"] == "STARTED"

        # The operator serves `local` with a key of its own; the run completes there.
        operator_key = vantage_cli(
            "locations", "key", "local", "--database-url", setup.database_url
        )["agentKey"]
        operators_agent = setup.agent("local", operator_key)
        try:
            done = await setup.victim.completion(session_id)
        finally:
            operators_agent.kill()
        assert done["status"] == "PASSED"
        assert [r["runLocation"] for r in done["results"]] == ["local"]
        assert leased_count(attackers_agent) == 0
    finally:
        attackers_agent.kill()


async def test_a_deleted_locations_queued_runs_never_reach_whoever_takes_its_slug(
    setup: Setup, http_target: HttpTarget
) -> None:
    """M1: the victim's run waits at its private location when the location is deleted; the run is
    withdrawn and its session ended, and the attacker who creates the slug next leases only its
    own run."""
    victims = await setup.victim.post(
        "/v1/private-locations", {"name": "Reuse", "slugName": "reuse-me"}
    )
    assert victims.status_code == 201, victims.text
    check_id = await setup.victim.create_check(
        secret_check(f"{http_target.base_url}/ok", privateLocations=["reuse-me"])
    )
    victim_session = await setup.victim.trigger(check_id)
    moved = await setup.victim.api.put(
        f"/v1/checks/{check_id}", json={"privateLocations": [], "activated": False}
    )
    assert moved.status_code == 200, moved.text
    deleted = await setup.victim.api.delete(f"/v1/private-locations/{victims.json()['id']}")
    assert deleted.status_code == 204, deleted.text
    assert (await setup.victim.session(victim_session))["status"] == "CANCELLED"
    assert await setup.job_states() == []

    taken = await setup.attacker.post(
        "/v1/private-locations", {"name": "Mine", "slugName": "reuse-me"}
    )
    assert taken.status_code == 201, taken.text
    attacker_check = await setup.attacker.create_check(
        api_check(f"{http_target.base_url}/ok", privateLocations=["reuse-me"])
    )
    attackers_agent = setup.agent("reuse-me", taken.json()["keys"][0]["rawKey"])
    try:
        attacker_session = await setup.attacker.trigger(attacker_check)
        done = await setup.attacker.completion(attacker_session)
        assert done["status"] == "PASSED"
        await asyncio.sleep(1)
        assert leased_count(attackers_agent) == 1
    finally:
        attackers_agent.kill()
    victims_view = await setup.victim.session(victim_session)
    assert victims_view["status"] == "CANCELLED"
    assert victims_view["results"] == []
