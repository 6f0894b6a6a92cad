"""`/v1/checks`: create, read, list, update and delete API and URL checks in Checkly's shape."""

from __future__ import annotations

import re
import uuid
from typing import Any

import sqlalchemy as sa

from tests.support.checks import api_check, url_check
from tests.support.harness import Harness, Persona
from tests.support.statuses import set_status
from tests.targets.http_target import HttpTarget
from vantage.db.tables import check_results, check_statuses

ISO_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
URL = "https://example.test/health"

ALERT_SETTINGS_DEFAULTS = {
    "escalationType": "RUN_BASED",
    "runBasedEscalation": {"failedRunThreshold": 1},
    "timeBasedEscalation": {"minutesFailingThreshold": 5},
    "reminders": {"amount": 0, "interval": 5},
    "parallelRunFailureThreshold": {"enabled": False, "percentage": 10},
    "sslCertificates": {"enabled": False, "alertThreshold": 30},
}

COMMON_DEFAULTS: dict[str, Any] = {
    "activated": True,
    "muted": False,
    "doubleCheck": True,
    "shouldFail": False,
    "locations": [],
    "privateLocations": None,
    "tags": [],
    "alertSettings": ALERT_SETTINGS_DEFAULTS,
    "useGlobalAlertSettings": True,
    "groupId": None,
    "groupOrder": None,
    "runtimeId": None,
    "alertChannelSubscriptions": [],
    "retryStrategy": None,
    "triggerIncident": None,
    "runParallel": False,
    "description": None,
    "frequency": 10,
    "frequencyOffset": None,
}


async def create(persona: Persona, payload: dict[str, Any], path: str = "/v1/checks/api") -> Any:
    response = await persona.post(path, json=payload)
    assert response.status_code == 201, response.text
    return response.json()


# Create


async def test_an_api_check_gets_checklys_defaults(alice: Persona) -> None:
    body = await create(alice, {"name": "Home", "request": {"method": "GET", "url": URL}})

    assert uuid.UUID(body["id"])
    assert body["checkType"] == "API"
    assert body["name"] == "Home"
    for field, default in COMMON_DEFAULTS.items():
        assert body[field] == default, field
    assert body["degradedResponseTime"] == 5000
    assert body["maxResponseTime"] == 20000
    assert body["request"] == {
        "method": "GET",
        "url": URL,
        "followRedirects": True,
        "skipSSL": False,
        "ipFamily": "IPv4",
        "body": "",
        "bodyType": "NONE",
        "headers": [],
        "queryParameters": [],
        "assertions": [],
        "basicAuth": None,
    }
    for field in ("setupSnippetId", "tearDownSnippetId", "localSetupScript", "localTearDownScript"):
        assert body[field] is None, field
    assert body["alertChannels"] == {"email": [], "webhook": [], "slack": [], "sms": []}
    assert ISO_MS.match(body["created_at"])
    assert body["updated_at"] is None


async def test_a_url_check_gets_checklys_defaults(alice: Persona) -> None:
    body = await create(alice, url_check(URL, name="Site"), path="/v1/checks/url")

    assert body["checkType"] == "URL"
    for field, default in COMMON_DEFAULTS.items():
        assert body[field] == default, field
    assert body["degradedResponseTime"] == 3000
    assert body["maxResponseTime"] == 5000
    assert body["request"] == {
        "method": "GET",
        "url": URL,
        "followRedirects": True,
        "skipSSL": False,
        "ipFamily": "IPv4",
        "assertions": [],
    }
    assert ISO_MS.match(body["created_at"])


async def a_group(persona: Persona) -> int:
    response = await persona.post("/v1/check-groups", json={"name": "Orders", "activated": True})
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


