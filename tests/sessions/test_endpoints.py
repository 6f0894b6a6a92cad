from __future__ import annotations

import asyncio
import re
import uuid
from datetime import datetime
from typing import Any

from tests.support.checks import api_check
from tests.support.harness import Harness, Persona
from tests.targets.http_target import HttpTarget
from vantage.agent.local import embedded_agent
from vantage.db.tables import jobs
from vantage.locations import service as locations
from vantage.scheduling.scheduler import Reaper

ISO_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


async def create(persona: Persona, payload: dict[str, Any]) -> str:
    response = await persona.post("/v1/checks/api", json=payload)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def trigger(persona: Persona, version: int = 1, **target: Any) -> list[dict[str, Any]]:
    response = await persona.post(f"/v{version}/check-sessions/trigger", json={"target": target})
    assert response.status_code == 201, response.text
    sessions: list[dict[str, Any]] = response.json()["sessions"]
    return sessions


async def completion(persona: Persona, session_id: str, version: int = 1) -> dict[str, Any]:
    response = await persona.get(
        f"/v{version}/check-sessions/{session_id}/completion", params={"maxWaitSeconds": 10}
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def parse(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


async def test_a_triggered_session_passes_and_reads_back_in_checklys_shape(
    alice: Persona, http_target: HttpTarget
) -> None:
    check_id = await create(alice, api_check(f"{http_target.base_url}/ok", name="Home"))

    [started] = await trigger(alice, checkId=[check_id])
    assert started["status"] == "STARTED"
    assert started["stoppedAt"] is None
    assert started["runSource"] == "TRIGGER_API"

    done = await completion(alice, started["checkSessionId"])
    read = (await alice.get(f"/v1/check-sessions/{started['checkSessionId']}")).json()

    assert read == done
    assert done["status"] == "PASSED"
    assert uuid.UUID(done["checkSessionId"]) and uuid.UUID(done["checkId"])
    assert done["checkType"] == "API"
    assert done["name"] == "Home"
    assert done["runLocations"] == ["local"]
    assert ISO_MS.match(done["startedAt"]) and ISO_MS.match(done["stoppedAt"])
    elapsed = parse(done["stoppedAt"]) - parse(done["startedAt"])
    assert done["timeElapsed"] == round(elapsed.total_seconds() * 1000)
    assert done["checkSessionLink"] == (
        f"http://vantage.test/accounts/{alice.account_id}/checks/{check_id}"
        f"/check-sessions/{done['checkSessionId']}"
    )
    [result] = done["results"]
    assert result["resultType"] == "FINAL"
    assert result["runLocation"] == "local"
    assert result["hasFailures"] is False and result["hasErrors"] is False
    assert (
        result["checkResultLink"] == f"{done['checkSessionLink']}/results/{result['checkResultId']}"
    )
    # Integer milliseconds, as Checkly sends them: a loopback answer may round to 0.
    assert isinstance(result["responseTime"], int) and result["responseTime"] >= 0
    full = await alice.get(f"/v1/check-results/{check_id}/{result['checkResultId']}")
    assert full.status_code == 200
    assert full.json()["apiCheckResult"]["response"]["status"] == 200


async def test_a_failing_check_fails_its_session(alice: Persona, http_target: HttpTarget) -> None:
    check_id = await create(alice, api_check(f"{http_target.base_url}/status/500"))
    [started] = await trigger(alice, version=2, checkId=[check_id])
    done = await completion(alice, started["checkSessionId"], version=2)
    assert done["status"] == "FAILED"
    assert done["results"][0]["hasFailures"] is True


async def test_a_slow_check_is_degraded(alice: Persona, http_target: HttpTarget) -> None:
    payload = api_check(f"{http_target.base_url}/slow?ms=300", degradedResponseTime=100)
    check_id = await create(alice, payload)
    [started] = await trigger(alice, checkId=[check_id])
    done = await completion(alice, started["checkSessionId"])
    assert done["status"] == "DEGRADED"
    assert done["results"][0]["isDegraded"] is True


async def test_completion_answers_408_while_the_session_runs(
    alice: Persona, http_target: HttpTarget
) -> None:
    check_id = await create(alice, api_check(f"{http_target.base_url}/slow?ms=2500"))
    [started] = await trigger(alice, checkId=[check_id])
    response = await alice.get(
        f"/v2/check-sessions/{started['checkSessionId']}/completion",
        params={"maxWaitSeconds": 1},
    )
    assert response.status_code == 408
    assert response.json() == {
        "statusCode": 408,
        "error": "Request Time-out",
        "message": "Check session is still in progress, but maximum per-request wait time "
        "was exceeded. Please retry.",
    }
    assert (await completion(alice, started["checkSessionId"], 2))["status"] == "PASSED"


async def test_completion_rejects_a_wait_beyond_thirty_seconds(alice: Persona) -> None:
    response = await alice.get(
        f"/v1/check-sessions/{uuid.uuid4()}/completion", params={"maxWaitSeconds": 31}
    )
    assert response.status_code == 400
    assert response.json()["validation"]["keys"] == ["maxWaitSeconds"]


async def test_trigger_matches_tags_as_an_or_of_ands(
    alice: Persona, http_target: HttpTarget
) -> None:
    url = f"{http_target.base_url}/ok"
    prod_api = await create(alice, api_check(url, name="a", tags=["prod", "api"]))
    prod_web = await create(alice, api_check(url, name="b", tags=["prod", "web"]))
    staging = await create(alice, api_check(url, name="c", tags=["staging", "api"]))
    await create(alice, api_check(url, name="d", tags=["prod"], activated=False))

    def ids(sessions: list[dict[str, Any]]) -> set[str]:
        return {s["checkId"] for s in sessions}

    assert ids(await trigger(alice, matchTags=[["prod", "api"]])) == {prod_api}
    assert ids(await trigger(alice, matchTags=[["prod", "!api"], ["staging"]])) == {
        prod_web,
        staging,
    }
    assert ids(await trigger(alice, matchTags=["staging"])) == {staging}
    assert ids(await trigger(alice, matchTags=[["prod"]], checkId=[prod_web])) == {prod_web}


async def test_trigger_with_no_match_is_a_404_in_checklys_words(alice: Persona) -> None:
    response = await alice.post(
        "/v2/check-sessions/trigger", json={"target": {"matchTags": [["nothing"]]}}
    )
    assert response.status_code == 404
    assert response.json() == {
        "statusCode": 404,
        "error": "Not Found",
        "message": "No matching checks were found.",
    }


async def test_trigger_rejects_a_check_id_that_is_not_a_uuid(alice: Persona) -> None:
    response = await alice.post(
        "/v1/check-sessions/trigger", json={"target": {"checkId": ["not-a-uuid"]}}
    )
    assert response.status_code == 400
    assert response.json()["validation"]["keys"] == ["target.checkId[0]"]


async def test_it_rejects_other_accounts_session(
    alice: Persona, charlie: Persona, http_target: HttpTarget
) -> None:
    check_id = await create(alice, api_check(f"{http_target.base_url}/ok"))
    [started] = await trigger(alice, checkId=[check_id])
    session_id = started["checkSessionId"]
    for path in (f"/v1/check-sessions/{session_id}", f"/v2/check-sessions/{session_id}/completion"):
        response = await charlie.get(path)
        assert response.status_code == 404
        assert response.json()["message"] == "No such check session."
    response = await charlie.post(
        "/v1/check-sessions/trigger", json={"target": {"checkId": [check_id]}}
    )
    assert response.status_code == 404


async def test_a_session_fails_in_progress_before_every_location_reported(
    vantage: Harness, alice: Persona, http_target: HttpTarget
) -> None:
    """Two locations: `local` fails at once, `far-away` is slow; the session is PROGRESS_FAILED
    until the second FINAL arrives, then FAILED."""
    async with vantage.runtime.db.write() as conn:
        await locations.ensure(conn, "far-away", "Far away")
    check_id = await create(
        alice,
        api_check(
            f"{http_target.base_url}/status/500",
            locations=["local", "far-away"],
            runParallel=True,
        ),
    )
    [started] = await trigger(alice, checkId=[check_id])
    # The far-away run probes a slow URL instead (each job carries its own config snapshot), and
    # its agent starts only then.
    async with vantage.runtime.db.write() as conn:
        await conn.execute(
            jobs.update()
            .where(jobs.c.session_id == started["checkSessionId"], jobs.c.location == "far-away")
            .values(config=_with_url(api_check(f"{http_target.base_url}/slow?ms=1500")))
        )
    agent = embedded_agent(vantage.runtime, location="far-away", concurrency=4)
    agent_task = asyncio.create_task(agent.run())
    try:
        seen = set()
        for _ in range(100):
            body = (await alice.get(f"/v1/check-sessions/{started['checkSessionId']}")).json()
            seen.add(body["status"])
            if body["status"] == "FAILED":
                break
            await asyncio.sleep(0.05)
        assert "PROGRESS_FAILED" in seen
        assert body["status"] == "FAILED"
        assert sorted(r["runLocation"] for r in body["results"]) == ["far-away", "local"]
    finally:
        agent_task.cancel()
        await asyncio.gather(agent_task, return_exceptions=True)


def _with_url(payload: dict[str, Any]) -> dict[str, Any]:
    from vantage.checks.service import validate

    config = validate("API", payload)
    return {**config, "checkType": "API", "name": payload["name"]}


async def test_a_location_without_an_agent_times_out_at_the_deadline(
    vantage: Harness, alice: Persona, http_target: HttpTarget
) -> None:
    async with vantage.runtime.db.write() as conn:
        await locations.ensure(conn, "nobody-home", "No agent here")
    check_id = await create(
        alice,
        api_check(
            f"{http_target.base_url}/ok",
            locations=["local", "nobody-home"],
            runParallel=True,
            maxResponseTime=1000,
            degradedResponseTime=500,
        ),
    )
    [started] = await trigger(alice, checkId=[check_id])
    session_id = started["checkSessionId"]
    for _ in range(100):
        body = (await alice.get(f"/v1/check-sessions/{session_id}")).json()
        if body["results"]:
            break
        await asyncio.sleep(0.05)
    assert body["status"] == "PROGRESS"

    reaper = Reaper(vantage.runtime)
    assert await reaper.run_once() == []  # not yet past the deadline
    from datetime import timedelta

    later = parse(body["startedAt"]) + timedelta(minutes=5)
    assert await reaper.run_once(now=later) == [session_id]

    done = await completion(alice, session_id)
    assert done["status"] == "TIMED_OUT"
    assert [r["runLocation"] for r in done["results"]] == ["local"]


async def test_many_sessions_at_once_all_finish_with_one_final_each(
    alice: Persona, http_target: HttpTarget
) -> None:
    """Results arriving together are stored in one batch; each session still gets its own."""
    for i in range(40):
        await create(alice, api_check(f"{http_target.base_url}/ok", name=f"c{i}", tags=["bulk"]))
    sessions = await trigger(alice, version=2, matchTags=[["bulk"]])
    assert len(sessions) == 40
    for started in sessions:
        done = await completion(alice, started["checkSessionId"], version=2)
        assert done["status"] == "PASSED"
        assert [r["resultType"] for r in done["results"]] == ["FINAL"]
