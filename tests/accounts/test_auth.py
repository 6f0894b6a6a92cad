"""Every public endpoint asks for `Authorization: Bearer <key>` (with `X-Checkly-Account`, which
must then name the key's account, or without it), and no account ever sees another one's objects (a
404, never a 403 that would confirm they exist)."""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx2

from tests.support.checks import api_check
from tests.support.harness import Persona, settings_for
from tests.targets.http_target import HttpTarget
from vantage.app import create_app


def public_endpoints() -> list[tuple[str, str]]:
    """(method, path) of every API operation the app declares, path parameters filled in."""
    app = create_app(settings_for("sqlite:///unused.db"), background=False)
    endpoints: list[tuple[str, str]] = []
    for template, operations in app.openapi()["paths"].items():
        path = template.replace("{check_type}", "api")
        path = re.sub(r"\{[a-z_]+\}", lambda _: str(uuid.uuid4()), path)
        endpoints.extend((method.upper(), path) for method in operations)
    return endpoints


ENDPOINTS = public_endpoints()


def test_the_matrix_covers_every_family_of_endpoints() -> None:
    paths = {path for _, path in ENDPOINTS}
    for family in (
        "/v1/checks",
        "/v1/check-sessions/",
        "/v2/check-sessions/",
        "/v1/check-results/",
        "/v2/check-results/",
        "/v1/check-statuses",
        "/v1/locations",
        "/next/",
    ):
        assert any(p.startswith(family) for p in paths), family
    assert len(ENDPOINTS) >= 20


def assert_unauthorized(response: httpx2.Response, method: str, path: str) -> None:
    assert response.status_code == 401, (method, path, response.status_code, response.text)
    body = response.json()
    assert body["statusCode"] == 401, (method, path)
    assert body["error"] == "Unauthorized", (method, path)
    assert isinstance(body["message"], str) and body["message"], (method, path)


async def send_to_all(persona: Persona, headers: dict[str, str]) -> list[Any]:
    responses = []
    for method, path in ENDPOINTS:
        response = await persona.client.request(method, path, headers=headers, json={})
        responses.append((response, method, path))
    return responses


async def test_it_rejects_a_request_without_authorization(alice: Persona) -> None:
    for response, method, path in await send_to_all(alice, {"X-Checkly-Account": alice.account_id}):
        assert_unauthorized(response, method, path)


async def test_it_rejects_an_unknown_api_key(alice: Persona) -> None:
    headers = {"Authorization": "Bearer vtg_not-a-real-key", "X-Checkly-Account": alice.account_id}
    for response, method, path in await send_to_all(alice, headers):
        assert_unauthorized(response, method, path)


async def test_it_rejects_a_key_sent_with_another_accounts_id(
    alice: Persona, charlie: Persona
) -> None:
    headers = {"Authorization": f"Bearer {alice.api_key}", "X-Checkly-Account": charlie.account_id}
    for response, method, path in await send_to_all(alice, headers):
        assert_unauthorized(response, method, path)


async def test_a_key_without_the_account_header_acts_for_its_own_account(
    alice: Persona, charlie: Persona
) -> None:
    # Terraform's `account_id` is optional: the Go SDK then sends no header at all.
    mine = await alice.post("/v1/checks/api", json=api_check("https://example.test/"))
    assert mine.status_code == 201
    bare = {"Authorization": f"Bearer {alice.api_key}"}
    listed = await alice.client.get("/v1/checks", headers=bare)
    assert listed.status_code == 200
    assert [c["id"] for c in listed.json()] == [mine.json()["id"]]
    theirs = await charlie.client.get(
        "/v1/checks", headers={"Authorization": f"Bearer {charlie.api_key}"}
    )
    assert theirs.status_code == 200 and theirs.json() == []
    nobody = await alice.client.get("/v1/checks", headers={"Authorization": "Bearer vtg_nope"})
    assert_unauthorized(nobody, "GET", "/v1/checks")


async def test_it_rejects_a_scheme_other_than_bearer(alice: Persona) -> None:
    response = await alice.get("/v1/checks", headers={"Authorization": f"Basic {alice.api_key}"})
    assert_unauthorized(response, "GET", "/v1/checks")


async def test_a_valid_key_with_its_own_account_is_let_in(alice: Persona) -> None:
    response = await alice.get("/v1/checks")
    assert response.status_code == 200
    assert response.json() == []


