"""A request body past the limit is refused before it is buffered (M2): a declared
`Content-Length` at once, a chunked body as soon as it passes the limit, on the public API and
on the agent API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx2
import pytest

from tests.agentapi.conftest import Agent, new_agent
from tests.support.checks import api_check
from tests.support.harness import Harness, Persona, running_vantage, settings_for
from vantage.agentapi.schemas import MAX_BODY_BYTES as AGENT_LIMIT

MIB = 1024 * 1024
CHUNK = 64 * 1024
JSON = {"Content-Type": "application/json"}


def assert_too_large(response: httpx2.Response, limit: int) -> None:
    assert response.status_code == 413, response.text
    assert response.json() == {
        "statusCode": 413,
        "error": "Payload Too Large",
        "message": f"Payload content length greater than maximum allowed: {limit}",
    }


class Chunks:
    """A chunked body (no Content-Length) that counts how much of it the server read."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.sent = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield b'{"name": "'
        while self.sent < self.total:
            self.sent += CHUNK
            yield b"a" * CHUNK
        yield b'"}'


def check_of(size: int) -> bytes:
    payload = api_check("http://x.test", name="big", description="d" * size)
    return httpx2.Request("POST", "/", json=payload).content


async def test_a_declared_body_over_1_mib_is_refused_unread(alice: Persona) -> None:
    response = await alice.post("/v1/checks/api", content=check_of(MIB), headers=JSON)
    assert_too_large(response, MIB)


async def test_a_chunked_body_is_refused_once_it_passes_the_limit(alice: Persona) -> None:
    body = Chunks(100 * MIB)
    response = await alice.post("/v1/checks/api", content=body, headers=JSON)
    assert_too_large(response, MIB)
    assert body.sent <= MIB + CHUNK  # read no further than the limit


async def test_a_body_under_the_limit_is_read(alice: Persona) -> None:
    response = await alice.post("/v1/checks/api", content=check_of(MIB - 2048), headers=JSON)
    assert response.status_code == 400  # read, parsed and validated: the description is long
    assert response.json()["validation"]["keys"] == ["description"]


async def test_the_limit_is_a_setting(database_url: str) -> None:
    settings = settings_for(database_url, max_body_bytes=4096)
    async with running_vantage(settings, background=False) as harness:
        alice = await harness.persona("alice")
        response = await alice.post("/v1/checks/api", content=check_of(5000), headers=JSON)
        assert_too_large(response, 4096)
        created = await alice.post("/v1/checks/api", json=api_check("http://x.test"))
        assert created.status_code == 201, created.text


@pytest.fixture
async def agent(vantage: Harness) -> Agent:
    return await new_agent(vantage, "edge-limits")


async def agent_post(agent: Agent, content: Any) -> httpx2.Response:
    return await agent.client.post(
        "/agent/v1/results",
        content=content,
        headers={"Authorization": f"Bearer {agent.key}", **JSON},
    )


async def test_the_agent_api_refuses_a_body_over_its_own_limit(agent: Agent) -> None:
    declared = b'{"agentId": "a", "results": [], "pad": "' + b"a" * AGENT_LIMIT + b'"}'
    assert_too_large(await agent_post(agent, declared), AGENT_LIMIT)
    chunked = Chunks(100 * MIB)
    assert_too_large(await agent_post(agent, chunked), AGENT_LIMIT)
    assert chunked.sent <= AGENT_LIMIT + CHUNK


async def test_the_agent_api_reads_a_batch_larger_than_the_public_limit(agent: Agent) -> None:
    body = b'{"agentId": "a", "results": [], "pad": "' + b"a" * (2 * MIB) + b'"}'
    response = await agent_post(agent, body)
    assert response.status_code == 200, response.text
    assert response.json() == {"results": []}
