"""`/v1/check-groups`: create, read, list, update and delete check groups in Checkly's shape, and
the checks of a group with the group's settings applied."""

from __future__ import annotations

import re
from typing import Any

from tests.support.checks import api_check
from tests.support.harness import Persona

ISO_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
URL = "https://example.test/health"

GROUP_DEFAULTS: dict[str, Any] = {
    "muted": False,
    "tags": [],
    "locations": [],
    "privateLocations": None,
    "concurrency": 3,
    "apiCheckDefaults": {
        "url": "",
        "headers": [],
        "queryParameters": [],
        "assertions": [],
        "basicAuth": None,
    },
    "browserCheckDefaults": {},
    "environmentVariables": [],
    "doubleCheck": True,
    "useGlobalAlertSettings": True,
    "alertSettings": {
        "escalationType": "RUN_BASED",
        "runBasedEscalation": {"failedRunThreshold": 1},
        "timeBasedEscalation": {"minutesFailingThreshold": 5},
        "reminders": {"amount": 0, "interval": 5},
        "parallelRunFailureThreshold": {"enabled": False, "percentage": 10},
        "sslCertificates": {"enabled": False, "alertThreshold": 30},
    },
    "alertChannelSubscriptions": [],
    "setupSnippetId": None,
    "tearDownSnippetId": None,
    "localSetupScript": None,
    "localTearDownScript": None,
    "runtimeId": None,
    "retryStrategy": "FALLBACK",
    "runParallel": False,
}


def full_group_payload(channel_id: int) -> dict[str, Any]:
    """Every writable field of a check group, none at its default."""
    return {
        "name": "Orders",
        "activated": False,
        "muted": True,
        "tags": ["orders", "prod"],
        "locations": ["local"],
        "privateLocations": [],
        "concurrency": 5,
        "apiCheckDefaults": {
            "url": "https://orders.example.test/v2",
            "headers": [{"key": "X-Team", "value": "orders", "locked": False}],
            "queryParameters": [{"key": "region", "value": "eu", "locked": True}],
            "assertions": [
                {
                    "source": "STATUS_CODE",
                    "comparison": "LESS_THAN",
                    "property": "",
                    "target": "500",
                    "regex": None,
                }
            ],
            "basicAuth": {"username": "orders", "password": "s3cret-pw"},
        },
        "browserCheckDefaults": {},
        "environmentVariables": [{"key": "TOKEN", "value": "abc", "locked": True, "secret": False}],
        "doubleCheck": False,
        "useGlobalAlertSettings": False,
        "alertSettings": {
            "escalationType": "TIME_BASED",
            "runBasedEscalation": {"failedRunThreshold": 2},
            "timeBasedEscalation": {"minutesFailingThreshold": 10},
            "reminders": {"amount": 1, "interval": 15},
            "parallelRunFailureThreshold": {"enabled": True, "percentage": 30},
            "sslCertificates": {"enabled": True, "alertThreshold": 7},
        },
        "alertChannelSubscriptions": [{"alertChannelId": channel_id, "activated": True}],
        "setupSnippetId": 3,
        "tearDownSnippetId": 4,
        "localSetupScript": "// setup",
        "localTearDownScript": "// teardown",
        "runtimeId": "2025.04",
        "retryStrategy": {
            "type": "FIXED",
            "baseBackoffSeconds": 5,
            "maxRetries": 1,
            "maxDurationSeconds": 60,
            "sameRegion": True,
            "onlyOn": None,
        },
        "runParallel": True,
    }


async def create_group(persona: Persona, **fields: Any) -> dict[str, Any]:
    payload = {"name": "Group", "activated": True, **fields}
    response = await persona.post("/v1/check-groups", json=payload)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def create_check(persona: Persona, payload: dict[str, Any]) -> dict[str, Any]:
    response = await persona.post("/v1/checks/api", json=payload)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


# Create and read


async def test_a_group_gets_checklys_defaults(alice: Persona) -> None:
    body = await create_group(alice, name="Payments")

    assert isinstance(body["id"], int)
    assert body["name"] == "Payments"
    assert body["activated"] is True
    for field, value in GROUP_DEFAULTS.items():
        assert body[field] == value, field
    assert ISO_MS.match(body["created_at"])
    assert body["updated_at"] is None
    assert set(body) == {"id", "name", "activated", "created_at", "updated_at", *GROUP_DEFAULTS}


async def test_every_field_of_a_group_is_accepted_and_returned(alice: Persona) -> None:
    channel = {"type": "EMAIL", "config": {"address": "ops@example.com"}}
    payload = full_group_payload(
        (await alice.post("/v1/alert-channels", json=channel)).json()["id"]
    )
    response = await alice.post("/v1/check-groups", json=payload)
    assert response.status_code == 201, response.text
    body = response.json()
    for field, value in payload.items():
        assert body[field] == value, field
    read = await alice.get(f"/v1/check-groups/{body['id']}")
    assert read.status_code == 200
    assert read.json() == body


