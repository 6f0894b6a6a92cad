"""`/metrics` names each check: its current status and its last run's duration and time, one
series per check, alongside the aggregates."""

from __future__ import annotations

import time

from tests.support.checks import api_check
from tests.support.harness import Harness, Persona
from tests.targets.http_target import HttpTarget
from tests.test_metrics import sample

FAILING = [{"source": "STATUS_CODE", "comparison": "EQUALS", "target": "500"}]


async def _run(alice: Persona, check_id: str) -> None:
    triggered = await alice.post(
        "/v2/check-sessions/trigger", json={"target": {"checkId": [check_id]}}
    )
    session_id = triggered.json()["sessions"][0]["checkSessionId"]
    done = await alice.get(
        f"/v2/check-sessions/{session_id}/completion", params={"maxWaitSeconds": 20}
    )
    assert done.status_code == 200, done.text


async def test_metrics_carry_each_checks_status_and_last_duration(
    vantage: Harness, alice: Persona, http_target: HttpTarget
) -> None:
    before = time.time()
    ok = (await alice.post("/v1/checks/api", json=api_check(f"{http_target.base_url}/ok"))).json()
    bad = (
        await alice.post(
            "/v1/checks/api",
            json=api_check(f"{http_target.base_url}/ok", request={"assertions": FAILING}),
        )
    ).json()
    for check in (ok, ok, bad):
        await _run(alice, check["id"])

    text = (await vantage.client.get("/metrics")).text
    passing = {"check_id": ok["id"], "check_type": "API"}
    failing = {"check_id": bad["id"], "check_type": "API"}
    assert sample(text, "vantage_check_status", **passing, status="passing") == 1
    assert sample(text, "vantage_check_status", **failing, status="failing") == 1
    assert sample(text, "vantage_check_last_duration_seconds", **passing) > 0
    assert sample(text, "vantage_check_last_run_timestamp_seconds", **failing) >= before - 1
    # one status series per check, however many runs
    assert text.count(f'check_id="{ok["id"]}",check_type="API",status=') == 1
    # the aggregates are still there
    assert sample(text, "vantage_check_sessions_finished_total", status="PASSED") == 2


async def test_a_deleted_check_leaves_the_metrics(
    vantage: Harness, alice: Persona, http_target: HttpTarget
) -> None:
    check = (
        await alice.post("/v1/checks/api", json=api_check(f"{http_target.base_url}/ok"))
    ).json()
    await _run(alice, check["id"])
    assert check["id"] in (await vantage.client.get("/metrics")).text
    assert (await alice.delete(f"/v1/checks/{check['id']}")).status_code == 204
    assert check["id"] not in (await vantage.client.get("/metrics")).text


async def test_a_check_that_never_ran_has_no_series(vantage: Harness, alice: Persona) -> None:
    check = (await alice.post("/v1/checks/api", json=api_check("https://example.com/"))).json()
    assert check["id"] not in (await vantage.client.get("/metrics")).text