async def a_channel(persona: Persona) -> int:
    body = {"type": "EMAIL", "config": {"address": "ops@example.com"}}
    response = await persona.post("/v1/alert-channels", json=body)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def full_api_payload(group_id: int, channel_id: int) -> dict[str, Any]:
    """Every writable field of an API check, none at its default."""
    return {
        "name": "Orders API",
        "activated": False,
        "muted": True,
        "doubleCheck": False,
        "shouldFail": True,
        "locations": ["local"],
        "privateLocations": [],
        "tags": ["prod", "orders"],
        "alertSettings": {
            "escalationType": "TIME_BASED",
            "runBasedEscalation": {"failedRunThreshold": 3},
            "timeBasedEscalation": {"minutesFailingThreshold": 15},
            "reminders": {"amount": 2, "interval": 10},
            "parallelRunFailureThreshold": {"enabled": True, "percentage": 50},
            "sslCertificates": {"enabled": True, "alertThreshold": 14},
        },
        "useGlobalAlertSettings": False,
        "groupId": group_id,
        "groupOrder": 2,
        "runtimeId": "2025.04",
        "alertChannelSubscriptions": [{"alertChannelId": channel_id, "activated": False}],
        "retryStrategy": {
            "type": "LINEAR",
            "baseBackoffSeconds": 30,
            "maxRetries": 3,
            "maxDurationSeconds": 300,
            "sameRegion": False,
            "onlyOn": ["NETWORK_ERROR"],
        },
        "triggerIncident": {
            "serviceId": str(uuid.uuid4()),
            "severity": "MAJOR",
            "name": "Orders down",
            "description": "The orders API fails",
            "notifySubscribers": True,
        },
        "runParallel": True,
        "description": "Checks the orders API",
        "frequency": 5,
        "frequencyOffset": 3,
        "degradedResponseTime": 1000,
        "maxResponseTime": 4000,
        "setupSnippetId": 1,
        "tearDownSnippetId": 2,
        "localSetupScript": "request.headers['X-Trace'] = '1'",
        "localTearDownScript": "// nothing",
        "request": {
            "method": "POST",
            "url": URL,
            "followRedirects": False,
            "skipSSL": True,
            "ipFamily": "IPv6",
            "body": '{"order": 1}',
            "bodyType": "JSON",
            "headers": [{"key": "X-Env", "value": "prod", "locked": True}],
            "queryParameters": [{"key": "verbose", "value": "1", "locked": False}],
            "assertions": [
                {
                    "source": "JSON_BODY",
                    "comparison": "EQUALS",
                    "property": "$.status",
                    "target": "ok",
                    "regex": None,
                },
                {
                    "source": "HEADERS",
                    "comparison": "CONTAINS",
                    "property": "content-type",
                    "target": "json",
                    "regex": None,
                },
            ],
            "basicAuth": {"username": "ops", "password": "s3cret"},
        },
    }


async def test_every_field_of_an_api_check_is_accepted_and_returned(alice: Persona) -> None:
    payload = full_api_payload(await a_group(alice), await a_channel(alice))
    body = await create(alice, payload)
    for field, value in payload.items():
        assert body[field] == value, field
    read = (await alice.get(f"/v1/checks/{body['id']}")).json()
    assert read == body


async def test_every_field_of_a_url_check_is_accepted_and_returned(alice: Persona) -> None:
    payload = {
        "name": "Landing page",
        "activated": True,
        "muted": True,
        "tags": ["web"],
        "frequency": 1,
        "frequencyOffset": 5,
        "locations": ["local"],
        "degradedResponseTime": 100,
        "maxResponseTime": 200,
        "shouldFail": False,
        "description": "The landing page answers",
        "request": {
            "method": "GET",
            "url": URL,
            "followRedirects": False,
            "skipSSL": True,
            "ipFamily": "IPv6",
            "assertions": [
                {
                    "source": "STATUS_CODE",
                    "comparison": "LESS_THAN",
                    "property": "",
                    "target": "400",
                    "regex": None,
                }
            ],
        },
    }
    body = await create(alice, payload, path="/v1/checks/url")
    for field, value in payload.items():
        assert body[field] == value, field


async def test_a_numeric_assertion_target_is_accepted(alice: Persona) -> None:
    body = await create(alice, api_check(URL, request={"assertions": [
        {"source": "STATUS_CODE", "comparison": "EQUALS", "target": 200}
    ]}))  # fmt: skip
    [assertion] = body["request"]["assertions"]
    assert assertion["target"] == "200"
    assert assertion["property"] == ""


async def test_the_generic_endpoint_creates_by_check_type(alice: Persona) -> None:
    api = await create(alice, {**api_check(URL), "checkType": "API"}, path="/v1/checks")
    url = await create(alice, {**url_check(URL), "checkType": "URL"}, path="/v1/checks")
    assert api["checkType"] == "API" and api["maxResponseTime"] == 20000
    assert url["checkType"] == "URL" and url["maxResponseTime"] == 5000


