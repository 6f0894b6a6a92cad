"""`/v1/check-statuses`: each check's latest state, kept up to date by every FINAL result."""

from __future__ import annotations

import re
import uuid
from typing import Any

from tests.support.checks import api_check
from tests.support.harness import Persona
from tests.support.sessions import create
from tests.support.sessions import run as run_session
from tests.targets.http_target import HttpTarget

ISO_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
STATUS_KEYS = {
    "name",
    "checkId",
    "hasFailures",
    "hasErrors",
    "isDegraded",
    "longestRun",
    "shortestRun",
    "lastRunLocation",
    "lastCheckRunId",
    "sslDaysRemaining",
    "created_at",
    "updated_at",
}


async def status_of(persona: Persona, check_id: str) -> dict[str, Any]:
    response = await persona.get(f"/v1/check-statuses/{check_id}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_a_check_that_never_ran_has_no_status(
    alice: Persona, http_target: HttpTarget
) -> None:
    check_id = await create(alice, api_check(f"{http_target.base_url}/ok"))
    assert (await alice.get(f"/v1/check-statuses/{check_id}")).status_code == 404
    assert (await alice.get("/v1/check-statuses")).json() == []


async def test_the_status_follows_a_passing_then_a_failing_run(
    alice: Persona, http_target: HttpTarget
) -> None:
    check_id = await create(alice, api_check(f"{http_target.base_url}/ok", name="Flipper"))
    passed = await run_v1(alice, check_id)
    assert passed["status"] == "PASSED"
    first_time = passed["results"][0]["responseTime"]

    status = await status_of(alice, check_id)
    assert set(status) == STATUS_KEYS
    assert status["name"] == "Flipper"
    assert status["checkId"] == check_id
    assert status["hasFailures"] is False
    assert status["hasErrors"] is False
    assert status["isDegraded"] is False
    assert status["lastRunLocation"] == "local"
    # A string, as Checkly sends it: a run id does not fit a JavaScript number.
    assert status["lastCheckRunId"].isdigit()
    assert status["longestRun"] == status["shortestRun"] == first_time
    assert status["sslDaysRemaining"] is None
    assert ISO_MS.match(status["created_at"])

    # the second run is slower, and fails
    await alice.put(
        f"/v1/checks/{check_id}",
        json={
            "request": {
                "url": f"{http_target.base_url}/slow?ms=200",
                "assertions": [{"source": "STATUS_CODE", "comparison": "EQUALS", "target": "201"}],
            }
        },
    )
    failed = await run_v1(alice, check_id)
    assert failed["status"] == "FAILED"
    second_time = failed["results"][0]["responseTime"]
    assert second_time > first_time

    after = await status_of(alice, check_id)
    assert after["hasFailures"] is True
    assert after["longestRun"] == second_time
    assert after["shortestRun"] == first_time
    assert after["lastRunLocation"] == "local"
    assert after["lastCheckRunId"] != status["lastCheckRunId"]
    assert after["created_at"] == status["created_at"]
    assert ISO_MS.match(after["updated_at"])

    # and back to passing
    await alice.put(
        f"/v1/checks/{check_id}",
        json={"request": {"url": f"{http_target.base_url}/ok", "assertions": []}},
    )
    await run_v1(alice, check_id)
    recovered = await status_of(alice, check_id)
    assert recovered["hasFailures"] is False
    assert recovered["longestRun"] == second_time


async def test_a_degraded_run_marks_the_status_degraded(
    alice: Persona, http_target: HttpTarget
) -> None:
    check_id = await create(
        alice, api_check(f"{http_target.base_url}/slow?ms=300", degradedResponseTime=100)
    )
    await run_v1(alice, check_id)
    status = await status_of(alice, check_id)
    assert status["isDegraded"] is True
    assert status["hasFailures"] is False


async def test_the_list_shows_every_check_that_ran(alice: Persona, http_target: HttpTarget) -> None:
    ok = await create(alice, api_check(f"{http_target.base_url}/ok", name="ok"))
    bad = await create(alice, api_check(f"{http_target.base_url}/status/500", name="bad"))
    await create(alice, api_check(f"{http_target.base_url}/ok", name="never run"))
    await run_v1(alice, ok)
    await run_v1(alice, bad)

    response = await alice.get("/v1/check-statuses")
    assert response.status_code == 200
    statuses = {s["checkId"]: s for s in response.json()}
    assert set(statuses) == {ok, bad}
    assert statuses[ok]["hasFailures"] is False
    assert statuses[bad]["hasFailures"] is True
    assert all(set(s) == STATUS_KEYS for s in statuses.values())


async def test_the_status_of_an_unknown_check_is_a_404(alice: Persona) -> None:
    for check_id in (str(uuid.uuid4()), "not-a-uuid"):
        response = await alice.get(f"/v1/check-statuses/{check_id}")
        assert response.status_code == 404
        assert response.json()["error"] == "Not Found"


async def run_v1(persona: Persona, check_id: str) -> dict[str, Any]:
    return await run_session(persona, check_id, version=1)