async def test_the_401_body_is_checklys(alice: Persona) -> None:
    response = await alice.client.get("/v1/checks")
    body = response.json()
    assert body["statusCode"] == 401
    assert body["error"] == "Unauthorized"
    assert set(body) <= {"statusCode", "error", "message", "attributes"}


# Cross-account: charlie asks for alice's objects by id.


async def alices_objects(alice: Persona, http_target: HttpTarget) -> dict[str, str]:
    response = await alice.post("/v1/checks/api", json=api_check(f"{http_target.base_url}/ok"))
    assert response.status_code == 201, response.text
    check_id = response.json()["id"]
    response = await alice.post(
        "/v1/check-sessions/trigger", json={"target": {"checkId": [check_id]}}
    )
    session_id = response.json()["sessions"][0]["checkSessionId"]
    done = await alice.get(
        f"/v1/check-sessions/{session_id}/completion", params={"maxWaitSeconds": 10}
    )
    assert done.status_code == 200, done.text
    result_id = done.json()["results"][0]["checkResultId"]
    return {"check": check_id, "session": session_id, "result": result_id}


async def test_it_answers_404_to_charlie_for_each_of_alices_objects(
    alice: Persona, charlie: Persona, http_target: HttpTarget
) -> None:
    ids = await alices_objects(alice, http_target)
    check, session, result = ids["check"], ids["session"], ids["result"]
    reads = [
        ("GET", f"/v1/checks/{check}"),
        ("PUT", f"/v1/checks/{check}"),
        ("PUT", f"/v1/checks/api/{check}"),
        ("DELETE", f"/v1/checks/{check}"),
        ("GET", f"/v1/check-sessions/{session}"),
        ("GET", f"/v2/check-sessions/{session}"),
        ("GET", f"/v1/check-sessions/{session}/completion"),
        ("GET", f"/v2/check-sessions/{session}/completion"),
        ("GET", f"/v1/check-results/{check}"),
        ("GET", f"/v2/check-results/{check}"),
        ("GET", f"/v1/check-results/{check}/{result}"),
        ("GET", f"/v1/check-statuses/{check}"),
        ("GET", f"/next/accounts/{alice.account_id}"),
    ]
    for method, path in reads:
        body = {"name": "taken over"} if method == "PUT" else None
        response = await charlie.request(method, path, json=body)
        assert response.status_code == 404, (method, path, response.text)
        assert response.json()["statusCode"] == 404
        assert response.json()["error"] == "Not Found"

    trigger = await charlie.post(
        "/v2/check-sessions/trigger", json={"target": {"checkId": [check]}}
    )
    assert trigger.status_code == 404

    # Nothing charlie tried changed alice's check.
    mine = await alice.get(f"/v1/checks/{check}")
    assert mine.status_code == 200
    assert mine.json()["name"] == "API check"


async def test_charlies_lists_do_not_show_alices_objects(
    alice: Persona, charlie: Persona, http_target: HttpTarget
) -> None:
    ids = await alices_objects(alice, http_target)
    checks = await charlie.get("/v1/checks")
    assert checks.json() == []
    assert checks.headers["Content-Range"].endswith("/0")
    assert (await charlie.get("/v1/check-statuses")).json() == []
    # and alice does see them
    assert [c["id"] for c in (await alice.get("/v1/checks")).json()] == [ids["check"]]
    assert [s["checkId"] for s in (await alice.get("/v1/check-statuses")).json()] == [ids["check"]]


async def test_a_trigger_without_target_starts_only_the_callers_checks(
    alice: Persona, charlie: Persona, http_target: HttpTarget
) -> None:
    await alices_objects(alice, http_target)
    response = await charlie.post("/v1/check-sessions/trigger", json={})
    assert response.status_code == 404
    assert response.json()["message"] == "No matching checks were found."


async def test_bad_credentials_are_a_401_even_with_a_query_no_database_takes(
    alice: Persona,
) -> None:
    bad = {"Authorization": "Bearer vtg_" + "x" * 43}

    refused = await alice.client.get("/v1/checks", params={"search": "\x00"}, headers=bad)
    good = await alice.get("/v1/checks", params={"search": "\x00"})

    assert refused.status_code == 401
    assert good.status_code == 400
    assert good.json()["validation"]["keys"] == ["search"]
