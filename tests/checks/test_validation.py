"""Bad check payloads: always a 400 in Checkly's shape that names the field, never a 422 or 500."""

from __future__ import annotations

from typing import Any

import httpx2
import pytest

from tests.support.checks import api_check, url_check
from tests.support.harness import Persona

URL = "https://example.test/health"


def without(payload: dict[str, Any], *path: str) -> dict[str, Any]:
    node = payload
    for key in path[:-1]:
        node = node[key]
    del node[path[-1]]
    return payload


def assertion(**fields: Any) -> dict[str, Any]:
    return {
        "request": {"assertions": [{"source": "STATUS_CODE", "comparison": "EQUALS", **fields}]}
    }


def assert_bad_request(response: httpx2.Response, key: str, source: str = "payload") -> None:
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["statusCode"] == 400
    assert body["error"] == "Bad Request"
    assert f'"{key}"' in body["message"], body["message"]
    assert body["validation"]["source"] == source
    assert key in body["validation"]["keys"], body["validation"]


API_CASES = [
    pytest.param(without(api_check(URL), "name"), "name", id="a missing name"),
    pytest.param(api_check(URL, name=""), "name", id="an empty name"),
    pytest.param(without(api_check(URL), "request"), "request", id="a missing request"),
    pytest.param(
        without(api_check(URL), "request", "url"), "request.url", id="a missing request.url"
    ),
    pytest.param(
        without(api_check(URL), "request", "method"),
        "request.method",
        id="a missing request.method",
    ),
    pytest.param(api_check(URL, request={"method": "FETCH"}), "request.method", id="a bad method"),
    pytest.param(api_check("https://x.test/" + "a" * 2040), "request.url", id="a url too long"),
    pytest.param(api_check(URL, frequency=7), "frequency", id="a frequency of 7"),
    pytest.param(api_check(URL, frequency="often"), "frequency", id="a frequency that is text"),
    pytest.param(
        api_check(URL, frequency=0), "frequencyOffset", id="frequency 0 without frequencyOffset"
    ),
    pytest.param(
        api_check(URL, frequency=0, frequencyOffset=15),
        "frequencyOffset",
        id="frequency 0 with offset 15",
    ),
    pytest.param(
        api_check(URL, frequency=10, frequencyOffset=101),
        "frequencyOffset",
        id="frequencyOffset too large",
    ),
    pytest.param(
        api_check(URL, frequency=120, frequencyOffset=3),
        "frequencyOffset",
        id="frequencyOffset too large hourly",
    ),
    pytest.param(api_check(URL, frequencyOffset=0), "frequencyOffset", id="frequencyOffset zero"),
    pytest.param(api_check(URL, colour="blue"), "colour", id="an unknown field"),
    pytest.param(
        api_check(URL, request={"timeout": 5}), "request.timeout", id="an unknown request field"
    ),
    pytest.param(
        api_check(URL, **assertion(source="BODY")),
        "request.assertions[0].source",
        id="an assertion with a bad source",
    ),
    pytest.param(
        api_check(URL, **assertion(comparison="ROUGHLY")),
        "request.assertions[0].comparison",
        id="an assertion with a bad comparison",
    ),
    pytest.param(
        api_check(URL, request={"assertions": [{"comparison": "EQUALS"}]}),
        "request.assertions[0].source",
        id="an assertion without a source",
    ),
    pytest.param(
        api_check(URL, request={"body": {"a": 1}}), "request.body", id="a body that is not a string"
    ),
    pytest.param(
        api_check(URL, request={"bodyType": "XML"}), "request.bodyType", id="a bad bodyType"
    ),
    pytest.param(
        api_check(URL, request={"ipFamily": "IPv5"}), "request.ipFamily", id="a bad ipFamily"
    ),
    pytest.param(
        api_check(URL, request={"headers": [{"value": "x"}]}),
        "request.headers[0].key",
        id="a header without key",
    ),
    pytest.param(
        api_check(URL, activated="maybe"), "activated", id="activated that is not a boolean"
    ),
    pytest.param(api_check(URL, tags="prod"), "tags", id="tags that are not an array"),
    pytest.param(
        api_check(URL, maxResponseTime=45001), "maxResponseTime", id="maxResponseTime over 45000"
    ),
    pytest.param(
        api_check(URL, degradedResponseTime=-1),
        "degradedResponseTime",
        id="a negative degradedResponseTime",
    ),
    pytest.param(
        api_check(URL, degradedResponseTime=3000, maxResponseTime=2000),
        "degradedResponseTime",
        id="degraded above max",
    ),
    pytest.param(
        api_check(URL, alertSettings={"escalationType": "SOMETIMES"}),
        "alertSettings.escalationType",
        id="a bad escalationType",
    ),
    pytest.param(
        api_check(URL, alertSettings={"runBasedEscalation": {"failedRunThreshold": 6}}),
        "alertSettings.runBasedEscalation.failedRunThreshold",
        id="a failedRunThreshold of 6",
    ),
    pytest.param(
        api_check(URL, retryStrategy={"type": "SOMETIMES"}),
        "retryStrategy.type",
        id="a bad retry strategy type",
    ),
    pytest.param(
        api_check(URL, retryStrategy={"type": "FIXED", "maxRetries": 11}),
        "retryStrategy.maxRetries",
        id="maxRetries over 10",
    ),
    pytest.param(
        api_check(URL, description="x" * 511), "description", id="a description over 510 characters"
    ),
    pytest.param(
        api_check(URL, locations=["mars-north-1"]), "locations[0]", id="an unknown location"
    ),
]


