"""One bad item in a result batch is `rejected` alone, never a 500 for the batch (M4): a remote
agent keeps a batch answered with a 5xx in its ordered outbox, and would lease nothing more. Text
a probe saw that the database cannot hold is made storable rather than lost (M3)."""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa

from tests.agentapi.conftest import Agent, item, start_session
from tests.support.harness import Harness, Persona
from tests.targets.http_target import HttpTarget
from vantage.db.tables import check_results


async def leased(
    berlin: Agent, alice: Persona, target: HttpTarget, count: int
) -> list[dict[str, Any]]:
    for _ in range(count):
        await start_session(alice, target, "berlin")
    jobs = await berlin.lease(max=count)
    assert len(jobs) == count
    return jobs


async def test_timestamps_out_of_range_are_rejected_alone(
    berlin: Agent, alice: Persona, http_target: HttpTarget
) -> None:
    early, late, good = await leased(berlin, alice, http_target, 3)
    statuses = await berlin.submit(
        item(early, startedAt="0001-01-01T00:00:00+01:00"),
        item(late, stoppedAt="9999-12-31T23:59:59-01:00"),
        item(good),
    )
    assert [s["status"] for s in statuses] == ["rejected", "rejected", "accepted"]
    assert statuses[0]["message"] == '"startedAt" is out of range'
    assert statuses[1]["message"] == '"stoppedAt" is out of range'


async def test_ids_that_cannot_be_looked_up_are_rejected_alone(
    berlin: Agent, alice: Persona, http_target: HttpTarget
) -> None:
    [good] = await leased(berlin, alice, http_target, 1)
    items = [
        {**item(good), "jobId": "JOB-NUL"},
        {**item(good), "leaseOwner": "OWNER-SURROGATE"},
        {**item(good), "jobId": "x" * 1000},
        {**item(good), "result": {**item(good)["result"], "responseTimeMs": 10**400}},
        item(good),
    ]
    body = json.dumps({"agentId": berlin.agent_id, "results": items})
    body = body.replace("JOB-NUL", "job\\u0000").replace("OWNER-SURROGATE", "\\ud800")
    response = await berlin.client.post(
        "/agent/v1/results",
        content=body.encode(),
        headers={"Authorization": f"Bearer {berlin.key}", "Content-Type": "application/json"},
    )
    assert response.status_code == 200, response.text
    statuses = response.json()["results"]
    assert [s["status"] for s in statuses] == ["rejected"] * 4 + ["accepted"]
    assert statuses[0]["jobId"] == "job\ufffd"  # echoed as it can be encoded
    assert statuses[1]["message"] == '"leaseOwner" must be an id of at most 100 characters'


async def test_unstorable_text_in_a_result_is_stored_replaced(
    vantage: Harness, berlin: Agent, alice: Persona, http_target: HttpTarget
) -> None:
    [job] = await leased(berlin, alice, http_target, 1)
    result = item(job)["result"]
    result["detail"] = {"response": {"status": 200, "body": "BODY"}, "actual": "ACTUAL"}
    result["error"] = "ERROR"
    body = json.dumps({"agentId": berlin.agent_id, "results": [{**item(job), "result": result}]})
    body = (
        body.replace("BODY", "bin\\u0000ary")
        .replace("ACTUAL", "\\udc80")
        .replace("ERROR", "e\\u0000")
    )
    response = await berlin.client.post(
        "/agent/v1/results",
        content=body.encode(),
        headers={"Authorization": f"Bearer {berlin.key}", "Content-Type": "application/json"},
    )
    assert response.status_code == 200, response.text
    [status] = response.json()["results"]
    assert status["status"] == "accepted"
    async with vantage.runtime.db.read() as conn:
        detail: Any = await conn.scalar(
            sa.select(check_results.c.detail).where(check_results.c.id == status["resultId"])
        )
    assert detail["response"]["body"] == "bin\ufffdary"
    assert detail["actual"] == "\ufffd"
