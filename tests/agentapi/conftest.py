from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx2
import pytest

from tests.support.checks import api_check
from tests.support.harness import Harness, Persona
from tests.targets.http_target import HttpTarget
from vantage.locations import service as locations
from vantage.probes.result import ProbeResult
from vantage.probes.serialize import to_json
from vantage.timeutil import utcnow


@dataclass
class Agent:
    """An agent of one location, speaking the agent protocol over the test's ASGI client."""

    location: str
    key: str
    client: httpx2.AsyncClient
    agent_id: str = "agent-1"

    async def call(self, path: str, body: dict[str, Any] | None = None) -> httpx2.Response:
        return await self.client.post(
            f"/agent/v1{path}",
            json={"agentId": self.agent_id, "location": self.location, **(body or {})},
            headers={"Authorization": f"Bearer {self.key}"},
        )

    async def lease(self, **body: Any) -> list[dict[str, Any]]:
        response = await self.call("/lease", {"max": 10, **body})
        assert response.status_code == 200, response.text
        jobs: list[dict[str, Any]] = response.json()["jobs"]
        return jobs

    async def submit(self, *items: dict[str, Any]) -> list[dict[str, Any]]:
        response = await self.call("/results", {"results": list(items)})
        assert response.status_code == 200, response.text
        statuses: list[dict[str, Any]] = response.json()["results"]
        return statuses


def passing_result(**changes: Any) -> dict[str, Any]:
    now = utcnow()
    result = ProbeResult(
        check_type="API",
        started_at=now,
        stopped_at=now,
        response_time_ms=12.5,
        has_failures=False,
        is_degraded=False,
        over_max_response_time=False,
        detail_key="apiCheckResult",
        detail={"response": {"status": 200}},
    )
    return {**to_json(result), **changes}


def item(job: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return {
        "jobId": job["id"],
        "leaseOwner": job["leaseOwner"],
        "result": passing_result(**changes),
    }


async def new_agent(vantage: Harness, slug: str, agent_id: str = "agent-1") -> Agent:
    async with vantage.runtime.db.write() as conn:
        existing = await locations.by_slug(conn, slug)
        if existing is None:
            _, key = await locations.create(conn, slug, slug.title())
        else:
            from vantage.locations.keys import create_agent_key

            key = await create_agent_key(conn, slug)
    return Agent(slug, key.raw_key, vantage.client, agent_id)


@pytest.fixture
async def berlin(vantage: Harness) -> Agent:
    return await new_agent(vantage, "berlin")


async def start_session(persona: Persona, target: HttpTarget, location: str) -> str:
    check = await persona.post(
        "/v1/checks/api", json=api_check(f"{target.base_url}/ok", locations=[location])
    )
    assert check.status_code == 201, check.text
    response = await persona.post(
        "/v1/check-sessions/trigger", json={"target": {"checkId": [check.json()["id"]]}}
    )
    assert response.status_code == 201, response.text
    return str(response.json()["sessions"][0]["checkSessionId"])