@pytest.mark.parametrize(("payload", "key"), API_CASES)
async def test_it_rejects_an_api_check_with(
    alice: Persona, payload: dict[str, Any], key: str
) -> None:
    assert_bad_request(await alice.post("/v1/checks/api", json=payload), key)
    # the generic endpoint validates the same way
    generic = await alice.post("/v1/checks", json={**payload, "checkType": "API"})
    assert_bad_request(generic, key)
    assert (await alice.get("/v1/checks")).json() == []


URL_CASES = [
    pytest.param(
        url_check(URL, request={"url": URL, "method": "POST"}), "request.method", id="a POST method"
    ),
    pytest.param(
        url_check(
            URL,
            request={"url": URL, "assertions": [{"source": "JSON_BODY", "comparison": "EQUALS"}]},
        ),
        "request.assertions[0].source",
        id="a JSON_BODY assertion",
    ),
    pytest.param(
        url_check(
            URL,
            request={
                "url": URL,
                "assertions": [{"source": "STATUS_CODE", "comparison": "CONTAINS"}],
            },
        ),
        "request.assertions[0].comparison",
        id="a CONTAINS comparison",
    ),
    pytest.param(url_check(URL, request={}), "request.url", id="a missing url"),
    pytest.param(
        url_check(URL, frequency=0, frequencyOffset=10), "frequency", id="a seconds frequency"
    ),
]


@pytest.mark.parametrize(("payload", "key"), URL_CASES)
async def test_it_rejects_a_url_check_with(
    alice: Persona, payload: dict[str, Any], key: str
) -> None:
    assert_bad_request(await alice.post("/v1/checks/url", json=payload), key)


async def test_it_rejects_a_body_that_is_not_json(alice: Persona) -> None:
    response = await alice.post(
        "/v1/checks/api", content=b"{name: oops", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    body = response.json()
    assert body["statusCode"] == 400
    assert body["error"] == "Bad Request"
    assert body["message"] == "Invalid request payload JSON format"


async def test_it_rejects_an_empty_body(alice: Persona) -> None:
    response = await alice.post("/v1/checks/api", content=b"")
    assert response.status_code == 400
    assert response.json()["error"] == "Bad Request"


@pytest.mark.parametrize("body", [[], [{"name": "x"}], "a string", 42, None])
async def test_it_rejects_json_that_is_not_an_object(alice: Persona, body: Any) -> None:
    for path in ("/v1/checks/api", "/v1/checks"):
        response = await alice.post(path, json=body)
        assert response.status_code == 400, (path, response.text)
        assert response.json()["statusCode"] == 400
        assert response.json()["error"] == "Bad Request"


async def test_the_generic_endpoint_needs_a_known_check_type(alice: Persona) -> None:
    for check_type in (None, "SPACESHIP", "api"):
        payload = api_check(URL)
        if check_type is not None:
            payload["checkType"] = check_type
        assert_bad_request(await alice.post("/v1/checks", json=payload), "checkType")


async def test_an_update_is_validated_like_a_create(alice: Persona) -> None:
    created = await alice.post("/v1/checks/api", json=api_check(URL))
    check_id = created.json()["id"]
    for payload, key in (
        ({"frequency": 7}, "frequency"),
        ({"colour": "blue"}, "colour"),
        ({"request": {"method": "FETCH"}}, "request.method"),
        ({"locations": ["atlantis"]}, "locations[0]"),
        ({"checkType": "URL"}, "checkType"),
    ):
        assert_bad_request(await alice.put(f"/v1/checks/{check_id}", json=payload), key)
    response = await alice.put(f"/v1/checks/{check_id}", content=b"[1, 2")
    assert response.status_code == 400
    response = await alice.put(f"/v1/checks/{check_id}", json=[1, 2])
    assert response.status_code == 400
    assert (await alice.get(f"/v1/checks/{check_id}")).json() == created.json()


@pytest.mark.parametrize(
    ("params", "key"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 101}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"page": 0}, "page"),
    ],
)
async def test_it_rejects_bad_list_parameters(
    alice: Persona, params: dict[str, Any], key: str
) -> None:
    assert_bad_request(await alice.get("/v1/checks", params=params), key, source="query")