async def test_groups_get_increasing_integer_ids(alice: Persona) -> None:
    first = await create_group(alice, name="one")
    second = await create_group(alice, name="two")
    assert second["id"] > first["id"] >= 1


async def test_a_group_retry_strategy_may_be_fallback_an_object_or_null(alice: Persona) -> None:
    assert (await create_group(alice, retryStrategy="FALLBACK"))["retryStrategy"] == "FALLBACK"
    as_object = await create_group(alice, retryStrategy={"type": "FALLBACK"})
    assert as_object["retryStrategy"] == "FALLBACK"
    assert (await create_group(alice, retryStrategy=None))["retryStrategy"] is None
    linear = await create_group(alice, retryStrategy={"type": "LINEAR"})
    assert linear["retryStrategy"]["type"] == "LINEAR"
    assert linear["retryStrategy"]["baseBackoffSeconds"] == 60


async def test_read_only_fields_sent_back_by_a_client_are_ignored(alice: Persona) -> None:
    group = await create_group(alice, name="Round trip")
    response = await alice.put(f"/v1/check-groups/{group['id']}", json={**group, "muted": True})
    assert response.status_code == 200, response.text
    assert response.json()["muted"] is True
    assert response.json()["id"] == group["id"]


# Validation


async def test_a_group_needs_a_name(alice: Persona) -> None:
    response = await alice.post("/v1/check-groups", json={})
    assert response.status_code == 400
    body = response.json()
    assert body["statusCode"] == 400
    assert body["error"] == "Bad Request"
    assert body["validation"] == {"source": "payload", "keys": ["name"]}
    assert '"name" is required' in body["message"]


async def test_a_group_is_activated_unless_told_otherwise(alice: Persona) -> None:
    response = await alice.post("/v1/check-groups", json={"name": "g"})
    assert response.status_code == 201, response.text
    assert response.json()["activated"] is True


async def test_invalid_group_fields_are_400_naming_the_field(alice: Persona) -> None:
    cases: list[tuple[dict[str, Any], str]] = [
        ({"concurrency": 0}, "concurrency"),
        ({"tags": "prod"}, "tags"),
        ({"locations": ["nowhere"]}, "locations[0]"),
        ({"apiCheckDefaults": {"headers": [{"value": "x"}]}}, "apiCheckDefaults.headers[0].key"),
        ({"apiCheckDefaults": {"assertions": [{"source": "NOPE"}]}}, "apiCheckDefaults"),
        ({"colour": "blue"}, "colour"),
    ]
    for fields, key in cases:
        response = await alice.post(
            "/v1/check-groups", json={"name": "g", "activated": True, **fields}
        )
        assert response.status_code == 400, fields
        keys = response.json()["validation"]["keys"]
        assert any(k.startswith(key) for k in keys), (fields, keys)


async def test_an_invalid_retry_strategy_is_reported_under_its_own_name(alice: Persona) -> None:
    cases: list[tuple[Any, list[str]]] = [
        ("SOMETIMES", ["retryStrategy"]),
        ({"type": "SOMETIMES"}, ["retryStrategy.type"]),
        ({"type": "FIXED", "maxRetries": 11}, ["retryStrategy.maxRetries"]),
    ]
    for value, keys in cases:
        response = await alice.post(
            "/v1/check-groups", json={"name": "g", "activated": True, "retryStrategy": value}
        )
        assert response.status_code == 400, value
        assert response.json()["validation"]["keys"] == keys, value


async def test_a_body_that_is_not_an_object_is_400(alice: Persona) -> None:
    response = await alice.post("/v1/check-groups", json=[1, 2])
    assert response.status_code == 400
    assert response.json()["validation"]["keys"] == ["value"]


async def test_a_group_id_that_is_not_a_number_is_400(alice: Persona) -> None:
    response = await alice.get("/v1/check-groups/abc")
    assert response.status_code == 400
    assert response.json()["validation"]["source"] == "params"


# Update


