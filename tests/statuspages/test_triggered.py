"""A check's `triggerIncident`: its failure opens an incident on the service, the page turns
degraded or down with it, and its recovery resolves the incident."""

from __future__ import annotations

from typing import Any

from tests.alerting.flow import point_at, run
from tests.statuspages.public_cache import fresh
from tests.statuspages.test_api import page, service
from tests.support.checks import api_check
from tests.support.harness import Persona
from tests.targets.http_target import HttpTarget


async def feeding_check(
    persona: Persona, target: HttpTarget, service_id: str, severity: str, name: str
) -> str:
    trigger = {
        "serviceId": service_id,
        "severity": severity,
        "name": f"{name} is down",
        "description": f"{name} fails its check",
        "notifySubscribers": False,
    }
    body = api_check(f"{target.base_url}/status/200", name=name, triggerIncident=trigger)
    response = await persona.post("/v1/checks/api", json=body)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def public(persona: Persona, url: str) -> dict[str, Any]:
    fresh()
    response = await persona.client.get(f"/status/{url}/index.json")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def states(snapshot: dict[str, Any]) -> dict[str, str]:
    return {s["name"]: s["status"] for c in snapshot["cards"] for s in c["services"]}


async def test_a_page_turns_degraded_then_down_as_its_checks_fail_and_recovers(
    alice: Persona, http_target: HttpTarget
) -> None:
    api = await service(alice, "API")
    web = await service(alice, "Website")
    await page(
        alice,
        {
            "name": "Acme",
            "url": "acme",
            "cards": [{"name": "Everything", "services": [{"id": api["id"]}, {"id": web["id"]}]}],
        },
    )
    api_check_id = await feeding_check(alice, http_target, api["id"], "MINOR", "API")
    web_check_id = await feeding_check(alice, http_target, web["id"], "CRITICAL", "Website")
    assert await run(alice, api_check_id) == "PASSED"
    assert await run(alice, web_check_id) == "PASSED"
    snapshot = await public(alice, "acme")
    assert snapshot["status"] == "operational"
    assert states(snapshot) == {"API": "operational", "Website": "operational"}

    await point_at(alice, api_check_id, http_target, "/status/500")
    assert await run(alice, api_check_id) == "FAILED"
    snapshot = await public(alice, "acme")
    assert snapshot["status"] == "degraded"
    assert states(snapshot) == {"API": "degraded", "Website": "operational"}
    [incident] = snapshot["incidents"]
    assert incident["name"] == "API is down" and incident["resolved_at"] is None
    assert incident["updates"][0]["description"] == "API fails its check"

    await point_at(alice, web_check_id, http_target, "/status/500")
    assert await run(alice, web_check_id) == "FAILED"
    # A second failure opens no second incident.
    assert await run(alice, api_check_id) == "FAILED"
    snapshot = await public(alice, "acme")
    assert snapshot["status"] == "outage"
    assert states(snapshot) == {"API": "degraded", "Website": "outage"}
    assert len(snapshot["incidents"]) == 2

    await point_at(alice, web_check_id, http_target, "/status/200")
    assert await run(alice, web_check_id) == "PASSED"
    snapshot = await public(alice, "acme")
    assert states(snapshot) == {"API": "degraded", "Website": "operational"}
    resolved = [i for i in snapshot["incidents"] if i["resolved_at"]]
    assert [i["name"] for i in resolved] == ["Website is down"]
    assert resolved[0]["updates"][0]["status"] == "RESOLVED"
    listed = (await alice.get("/v1/status-pages/incidents")).json()["entries"]
    assert {i["name"]: i["lastUpdateStatus"] for i in listed} == {
        "API is down": "INVESTIGATING",
        "Website is down": "RESOLVED",
    }
    # The day's bars count the runs of each service's check.
    days = {s["name"]: s["days"][-1] for c in snapshot["cards"] for s in c["services"]}
    assert (days["API"]["runs"], days["API"]["failed"]) == (3, 2)
    assert (days["Website"]["runs"], days["Website"]["failed"]) == (3, 1)
