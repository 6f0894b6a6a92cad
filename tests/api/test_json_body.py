"""Every JSON body that cannot be stored and echoed is a 400 naming the field, and nothing is
stored (M3, M4): lone surrogates, NUL characters, numbers no column holds, deep nesting, NaN."""

from __future__ import annotations

import json
from typing import Any

import httpx2
import pytest

from tests.support.checks import api_check
from tests.support.harness import Persona

JSON = {"Content-Type": "application/json"}
URL = "http://x.test/"


def raw(payload: Any, *replacements: tuple[str, str]) -> bytes:
    """The payload as JSON text, with placeholders swapped for escapes json.dumps will not write."""
    text = json.dumps(payload)
    for placeholder, escape in replacements:
        text = text.replace(placeholder, escape)
    return text.encode()


def assert_bad(response: httpx2.Response, key: str, words: str) -> None:
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["error"] == "Bad Request"
    assert body["validation"] == {"source": "payload", "keys": [key]}
    assert body["message"] == f'"{key}" {words}', body["message"]


async def counts(persona: Persona) -> tuple[int, int]:
    checks = await persona.get("/v1/checks", params={"limit": 100})
    groups = await persona.get("/v1/check-groups", params={"limit": 100})
    assert checks.status_code == groups.status_code == 200
    return len(checks.json()), len(groups.json())


SURROGATE = "must be valid Unicode text (it contains a lone surrogate)"
NUL = "must not contain a NUL character"

CHECK_CASES = [
    pytest.param(
        api_check(URL, request={"headers": [{"key": "k", "value": "@"}]}),
        "request.headers[0].value",
        SURROGATE,
        id="a lone surrogate in a header value",
    ),
    pytest.param(
        api_check(URL, request={"headers": [{"key": "@", "value": "v"}]}),
        "request.headers[0].key",
        SURROGATE,
        id="a lone surrogate in a header key",
    ),
    pytest.param(
        api_check(URL, request={"body": "@"}), "request.body", SURROGATE, id="in request.body"
    ),
    pytest.param(api_check(URL, localSetupScript="@"), "localSetupScript", SURROGATE, id="script"),
    pytest.param(api_check(URL, name="a%b"), "name", NUL, id="a NUL in the name"),
    pytest.param(
        api_check(URL, request={"assertions": [{"source": "TEXT_BODY", "target": "%"}]}),
        "request.assertions[0].target",
        NUL,
        id="a NUL in an assertion target",
    ),
    pytest.param(
        api_check(URL, groupOrder=10**30), "groupOrder", "must be a safe number", id="1e30"
    ),
    pytest.param(
        api_check(URL, setupSnippetId=-(10**30)),
        "setupSnippetId",
        "must be a safe number",
        id="setupSnippetId at -1e30",
    ),
    pytest.param(
        api_check(URL, alertChannelSubscriptions=[{"alertChannelId": 10**30}]),
        "alertChannelSubscriptions[0].alertChannelId",
        "must be a safe number",
        id="alertChannelId at 1e30",
    ),
]


@pytest.mark.parametrize(("payload", "key", "words"), CHECK_CASES)
async def test_an_unstorable_check_is_refused_and_not_stored(
    alice: Persona, payload: dict[str, Any], key: str, words: str
) -> None:
    before = await counts(alice)
    body = raw(payload, ('"@"', '"\\ud800"'), ("%", "\\u0000"))
    assert_bad(await alice.post("/v1/checks/api", content=body, headers=JSON), key, words)
    assert await counts(alice) == before  # and every list still answers


GROUP_CASES = [
    pytest.param(
        {"apiCheckDefaults": {"headers": [{"key": "k", "value": "@"}]}},
        "apiCheckDefaults.headers[0].value",
        SURROGATE,
        id="a lone surrogate in a default header",
    ),
    pytest.param({"concurrency": 10**30}, "concurrency", "must be a safe number", id="1e30"),
    pytest.param(
        {"environmentVariables": [{"key": "K", "value": "%"}]},
        "environmentVariables[0].value",
        NUL,
        id="a NUL in a variable",
    ),
]


@pytest.mark.parametrize(("fields", "key", "words"), GROUP_CASES)
async def test_an_unstorable_group_is_refused_and_not_stored(
    alice: Persona, fields: dict[str, Any], key: str, words: str
) -> None:
    before = await counts(alice)
    body = raw({"name": "g", "activated": True, **fields}, ('"@"', '"\\udfff"'), ("%", "\\u0000"))
    assert_bad(await alice.post("/v1/check-groups", content=body, headers=JSON), key, words)
    assert await counts(alice) == before


async def test_deep_json_is_a_400_not_a_500(alice: Persona) -> None:
    for path in ("/v1/checks", "/v1/check-groups", "/v1/check-sessions/trigger"):
        response = await alice.post(path, content=b"[" * 100_000 + b"]" * 100_000, headers=JSON)
        assert response.status_code == 400, response.text
        assert response.json()["message"] == "The payload is nested more than 32 levels deep"


async def test_nesting_past_32_levels_is_refused_where_it_starts(alice: Persona) -> None:
    deep: Any = {}
    for _ in range(900):
        deep = {"a": deep}
    payload = {"name": "g", "activated": True, "browserCheckDefaults": deep}
    response = await alice.post("/v1/check-groups", json=payload)
    assert response.status_code == 400
    key = response.json()["validation"]["keys"][0]
    assert key.startswith("browserCheckDefaults.a.a")
    assert response.json()["message"] == f'"{key}" is nested more than 32 levels deep'


async def test_nan_is_not_json(alice: Persona) -> None:
    body = b'{"name": "g", "activated": true, "browserCheckDefaults": {"x": NaN}}'
    response = await alice.post("/v1/check-groups", content=body, headers=JSON)
    assert response.status_code == 400
    assert response.json()["message"] == "Invalid request payload JSON format"


async def test_a_trigger_with_a_lone_surrogate_is_a_400(alice: Persona) -> None:
    body = b'{"target": {"matchTags": [["\\ud800"]]}}'
    response = await alice.post("/v1/check-sessions/trigger", content=body, headers=JSON)
    assert_bad(response, "target.matchTags[0][0]", SURROGATE)


async def test_text_that_is_merely_unusual_is_stored_and_echoed(alice: Persona) -> None:
    name = "Ünïcødé ✓ 🚀 \u202eRTL"
    created = await alice.post(
        "/v1/checks/api", json=api_check(URL, name=name, groupOrder=1_000_000)
    )
    assert created.status_code == 201, created.text
    [listed] = (await alice.get("/v1/checks")).json()
    assert (listed["name"], listed["groupOrder"]) == (name, 1_000_000)
