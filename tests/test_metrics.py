from __future__ import annotations

import re

from tests.support.checks import api_check
from tests.support.harness import Harness, Persona
from tests.targets.http_target import HttpTarget
from vantage.locations import service as locations


def sample(text: str, name: str, **labels: str) -> float:
    """The value of one sample of the Prometheus exposition text."""
    for line in text.splitlines():
        if not line.startswith(name):
            continue
        match = re.match(r"^([a-z_]+)(?:\{(.*)\})? (\S+)$", line)
        if not match or match.group(1) != name:
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', match.group(2) or ""))
        if found == labels:
            return float(match.group(3))
    raise AssertionError(f"no sample {name}{labels} in:\n{text}")


async def test_metrics_count_runs_leases_and_sessions(
    vantage: Harness, alice: Persona, http_target: HttpTarget
) -> None:
    created = await alice.post("/v1/checks/api", json=api_check(f"{http_target.base_url}/ok"))
    trig = await alice.post(
        "/v1/check-sessions/trigger", json={"target": {"checkId": [created.json()["id"]]}}
    )
    session_id = trig.json()["sessions"][0]["checkSessionId"]
    await alice.get(f"/v1/check-sessions/{session_id}/completion", params={"maxWaitSeconds": 10})

    response = await vantage.client.get("/metrics")
    assert response.status_code == 200
    text = response.text
    labels = {"check_type": "API", "location": "local"}
    assert sample(text, "vantage_check_executions_total", **labels, outcome="passed") == 1
    assert sample(text, "vantage_probe_duration_seconds_count", **labels) == 1
    assert sample(text, "vantage_leases_taken_total", location="local") == 1
    assert sample(text, "vantage_check_sessions_finished_total", status="PASSED") == 1
    assert sample(text, "vantage_check_sessions_started_total", run_source="TRIGGER_API") == 1


async def test_metrics_show_the_queue_of_a_location_without_agents(
    vantage: Harness, alice: Persona, http_target: HttpTarget
) -> None:
    async with vantage.runtime.db.write() as conn:
        await locations.ensure(conn, "far-away", "Far away")
    payload = api_check(f"{http_target.base_url}/ok", locations=["far-away"])
    created = await alice.post("/v1/checks/api", json=payload)
    for _ in range(3):
        await alice.post(
            "/v1/check-sessions/trigger", json={"target": {"checkId": [created.json()["id"]]}}
        )
    text = (await vantage.client.get("/metrics")).text
    assert sample(text, "vantage_queue_depth", location="far-away") == 3
    assert sample(text, "vantage_queue_oldest_seconds", location="far-away") >= 0