async def test_put_changes_only_the_fields_it_sends(alice: Persona) -> None:
    group = await create_group(
        alice,
        tags=["a"],
        apiCheckDefaults={"url": "https://a.test", "headers": [{"key": "X-A", "value": "1"}]},
    )
    response = await alice.put(
        f"/v1/check-groups/{group['id']}",
        json={"name": "Renamed", "apiCheckDefaults": {"url": "https://b.test"}},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["name"] == "Renamed"
    assert body["tags"] == ["a"]
    assert body["apiCheckDefaults"]["url"] == "https://b.test"
    assert body["apiCheckDefaults"]["headers"] == [{"key": "X-A", "value": "1", "locked": False}]
    assert ISO_MS.match(body["updated_at"])
    assert (await alice.get(f"/v1/check-groups/{group['id']}")).json() == body


async def test_put_validates_like_create(alice: Persona) -> None:
    group = await create_group(alice)
    response = await alice.put(f"/v1/check-groups/{group['id']}", json={"concurrency": "many"})
    assert response.status_code == 400
    assert response.json()["validation"]["keys"] == ["concurrency"]


# Delete


async def test_a_group_without_checks_is_deleted(alice: Persona) -> None:
    group = await create_group(alice)
    response = await alice.delete(f"/v1/check-groups/{group['id']}")
    assert response.status_code == 204
    assert (await alice.get(f"/v1/check-groups/{group['id']}")).status_code == 404


async def test_delete_is_refused_while_the_group_has_checks(alice: Persona) -> None:
    group = await create_group(alice)
    first = await create_check(alice, api_check(URL, name="one", groupId=group["id"]))
    await create_check(alice, api_check(URL, name="two", groupId=group["id"]))

    response = await alice.delete(f"/v1/check-groups/{group['id']}")
    assert response.status_code == 409
    body = response.json()
    assert body["error"] == "Conflict"
    assert f"Check group {group['id']} still has 2 checks" in body["message"]
    assert (await alice.get(f"/v1/check-groups/{group['id']}")).status_code == 200

    await alice.put(f"/v1/checks/{first['id']}", json={"groupId": None})
    response = await alice.delete(f"/v1/check-groups/{group['id']}")
    assert response.status_code == 409
    assert "still has 1 check:" in response.json()["message"]


# Another account's groups


async def test_another_accounts_group_is_a_404(alice: Persona, charlie: Persona) -> None:
    group = await create_group(alice)
    check = await create_check(alice, api_check(URL, groupId=group["id"]))
    paths = [
        ("GET", f"/v1/check-groups/{group['id']}"),
        ("PUT", f"/v1/check-groups/{group['id']}"),
        ("DELETE", f"/v1/check-groups/{group['id']}"),
        ("GET", f"/v1/check-groups/{group['id']}/checks"),
        ("GET", f"/v1/check-groups/{group['id']}/checks/{check['id']}"),
    ]
    for method, path in paths:
        response = await charlie.request(method, path, json={"name": "mine now"})
        assert response.status_code == 404, (method, path)
        assert response.json()["message"] == "No such check group."
    assert (await charlie.get("/v1/check-groups")).json() == []
    assert (await alice.get(f"/v1/check-groups/{group['id']}")).json()["name"] == "Group"


async def test_an_unknown_or_huge_group_id_is_a_404(alice: Persona) -> None:
    for group_id in (999999, 2**40):
        response = await alice.get(f"/v1/check-groups/{group_id}")
        assert response.status_code == 404


# A check's groupId


async def test_a_check_can_only_join_a_group_of_its_own_account(
    alice: Persona, charlie: Persona
) -> None:
    alices = await create_group(alice)
    for group_id in (alices["id"] + 1000, 2**40):
        response = await alice.post("/v1/checks/api", json=api_check(URL, groupId=group_id))
        assert response.status_code == 400
        assert response.json()["validation"]["keys"] == ["groupId"]
        assert f"no check group {group_id}" in response.json()["message"]

    response = await charlie.post("/v1/checks/api", json=api_check(URL, groupId=alices["id"]))
    assert response.status_code == 400
    assert response.json()["validation"]["keys"] == ["groupId"]

    charlies = await create_check(charlie, api_check(URL))
    response = await charlie.put(f"/v1/checks/{charlies['id']}", json={"groupId": alices["id"]})
    assert response.status_code == 400
    assert response.json()["validation"]["keys"] == ["groupId"]

    joined = await create_check(alice, api_check(URL, groupId=alices["id"]))
    assert joined["groupId"] == alices["id"]


# Listing


async def test_groups_are_listed_page_by_page_with_content_range(alice: Persona) -> None:
    ids = [(await create_group(alice, name=f"group {i}"))["id"] for i in range(5)]

    first = await alice.get("/v1/check-groups", params={"limit": 2})
    assert first.status_code == 200
    assert [g["id"] for g in first.json()] == ids[:2]
    assert first.headers["Content-Range"] == "0-1/5"
    assert 'rel="next"' in first.headers["Link"]

    last = await alice.get("/v1/check-groups", params={"limit": 2, "page": 3})
    assert [g["id"] for g in last.json()] == ids[4:]
    assert last.headers["Content-Range"] == "4-4/5"

    beyond = await alice.get("/v1/check-groups", params={"limit": 2, "page": 4})
    assert beyond.json() == []

    default = await alice.get("/v1/check-groups")
    assert len(default.json()) == 5


async def test_groups_are_filtered_by_tag_and_name(alice: Persona) -> None:
    prod = await create_group(alice, name="Prod API", tags=["prod", "api"])
    staging = await create_group(alice, name="Staging API", tags=["staging"])
    await create_group(alice, name="Web", tags=["web"])

    by_tag = await alice.get("/v1/check-groups", params=[("tag", "prod"), ("tag", "staging")])
    assert [g["id"] for g in by_tag.json()] == [prod["id"], staging["id"]]
    assert by_tag.headers["Content-Range"] == "0-1/2"
    cli_style = await alice.get("/v1/check-groups", params={"tag[]": "staging"})
    assert [g["id"] for g in cli_style.json()] == [staging["id"]]
    by_name = await alice.get("/v1/check-groups", params={"name": "api"})
    assert [g["id"] for g in by_name.json()] == [prod["id"], staging["id"]]


async def test_list_limits_are_validated(alice: Persona) -> None:
    response = await alice.get("/v1/check-groups", params={"limit": 101})
    assert response.status_code == 400
    assert response.json()["validation"] == {"source": "query", "keys": ["limit"]}


# The checks of a group


async def test_the_checks_of_a_group_are_listed_with_its_settings_applied(
    alice: Persona,
) -> None:
    group = await create_group(
        alice,
        locations=["local"],
        apiCheckDefaults={
            "url": "https://api.example.test",
            "headers": [{"key": "X-Team", "value": "core"}],
        },
    )
    other = await create_group(alice, name="Other")
    ids = [
        (await create_check(alice, api_check(f"/item/{i}", name=f"c{i}", groupId=group["id"])))[
            "id"
        ]
        for i in range(3)
    ]
    await create_check(alice, api_check(URL, name="elsewhere", groupId=other["id"]))
    await create_check(alice, api_check(URL, name="no group"))

    response = await alice.get(f"/v1/check-groups/{group['id']}/checks", params={"limit": 2})
    assert response.status_code == 200
    assert response.headers["Content-Range"] == "0-1/3"
    body = response.json()
    assert [c["id"] for c in body] == ids[:2]
    assert body[0]["request"]["url"] == "https://api.example.test/item/0"
    assert body[0]["request"]["headers"] == [{"key": "X-Team", "value": "core", "locked": False}]
    assert body[0]["locations"] == ["local"]
    page2 = await alice.get(
        f"/v1/check-groups/{group['id']}/checks", params={"limit": 2, "page": 2}
    )
    assert [c["id"] for c in page2.json()] == ids[2:]

    one = await alice.get(f"/v1/check-groups/{group['id']}/checks/{ids[1]}")
    assert one.status_code == 200
    assert one.json()["request"]["url"] == "https://api.example.test/item/1"


async def test_a_check_outside_the_group_is_a_404_under_it(alice: Persona) -> None:
    group = await create_group(alice)
    outside = await create_check(alice, api_check(URL))
    response = await alice.get(f"/v1/check-groups/{group['id']}/checks/{outside['id']}")
    assert response.status_code == 404
    assert response.json()["message"] == "No such check."


async def test_apply_group_settings_shows_the_effective_check(alice: Persona) -> None:
    group = await create_group(
        alice,
        muted=True,
        retryStrategy={"type": "FIXED", "baseBackoffSeconds": 1, "maxRetries": 1},
        apiCheckDefaults={
            "url": "https://api.example.test/",
            "queryParameters": [{"key": "k", "value": "group"}],
            "assertions": [{"source": "RESPONSE_TIME", "comparison": "LESS_THAN", "target": 900}],
        },
    )
    check = await create_check(
        alice, api_check("{{GROUP_BASE_URL}}/status", groupId=group["id"], name="in group")
    )
    plain = await create_check(alice, api_check(URL, name="plain"))

    stored = (await alice.get(f"/v1/checks/{check['id']}")).json()
    assert stored == check
    assert stored["request"]["url"] == "{{GROUP_BASE_URL}}/status"

    effective = (
        await alice.get(f"/v1/checks/{check['id']}", params={"applyGroupSettings": "true"})
    ).json()
    assert effective["request"]["url"] == "https://api.example.test/status"
    assert effective["request"]["queryParameters"] == [
        {"key": "k", "value": "group", "locked": False}
    ]
    assert [a["source"] for a in effective["request"]["assertions"]] == [
        "STATUS_CODE",
        "RESPONSE_TIME",
    ]
    assert effective["muted"] is True
    assert effective["retryStrategy"]["type"] == "FIXED"
    assert effective["groupId"] == group["id"]

    listed = (await alice.get("/v1/checks", params={"applyGroupSettings": "true"})).json()
    by_id = {c["id"]: c for c in listed}
    assert by_id[check["id"]] == effective
    assert by_id[plain["id"]] == plain
