"""The agent's client keeps every upload under the agent API's body limit (M2): a batch is split
across uploads, and the rare result too large for one upload is cut down, not refused."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx2
import pytest
import sqlalchemy as sa

from tests.agentapi.conftest import new_agent, passing_result, start_session
from tests.support.harness import BASE, Harness, settings_for
from tests.targets.http_target import HttpTarget
from vantage.agent.client import TOO_LARGE, AgentClient, BadAnswer, Delivery
from vantage.agent.control import encode
from vantage.agentapi.schemas import MAX_BODY_BYTES
from vantage.app import create_app
from vantage.db.tables import check_results

MIB = 1024 * 1024


class Recording(httpx2.AsyncBaseTransport):
    """The app's transport, noting the size of every request body it carries."""

    def __init__(self, inner: httpx2.AsyncBaseTransport) -> None:
        self.inner = inner
        self.sizes: list[int] = []

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        self.sizes.append(len(await request.aread()))
        return await self.inner.handle_async_request(request)


@pytest.fixture
async def served(database_url: str) -> AsyncIterator[tuple[Harness, Recording]]:
    app = create_app(settings_for(database_url))
    async with app.router.lifespan_context(app):
        transport = httpx2.ASGITransport(app=app)
        async with httpx2.AsyncClient(transport=transport, base_url=BASE, timeout=60) as http:
            yield Harness(app.state.runtime, http), Recording(transport)


async def deliveries(
    served: tuple[Harness, Recording], target: HttpTarget, bodies: list[str]
) -> tuple[AgentClient, list[Delivery]]:
    harness, recording = served
    alice = await harness.persona("alice")
    agent = await new_agent(harness, "edge-big")
    for _ in bodies:
        await start_session(alice, target, "edge-big")
    jobs = await agent.lease(max=len(bodies))
    assert len(jobs) == len(bodies)
    out = []
    for job, body in zip(jobs, bodies, strict=True):
        result: dict[str, Any] = passing_result(detail={"response": {"body": body}})
        out.append(Delivery(job["id"], job["leaseOwner"], result))
    client = AgentClient(
        BASE, key=agent.key, location="edge-big", agent_id=agent.agent_id, transport=recording
    )
    return client, out


async def test_a_batch_over_the_limit_goes_in_several_uploads(
    served: tuple[Harness, Recording], http_target: HttpTarget
) -> None:
    harness, recording = served
    client, batch = await deliveries(served, http_target, ["é" * (MIB // 2)] * 6)
    try:
        assert await client.submit(batch) == ["accepted"] * 6
    finally:
        await client.aclose()
    assert len(recording.sizes) >= 2
    assert max(recording.sizes) <= MAX_BODY_BYTES
    assert sum(recording.sizes) > MAX_BODY_BYTES


async def test_a_result_too_large_for_one_upload_is_cut_down(
    served: tuple[Harness, Recording], http_target: HttpTarget
) -> None:
    harness, recording = served
    client, batch = await deliveries(served, http_target, ["a" * (10 * MIB)])
    try:
        assert await client.submit(batch) == ["accepted"]
    finally:
        await client.aclose()
    assert max(recording.sizes) <= MAX_BODY_BYTES
    async with harness.runtime.db.read() as conn:
        detail: Any = await conn.scalar(sa.select(check_results.c.detail))
    assert detail["response"]["body"] == "a" * 65_536 + "… (truncated)"


def test_a_result_that_cannot_be_cut_enough_keeps_its_verdict_without_detail() -> None:
    result = passing_result(detail={"actual": list(range(2 * MIB))})
    encoded = Delivery("job", "owner", result).encoded(MIB)
    assert len(encoded) <= MIB
    assert b'"detail":{}' in encoded and TOO_LARGE.encode() in encoded
    assert b'"hasFailures":false' in encoded


# Answers are the protocol's or a clear error (BadAnswer: retried like an outage), not a KeyError.


def answering(status: int, body: bytes, content_type: str = "application/json") -> AgentClient:
    def handler(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(status, content=body, headers={"content-type": content_type})

    return AgentClient(
        BASE, key="k", location="edge", agent_id="a-1", transport=httpx2.MockTransport(handler)
    )


LEASED = {
    "id": "j-1",
    "attempt": 1,
    "leaseOwner": "a-1/0",
    "leaseExpiresAt": "2026-11-27T10:00:30.000Z",
    "leaseSeconds": 30,
    "checkType": "API",
    "checkId": "c-1",
    "sessionId": "s-1",
    "config": {"checkType": "API"},
}


async def test_a_lease_answer_is_read_into_jobs() -> None:
    body = {"jobs": [LEASED], "serverTime": "2026-11-27T10:00:00.000Z", "newField": 1}
    client = answering(200, encode(body))
    [job] = await client.lease(1, 0, 30)
    assert (job.id, job.lease_owner, job.lease_seconds, job.check_type) == (
        "j-1",
        "a-1/0",
        30.0,
        "API",
    )


async def test_a_lease_answer_missing_a_field_names_it() -> None:
    job = {k: v for k, v in LEASED.items() if k != "leaseOwner"}
    client = answering(200, encode({"jobs": [job], "serverTime": "2026-11-27T10:00:00.000Z"}))
    with pytest.raises(BadAnswer, match=r"/agent/v1/lease .*jobs\.0\.leaseOwner: Field required"):
        await client.lease(1, 0, 30)


async def test_an_answer_that_is_not_json_is_a_bad_answer() -> None:
    client = answering(200, b"<html>proxy says hi</html>", "text/html")
    with pytest.raises(BadAnswer, match=r"/agent/v1/heartbeat is not JSON \(text/html\)"):
        await client.heartbeat()


async def test_an_unknown_result_status_is_a_bad_answer() -> None:
    client = answering(200, encode({"results": [{"jobId": "j-1", "status": "maybe"}]}))
    with pytest.raises(BadAnswer, match=r"results\.0\.status"):
        await client.submit([Delivery("j-1", "a-1/0", passing_result())])


async def test_fewer_statuses_than_results_is_a_bad_answer() -> None:
    client = answering(200, encode({"results": [{"jobId": "j-1", "status": "accepted"}]}))
    deliveries = [Delivery(f"j-{n}", "a-1/0", passing_result()) for n in range(2)]
    with pytest.raises(BadAnswer, match="1 statuses .* for 2 results"):
        await client.submit(deliveries)
