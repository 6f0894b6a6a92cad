"""What Checkly's real clients send is accepted: the Go SDK's bodies for each Terraform resource
(tests/support/go_sdk.py), a GET edited and PUT back, `null` for "the default"; while real mistakes
stay 400s naming the field."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support import go_sdk
from tests.support.harness import Persona
from tests.support.sessions import run
from tests.targets.http_target import HttpTarget

URL = "https://api.example.test/health"
LEGACY_CHANNELS: dict[str, list[Any]] = {"email": [], "webhook": [], "slack": [], "sms": []}


async def post(persona: Persona, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = await persona.post(path, params={"autoAssignAlerts": "false"}, json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


@pytest.mark.parametrize("full", [False, True], ids=["minimal", "full"])
async def test_a_terraform_api_check_is_created_as_sent(alice: Persona, full: bool) -> None:
    body = go_sdk.api_check(URL, full=full)
    check = await post(alice, "/v1/checks/api", body)
    assert check["checkType"] == "API"
    assert check["locations"] == ["us-east-1", "eu-central-1"]
    assert check["doubleCheck"] is False
    assert check["alertChannels"] == LEGACY_CHANNELS
    # Echoed UI and read-only keys are dropped, not stored.
    assert "heartbeat" not in check and "sslCheck" not in check and "createdAt" not in check
    assert all("edit" not in a for a in check["request"]["assertions"])
    if full:
        assert check["environmentVariables"] == body["environmentVariables"]
        assert check["request"]["headers"] == body["request"]["headers"]
        assert check["retryStrategy"]["type"] == "LINEAR"
        assert check["alertSettings"]["timeBasedEscalation"] == {"minutesFailingThreshold": 10}
    else:
        # Go's nil slices arrive as null: they mean the defaults.
        assert check["environmentVariables"] == []
        assert check["request"]["headers"] == []
        assert check["request"]["assertions"] == []


@pytest.mark.parametrize("full", [False, True], ids=["minimal", "full"])
async def test_terraform_monitors_are_created_as_sent(alice: Persona, full: bool) -> None:
    tcp = await post(
        alice, "/v1/checks/tcp", go_sdk.tcp_monitor("db.example.test", 5432, full=full)
    )
    assert tcp["request"]["hostname"] == "db.example.test"
    url = await post(alice, "/v1/checks/url", go_sdk.url_monitor(URL, full=full))
    # The SDK's URL monitor carries an API request's body and lists; Checkly drops them.
    assert set(url["request"]) == {
        "method",
        "url",
        "followRedirects",
        "skipSSL",
        "ipFamily",
        "assertions",
    }
    icmp = await post(alice, "/v1/checks/icmp", go_sdk.icmp_monitor("example.test", full=full))
    assert icmp["request"]["pingCount"] == (5 if full else 10)
    # Integers stay integers: the Go SDK decodes the thresholds into `int`.
    assert icmp["maxPacketLossThreshold"] == (30 if full else 20)
    assert isinstance(icmp["maxPacketLossThreshold"], int)
    dns = await post(alice, "/v1/checks/dns", go_sdk.dns_monitor("example.test", full=full))
    assert dns["request"]["query"] == "example.test"
    if full:
        assert dns["request"]["assertions"][0]["target"] == "NOERROR"
        assert tcp["request"]["assertions"][0]["source"] == "RESPONSE_TIME"


@pytest.mark.parametrize("full", [False, True], ids=["minimal", "full"])
async def test_a_terraform_group_is_created_as_sent(alice: Persona, full: bool) -> None:
    created = await post(alice, "/v1/check-groups", go_sdk.group(full=full))
    assert created["activated"] is True
    assert created["environmentVariables"] == (
        [] if not full else go_sdk.group(full=True)["environmentVariables"]
    )
    assert created["tags"] == (["prod"] if full else [])


async def test_a_terraform_private_location_is_created_and_updated_as_sent(alice: Persona) -> None:
    created = await post(alice, "/v1/private-locations", go_sdk.private_location("tf-office"))
    assert created["slugName"] == "tf-office"
    sent = {**go_sdk.private_location("tf-office"), "id": created["id"], "name": "Renamed"}
    response = await alice.put(f"/v1/private-locations/{created['id']}", json=sent)
    assert response.status_code == 200, response.text
    assert response.json()["name"] == "Renamed"


async def test_a_check_group_id_of_null_takes_the_check_out_of_its_group(alice: Persona) -> None:
    group = await post(alice, "/v1/check-groups", go_sdk.group())
    check = await post(alice, "/v1/checks/api", go_sdk.api_check(URL, group_id=group["id"]))
    assert check["groupId"] == group["id"]
    response = await alice.put(
        f"/v1/checks/api/{check['id']}",
        params={"autoAssignAlerts": "false"},
        json={**go_sdk.api_check(URL), "id": check["id"]},
    )
    assert response.status_code == 200, response.text
    assert response.json()["groupId"] is None


ROUND_TRIPS = [
    ("/v1/checks/api", lambda: go_sdk.api_check(URL, full=True), "/v1/checks"),
    ("/v1/checks/tcp", lambda: go_sdk.tcp_monitor("db.example.test", 5432), "/v1/checks"),
    ("/v1/checks/url", lambda: go_sdk.url_monitor(URL), "/v1/checks"),
    ("/v1/checks/dns", lambda: go_sdk.dns_monitor("example.test", full=True), "/v1/checks"),
    ("/v1/checks/icmp", lambda: go_sdk.icmp_monitor("example.test", full=True), "/v1/checks"),
    ("/v1/check-groups", lambda: go_sdk.group(full=True), "/v1/check-groups"),
    (
        "/v1/private-locations",
        lambda: go_sdk.private_location("rt-office"),
        "/v1/private-locations",
    ),
]


@pytest.mark.parametrize(
    ("create_path", "body", "base"), ROUND_TRIPS, ids=[p for p, _, _ in ROUND_TRIPS]
)
async def test_a_resource_read_edited_and_put_back_is_updated(
    alice: Persona, create_path: str, body: Any, base: str
) -> None:
    created = await post(alice, create_path, body())
    read = await alice.get(f"{base}/{created['id']}")
    assert read.status_code == 200
    edited = {**read.json(), "name": "Edited"}
    response = await alice.put(f"{base}/{created['id']}", json=edited)
    assert response.status_code == 200, response.text
    assert response.json()["name"] == "Edited"
    again = (await alice.get(f"{base}/{created['id']}")).json()
    assert again["name"] == "Edited"
    # Nothing else changed on the way: the answer is the same apart from the edit and the time.
    before = read.json()
    for key in ("name", "updated_at"):
        again.pop(key, None)
        before.pop(key, None)
    assert again == before


async def test_a_null_list_in_an_update_keeps_the_stored_list(alice: Persona) -> None:
    check = await post(alice, "/v1/checks/api", go_sdk.api_check(URL, full=True))
    response = await alice.put(
        f"/v1/checks/{check['id']}",
        json={"tags": None, "request": {"headers": None}, "degradedResponseTime": None},
    )
    assert response.status_code == 200, response.text
    updated = response.json()
    assert updated["tags"] == check["tags"]
    assert updated["request"]["headers"] == check["request"]["headers"]
    assert updated["degradedResponseTime"] == check["degradedResponseTime"]


async def test_spec_fields_vantage_does_not_act_on_are_stored(alice: Persona) -> None:
    fields = {
        "script": "console.log(1)",
        "scriptPath": "checks/probe.js",
        "sslCheckDomain": "example.test",
        "dependencies": [{"path": "lib.js", "content": "module.exports = 1"}],
        "intent": {"goal": "Sign-up works", "requiredOutcomes": ["201"], "mustPreserve": []},
        "aiAutoRepairEnabled": False,
        "runtimeId": "2024.09",
        "description": "d" * 510,
    }
    body = {"name": "n", "request": {"method": "GET", "url": URL}, **fields}
    check = await post(alice, "/v1/checks/api", body)
    for key, value in fields.items():
        assert check[key] == value, key


MISTAKES = [
    ({"name": 5}, "name", "must be a string"),
    ({"frequency": 7}, "frequency", "must be one of"),
    ({"name": None}, "name", "must be a string"),
    ({"colour": "blue"}, "colour", "is not allowed"),
    ({"request": {"method": "GET", "url": URL, "verb": "x"}}, "request.verb", "is not allowed"),
    ({"locations": ["atlantis-1"]}, "locations[0]", "no run location 'atlantis-1' exists"),
    ({"runtimeId": "1999.01"}, "runtimeId", "must be one of"),
    ({"environmentVariables": [{"value": "x"}]}, "environmentVariables[0].key", "is required"),
    (
        {
            "request": {
                "method": "GET",
                "url": URL,
                "assertions": [{"source": "NOPE", "comparison": "EQUALS", "edit": True}],
            }
        },
        "request.assertions[0].source",
        "must be one of",
    ),
]


@pytest.mark.parametrize(("fields", "key", "says"), MISTAKES, ids=[m[1] for m in MISTAKES])
async def test_a_real_mistake_is_a_400_naming_the_field(
    alice: Persona, fields: dict[str, Any], key: str, says: str
) -> None:
    body = {"name": "n", "request": {"method": "GET", "url": URL}, **fields}
    response = await alice.post("/v1/checks/api", json=body)
    assert response.status_code == 400, response.text
    answer = response.json()
    assert key in answer["validation"]["keys"]
    assert says in answer["message"]


async def test_a_result_has_integer_milliseconds_and_a_string_run_id_in_its_status(
    alice: Persona, http_target: HttpTarget
) -> None:
    check = await post(
        alice,
        "/v1/checks/api",
        {"name": "n", "request": {"method": "GET", "url": f"{http_target.base_url}/ok"}},
    )
    session = await run(alice, check["id"], version=1)
    assert isinstance(session["results"][0]["responseTime"], int)
    results = (await alice.get(f"/v1/check-results/{check['id']}")).json()
    # The Go SDK decodes these into int64: a float breaks the whole call.
    assert isinstance(results[0]["responseTime"], int)
    one = (await alice.get(f"/v1/check-results/{check['id']}/{results[0]['id']}")).json()
    assert isinstance(one["responseTime"], int)
    status = (await alice.get(f"/v1/check-statuses/{check['id']}")).json()
    assert isinstance(status["longestRun"], int) and isinstance(status["shortestRun"], int)
    assert isinstance(status["lastCheckRunId"], str)
    assert int(status["lastCheckRunId"]) == results[0]["checkRunId"]


async def test_the_runtimes_carry_what_checklys_clients_require(alice: Persona) -> None:
    runtimes = (await alice.get("/v1/runtimes")).json()
    names = [r["name"] for r in runtimes]
    assert {"2022.10", "2024.09", "2025.04", "2026.04"} <= set(names)
    for runtime in runtimes:
        assert isinstance(runtime["multiStepSupport"], bool)
        assert runtime["nodeJsVersion"]
        assert runtime["stage"] in {"ALPHA", "BETA", "CURRENT", "DEPRECATED", "REMOVED", "STABLE"}
        # What a browser check may import, as Checkly lists it (vantage.runtimes.catalog).
        assert "@playwright/test" in runtime["dependencies"]
        assert "runtimeEndOfLife" not in runtime or isinstance(runtime["runtimeEndOfLife"], str)
    one = await alice.get("/v1/runtimes/2024.09")
    assert one.status_code == 200 and one.json()["name"] == "2024.09"
