"""`POST /v1/test-sessions/trigger`: Checkly's public form of `checkly trigger`, which a CI script
follows with `GET /v1/test-sessions/{id}/completion` (SQLite and PostgreSQL)."""

from __future__ import annotations

import uuid
from typing import Any

from tests.support.harness import Persona
from tests.targets.http_target import HttpTarget


async def api_check(persona: Persona, url: str, **fields: Any) -> dict[str, Any]:
    body = {"name": "Orders", "request": {"method": "GET", "url": url}, "locations": ["local"]}
    response = await persona.post("/v1/checks/api", json={**body, **fields})
    assert response.status_code == 201, response.text
    check: dict[str, Any] = response.json()
    return check


async def test_a_triggered_session_runs_the_tagged_checks_to_completion(
    alice: Persona, http_target: HttpTarget
) -> None:
    tagged = await api_check(alice, http_target.base_url + "/status/200", tags=["prod"])
    await api_check(alice, http_target.base_url + "/status/200", tags=["staging"])

    response = await alice.post(
        "/v1/test-sessions/trigger",
        json={"name": "Deploy 42", "runLocation": "local", "target": {"matchTags": [["prod"]]}},
    )
    assert response.status_code == 201, response.text
    started = response.json()
    done = await alice.get(f"/v1/test-sessions/{started['testSessionId']}/completion")

    assert (started["name"], started["errorGroupIds"]) == ("Deploy 42", [])
    assert started["testSessionLink"].endswith(started["testSessionId"])
    assert [r["checkId"] for r in started["results"]] == [tagged["id"]]
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "PASSED"
    assert [(r["checkId"], r["status"]) for r in done.json()["results"]] == [
        (tagged["id"], "PASSED")
    ]


async def test_a_deactivated_check_runs_only_when_the_target_allows_it(
    alice: Persona, http_target: HttpTarget
) -> None:
    check = await api_check(alice, http_target.base_url + "/status/200", activated=False)
    target: dict[str, Any] = {"checkId": [check["id"]]}
    body = {"name": "n", "runLocation": "local", "target": target}

    refused = await alice.post("/v1/test-sessions/trigger", json=body)
    target["allowDeactivated"] = True
    allowed = await alice.post("/v1/test-sessions/trigger", json=body)

    assert refused.status_code == 403
    assert refused.json()["errorCode"] == "ERR_NO_MATCHING_CHECKS"
    assert allowed.status_code == 201, allowed.text
    assert [r["checkId"] for r in allowed.json()["results"]] == [check["id"]]


async def test_another_accounts_check_matches_nothing(
    alice: Persona, charlie: Persona, http_target: HttpTarget
) -> None:
    check = await api_check(alice, http_target.base_url + "/status/200")

    response = await charlie.post(
        "/v1/test-sessions/trigger",
        json={"name": "n", "runLocation": "local", "target": {"checkId": [check["id"]]}},
    )
    started = await alice.post(
        "/v1/test-sessions/trigger",
        json={"name": "n", "runLocation": "local", "target": {"checkId": [check["id"]]}},
    )

    assert response.status_code == 403
    assert response.json()["errorCode"] == "ERR_NO_MATCHING_CHECKS"
    session_id = started.json()["testSessionId"]
    assert (await charlie.get(f"/v1/test-sessions/{session_id}")).status_code == 404


async def test_bad_bodies_are_400s_naming_the_field(alice: Persona) -> None:
    bodies = {
        "runLocation": {"name": "n"},
        "name": {"name": "", "runLocation": "local"},
        "target.checkId[0]": {
            "name": "n",
            "runLocation": "local",
            "target": {"checkId": ["not-a-uuid"]},
        },
        "target.allowDeactivated": {
            "name": "n",
            "runLocation": "local",
            "target": {"allowDeactivated": "yes"},
        },
        "retryStrategy.type": {
            "name": "n",
            "runLocation": "local",
            "retryStrategy": {"type": "SOMETIMES"},
        },
        "environmentVariables[0].key": {
            "name": "n",
            "runLocation": "local",
            "environmentVariables": [{"key": "", "value": "v"}],
        },
    }
    for key, body in bodies.items():
        response = await alice.post("/v1/test-sessions/trigger", json=body)
        assert response.status_code == 400, (key, response.text)
        assert response.json()["validation"]["keys"] == [key], response.text


async def test_an_unknown_run_location_is_a_400(alice: Persona, http_target: HttpTarget) -> None:
    await api_check(alice, http_target.base_url + "/status/200")

    response = await alice.post(
        "/v1/test-sessions/trigger", json={"name": "n", "runLocation": f"nowhere-{uuid.uuid4()}"}
    )

    assert response.status_code == 400
    assert response.json()["validation"]["keys"] == ["runLocation"]