async def test_a_seconds_frequency_is_accepted_for_api_checks(alice: Persona) -> None:
    body = await create(alice, api_check(URL, frequency=0, frequencyOffset=10))
    assert body["frequency"] == 0
    assert body["frequencyOffset"] == 10


# Read and list


async def test_it_reads_a_check_back(alice: Persona) -> None:
    created = await create(alice, api_check(URL, name="Read me"))
    response = await alice.get(f"/v1/checks/{created['id']}")
    assert response.status_code == 200
    assert response.json() == created


async def test_it_answers_404_for_an_unknown_check(alice: Persona) -> None:
    for check_id in (str(uuid.uuid4()), "not-a-uuid"):
        response = await alice.get(f"/v1/checks/{check_id}")
        assert response.status_code == 404
        assert response.json() == {
            "statusCode": 404,
            "error": "Not Found",
            "message": "No such check.",
        }


async def test_the_list_pages_with_a_content_range(alice: Persona) -> None:
    ids = [(await create(alice, api_check(URL, name=f"check {i}")))["id"] for i in range(5)]

    default = await alice.get("/v1/checks")
    assert default.headers["Content-Range"] == "0-4/5"
    assert len(default.json()) == 5

    seen: list[str] = []
    for page, expected_range in ((1, "0-1/5"), (2, "2-3/5"), (3, "4-4/5")):
        response = await alice.get("/v1/checks", params={"limit": 2, "page": page})
        assert response.status_code == 200
        assert response.headers["Content-Range"] == expected_range
        seen += [check["id"] for check in response.json()]
    assert sorted(seen) == sorted(ids)
    assert len(seen) == len(set(seen))

    beyond = await alice.get("/v1/checks", params={"limit": 2, "page": 4})
    assert beyond.status_code == 200
    assert beyond.json() == []
    assert beyond.headers["Content-Range"].endswith("/5")


async def test_the_list_links_to_the_next_and_last_page(alice: Persona) -> None:
    for i in range(3):
        await create(alice, api_check(URL, name=f"check {i}"))
    response = await alice.get("/v1/checks", params={"limit": 2})
    link = response.headers["Link"]
    assert 'rel="next"' in link and 'rel="last"' in link
    assert "page=2" in link


async def test_the_list_filters_by_any_of_the_tags(alice: Persona) -> None:
    prod = (await create(alice, api_check(URL, name="a", tags=["prod"])))["id"]
    web = (await create(alice, api_check(URL, name="b", tags=["web", "eu"])))["id"]
    await create(alice, api_check(URL, name="c", tags=["staging"]))

    def ids(response: Any) -> set[str]:
        return {check["id"] for check in response.json()}

    assert ids(await alice.get("/v1/checks", params={"tag": "prod"})) == {prod}
    both = await alice.get("/v1/checks", params=[("tag", "prod"), ("tag", "web")])
    assert ids(both) == {prod, web}
    assert both.headers["Content-Range"] == "0-1/2"
    # axios' array style, as Checkly's CLI sends it
    assert ids(await alice.get("/v1/checks", params=[("tag[]", "eu")])) == {web}


async def test_the_list_filters_by_check_type(alice: Persona) -> None:
    api = (await create(alice, api_check(URL)))["id"]
    url = (await create(alice, url_check(URL), path="/v1/checks/url"))["id"]
    assert [c["id"] for c in (await alice.get("/v1/checks?checkType=API")).json()] == [api]
    assert [c["id"] for c in (await alice.get("/v1/checks?checkType=URL")).json()] == [url]


async def test_the_list_searches_names_case_insensitively(alice: Persona) -> None:
    wanted = (await create(alice, api_check(URL, name="Checkout Flow")))["id"]
    await create(alice, api_check(URL, name="Login"))
    response = await alice.get("/v1/checks", params={"search": "checkout"})
    assert [c["id"] for c in response.json()] == [wanted]
    assert response.headers["Content-Range"] == "0-0/1"


