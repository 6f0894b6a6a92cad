from __future__ import annotations

import re

from tests.support.checks import api_check
from tests.support.harness import Harness, Persona, running_vantage, settings_for
from tests.targets.http_target import HttpTarget
from vantage.locations import service as locations
from vantage.metrics import Metrics
from vantage.probes.result import ProbeResult
from vantage.timeutil import utcnow


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


async def queue_runs_at_private_locations(alice: Persona, charlie: Persona, target: str) -> None:
    """Alice queues two runs at her private location, Charlie one at his (no agents run there)."""
    for persona, slug, runs in ((alice, "alice-lab", 2), (charlie, "charlie-lab", 1)):
        made = await persona.post("/v1/private-locations", json={"name": "Lab", "slugName": slug})
        assert made.status_code == 201, made.text
        payload = api_check(f"{target}/ok", locations=[], privateLocations=[slug])
        created = await persona.post("/v1/checks/api", json=payload)
        assert created.status_code == 201, created.text
        for _ in range(runs):
            await persona.post(
                "/v1/check-sessions/trigger", json={"target": {"checkId": [created.json()["id"]]}}
            )


async def test_open_metrics_name_no_private_location_but_count_them_together(
    vantage: Harness, alice: Persona, charlie: Persona, http_target: HttpTarget
) -> None:
    async with vantage.runtime.db.write() as conn:
        await locations.ensure(conn, "far-away", "Far away")
    await queue_runs_at_private_locations(alice, charlie, http_target.base_url)
    operator = api_check(f"{http_target.base_url}/ok", locations=["far-away"])
    created = await alice.post("/v1/checks/api", json=operator)
    await alice.post(
        "/v1/check-sessions/trigger", json={"target": {"checkId": [created.json()["id"]]}}
    )

    response = await vantage.client.get("/metrics")
    assert response.status_code == 200
    text = response.text
    assert "alice-lab" not in text and "charlie-lab" not in text
    assert sample(text, "vantage_queue_depth", location="private") == 3
    assert sample(text, "vantage_queue_oldest_seconds", location="private") >= 0
    # the operator's locations keep their names
    assert sample(text, "vantage_queue_depth", location="far-away") == 1


async def test_a_metrics_token_is_required_once_set(
    database_url: str, http_target: HttpTarget
) -> None:
    settings = settings_for(database_url, metrics_token="scrape-me-4f2a")
    async with running_vantage(settings) as vantage:
        alice = await vantage.persona("alice")
        charlie = await vantage.persona("charlie")
        await queue_runs_at_private_locations(alice, charlie, http_target.base_url)

        for headers in (
            {},
            {"Authorization": "Bearer wrong-token"},
            {"Authorization": "scrape-me-4f2a"},
            # an account's API key is not the metrics token
            {"Authorization": f"Bearer {alice.api_key}"},
        ):
            refused = await vantage.client.get("/metrics", headers=headers)
            assert refused.status_code == 401, headers
            assert refused.json()["statusCode"] == 401
            assert refused.json()["error"] == "Unauthorized"
            assert "vantage_" not in refused.text

        allowed = await vantage.client.get(
            "/metrics", headers={"Authorization": "Bearer scrape-me-4f2a"}
        )
        assert allowed.status_code == 200
        # the operator who holds the token sees each location
        assert sample(allowed.text, "vantage_queue_depth", location="alice-lab") == 2
        assert sample(allowed.text, "vantage_queue_depth", location="charlie-lab") == 1


def test_private_locations_add_up_under_one_label() -> None:
    metrics = Metrics()
    metrics.operator_locations = frozenset({"local"})
    now = utcnow()
    passed = ProbeResult(
        check_type="API",
        started_at=now,
        stopped_at=now,
        response_time_ms=30.0,
        has_failures=False,
        is_degraded=False,
        over_max_response_time=False,
        detail_key="apiCheckResult",
    )
    for location in ("a-lab", "b-lab", "b-lab", "local"):
        metrics.executed("API", location, passed)
        metrics.leased(location, 2, 0)
    metrics.queue_oldest.labels("a-lab").set(5)
    metrics.queue_oldest.labels("b-lab").set(9)

    text = metrics.exposition().decode()
    assert "a-lab" not in text and "b-lab" not in text
    labels = {"check_type": "API", "location": "private"}
    assert sample(text, "vantage_check_executions_total", **labels, outcome="passed") == 3
    assert sample(text, "vantage_probe_duration_seconds_count", **labels) == 3
    assert sample(text, "vantage_probe_duration_seconds_bucket", **labels, le="0.05") == 3
    assert sample(text, "vantage_leases_taken_total", location="private") == 6
    assert sample(text, "vantage_leases_taken_total", location="local") == 2
    # an age is the oldest one's, not a sum
    assert sample(text, "vantage_queue_oldest_seconds", location="private") == 9

    full = metrics.exposition(private_locations=True).decode()
    assert sample(full, "vantage_leases_taken_total", location="b-lab") == 4