async def test_the_list_filters_by_status_and_a_check_that_never_ran_matches_none(
    vantage: Harness, alice: Persona
) -> None:
    failing = (await create(alice, api_check(URL, name="failing")))["id"]
    erring = (await create(alice, api_check(URL, name="erring")))["id"]
    degraded = (await create(alice, api_check(URL, name="degraded")))["id"]
    passing = (await create(alice, api_check(URL, name="passing")))["id"]
    await create(alice, api_check(URL, name="never ran"))
    await set_status(vantage, alice.account_id, failing, has_failures=True, is_degraded=True)
    await set_status(vantage, alice.account_id, erring, has_errors=True)
    await set_status(vantage, alice.account_id, degraded, is_degraded=True)
    await set_status(vantage, alice.account_id, passing)

    def ids(response: Any) -> list[str]:
        return [check["id"] for check in response.json()]

    answer = await alice.get("/v1/checks", params={"status": "failing"})
    assert ids(answer) == [failing, erring]
    assert answer.headers["Content-Range"] == "0-1/2"
    assert ids(await alice.get("/v1/checks", params={"status": "degraded"})) == [degraded]
    assert ids(await alice.get("/v1/checks", params={"status": "passing"})) == [passing]


async def test_the_list_filters_api_checks_by_a_part_of_their_url(alice: Persona) -> None:
    shop = (await create(alice, api_check("https://shop.example.test/Cart?x=1")))["id"]
    await create(alice, api_check("https://blog.example.test/"))
    await create(alice, url_check("https://shop.example.test/"), path="/v1/checks/url")
    answer = await alice.get("/v1/checks", params={"apiCheckUrlFilterPattern": "SHOP.example"})
    assert [c["id"] for c in answer.json()] == [shop]
    # a LIKE wildcard in the pattern matches itself only
    nothing = await alice.get("/v1/checks", params={"apiCheckUrlFilterPattern": "shop%cart"})
    assert nothing.json() == []


async def test_filters_combine_and_page_together(vantage: Harness, alice: Persona) -> None:
    wanted = []
    for i in range(5):
        tags = ["prod"] if i % 2 == 0 else ["dev"]
        check_id = (await create(alice, api_check(URL, name=f"api {i}", tags=tags)))["id"]
        if i % 2 == 0:
            wanted.append(check_id)
    await create(alice, url_check(URL, tags=["prod"]), path="/v1/checks/url")
    params = {"tag": "prod", "checkType": "API", "search": "API", "limit": 2}
    first = await alice.get("/v1/checks", params={**params, "page": 1})
    second = await alice.get("/v1/checks", params={**params, "page": 2})
    assert first.headers["Content-Range"] == "0-1/3"
    assert second.headers["Content-Range"] == "2-2/3"
    assert [c["id"] for c in first.json() + second.json()] == wanted


async def test_the_list_reads_one_page_of_rows_from_the_database(
    vantage: Harness, alice: Persona
) -> None:
    for i in range(6):
        await create(alice, api_check(URL, name=f"check {i}"))
    fetched: list[int] = []
    engine = vantage.runtime.db.read_engine.sync_engine

    def note(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if "FROM checks" in statement and "count(" not in statement:
            fetched.append(statement.count("LIMIT"))

    sa.event.listen(engine, "after_cursor_execute", note)
    try:
        response = await alice.get("/v1/checks", params={"limit": 2, "page": 2})
    finally:
        sa.event.remove(engine, "after_cursor_execute", note)
    assert response.headers["Content-Range"] == "2-3/6"
    # the page is cut in SQL, not after loading every check
    assert fetched and all(limits >= 1 for limits in fetched)


# Update


async def test_a_partial_update_keeps_every_other_field(alice: Persona) -> None:
    created = await create(alice, full_api_payload(await a_group(alice), await a_channel(alice)))
    response = await alice.put(f"/v1/checks/{created['id']}", json={"name": "Renamed"})
    assert response.status_code == 200, response.text
    updated = response.json()
    assert updated["name"] == "Renamed"
    assert ISO_MS.match(updated["updated_at"])
    assert updated["created_at"] == created["created_at"]
    unchanged = {k: v for k, v in created.items() if k not in ("name", "updated_at")}
    assert {k: updated[k] for k in unchanged} == unchanged
    assert (await alice.get(f"/v1/checks/{created['id']}")).json() == updated


async def test_updating_the_url_keeps_the_rest_of_the_request(alice: Persona) -> None:
    created = await create(alice, full_api_payload(await a_group(alice), await a_channel(alice)))
    new_url = "https://example.test/v2/health"
    response = await alice.put(f"/v1/checks/{created['id']}", json={"request": {"url": new_url}})
    assert response.status_code == 200, response.text
    request = response.json()["request"]
    assert request == {**created["request"], "url": new_url}


async def test_a_typed_update_changes_a_check_of_that_type(alice: Persona) -> None:
    created = await create(alice, url_check(URL), path="/v1/checks/url")
    response = await alice.put(f"/v1/checks/url/{created['id']}", json={"frequency": 60})
    assert response.status_code == 200, response.text
    assert response.json()["frequency"] == 60


async def test_a_typed_update_of_another_types_check_is_a_404(alice: Persona) -> None:
    created = await create(alice, api_check(URL))
    response = await alice.put(f"/v1/checks/url/{created['id']}", json={"name": "x"})
    assert response.status_code == 404
    assert response.json()["message"] == "No such check."
    assert (await alice.get(f"/v1/checks/{created['id']}")).json()["name"] == created["name"]


async def test_updating_an_unknown_check_is_a_404(alice: Persona) -> None:
    response = await alice.put(f"/v1/checks/{uuid.uuid4()}", json={"name": "x"})
    assert response.status_code == 404


# Delete


async def test_deleting_a_check_removes_it_and_its_results(
    vantage: Harness, alice: Persona, http_target: HttpTarget
) -> None:
    created = await create(alice, api_check(f"{http_target.base_url}/ok"))
    check_id = created["id"]
    trigger = await alice.post(
        "/v1/check-sessions/trigger", json={"target": {"checkId": [check_id]}}
    )
    session_id = trigger.json()["sessions"][0]["checkSessionId"]
    done = await alice.get(
        f"/v1/check-sessions/{session_id}/completion", params={"maxWaitSeconds": 10}
    )
    assert done.status_code == 200

    response = await alice.delete(f"/v1/checks/{check_id}")
    assert response.status_code == 204
    assert response.content == b""

    assert (await alice.get(f"/v1/checks/{check_id}")).status_code == 404
    assert (await alice.get(f"/v1/check-results/{check_id}")).status_code == 404
    assert (await alice.get(f"/v1/check-statuses/{check_id}")).status_code == 404
    assert (await alice.delete(f"/v1/checks/{check_id}")).status_code == 404
    async with vantage.runtime.db.read() as conn:
        left = await conn.scalar(
            sa.select(sa.func.count()).where(check_results.c.check_id == check_id)
        )
        statuses = await conn.scalar(
            sa.select(sa.func.count()).where(check_statuses.c.check_id == check_id)
        )
    assert left == 0
    assert statuses == 0
    assert (await alice.get("/v1/checks")).json() == []


async def test_the_page_links_use_the_public_url_not_the_host_header(alice: Persona) -> None:
    for i in range(3):
        await create(alice, api_check(URL, name=f"check {i}", tags=["x y"]))
    response = await alice.get(
        "/v1/checks", params={"limit": 2, "tag": "x y"}, headers={"Host": "evil.example"}
    )
    link = response.headers["Link"]
    assert "evil.example" not in link
    # the harness's public URL (settings_for) with the request's own path and query
    assert link.startswith("<http://vantage.test/v1/checks?"), link
    assert "limit=2" in link and "tag=x+y" in link and "page=2" in link


async def test_a_check_type_that_is_no_string_is_a_400(alice: Persona) -> None:
    check_types: list[Any] = [{}, [], 1]
    for check_type in check_types:
        response = await alice.post("/v1/checks", json={**api_check(URL), "checkType": check_type})
        assert response.status_code == 400, response.text
        assert response.json()["validation"]["keys"] == ["checkType"]


async def test_a_typed_path_refuses_another_check_type(alice: Persona) -> None:
    response = await alice.post("/v1/checks/api", json={**api_check(URL), "checkType": "URL"})
    assert response.status_code == 400
    assert response.json()["message"] == '"checkType" must be [API]'
    same = await alice.post("/v1/checks/api", json={**api_check(URL), "checkType": "API"})
    assert same.status_code == 201
