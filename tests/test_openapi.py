"""The API describes itself: `/openapi.json` lists every endpoint with its Checkly error responses,
and `/docs` renders it."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.harness import Harness, Persona
from vantage.agentapi.schemas import LeaseBody
from vantage.checks.schemas import CHECK_MODELS, CHECK_TYPE_PATHS

ENDPOINTS = {
    "/v1/checks": {"get", "post"},
    **{f"/v1/checks/{slug}": {"post"} for slug in ("api", "url", "tcp", "dns")},
    "/v1/checks/{check_id}": {"get", "put", "delete"},
    **{f"/v1/checks/{slug}/{{check_id}}": {"put"} for slug in ("api", "url", "tcp", "dns")},
    "/v1/check-sessions/trigger": {"post"},
    "/v2/check-sessions/trigger": {"post"},
    "/v1/check-sessions/{check_session_id}": {"get"},
    "/v2/check-sessions/{check_session_id}": {"get"},
    "/v1/check-sessions/{check_session_id}/completion": {"get"},
    "/v2/check-sessions/{check_session_id}/completion": {"get"},
    "/v1/check-results/{check_id}": {"get"},
    "/v2/check-results/{check_id}": {"get"},
    "/v1/check-results/{check_id}/{check_result_id}": {"get"},
    "/v1/check-statuses": {"get"},
    "/v1/check-statuses/{check_id}": {"get"},
    "/v1/locations": {"get"},
    "/v1/test-sessions": {"get"},
    "/v1/test-sessions/run": {"post"},
    "/v1/test-sessions/{test_session_id}": {"get"},
    "/v1/test-sessions/{test_session_id}/completion": {"get"},
    "/v1/test-sessions/{test_session_id}/cancel": {"post"},
    "/next/test-sessions/trigger": {"post"},
    "/v1/test-sessions/trigger": {"post"},
    "/v1/accounts": {"get"},
    "/v1/accounts/{account_id}": {"get"},
    "/v1/checks/heartbeats/{check_id}/events/{event_id}": {"get"},
    "/v2/checks": {"get"},
    "/v2/checks/{check_id}": {"get"},
    "/v3/checks": {"get"},
    "/v3/checks/{check_id}": {"get"},
    "/v1/reporting": {"get"},
    "/v1/test-session-error-groups/projects/{project_id}": {"get"},
}

# Operations that read or write one object by id, and those that take input to validate.
BY_ID = {(p, m) for p, ms in ENDPOINTS.items() for m in ms if "_id}" in p}
VALIDATED = {
    ("/v1/checks", "get"),
    ("/v1/checks", "post"),
    *((f"/v1/checks/{slug}", "post") for slug in ("api", "url", "tcp", "dns")),
    ("/v1/checks/{check_id}", "put"),
    *((f"/v1/checks/{slug}/{{check_id}}", "put") for slug in ("api", "url", "tcp", "dns")),
    ("/v1/check-sessions/trigger", "post"),
    ("/v2/check-sessions/trigger", "post"),
    ("/v1/check-sessions/{check_session_id}/completion", "get"),
    ("/v2/check-sessions/{check_session_id}/completion", "get"),
    ("/v1/check-results/{check_id}", "get"),
    ("/v2/check-results/{check_id}", "get"),
    ("/v1/test-sessions/run", "post"),
    ("/next/test-sessions/trigger", "post"),
    ("/v1/test-sessions/trigger", "post"),
    ("/v2/checks", "get"),
    ("/v3/checks", "get"),
    ("/v1/reporting", "get"),
}


@pytest.fixture
async def schema(vantage: Harness) -> dict[str, Any]:
    response = await vantage.client.get("/openapi.json")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    body: dict[str, Any] = response.json()
    return body


def responses(schema: dict[str, Any], path: str, method: str) -> set[str]:
    return set(schema["paths"][path][method]["responses"])


async def test_the_schema_lists_every_endpoint(schema: dict[str, Any]) -> None:
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"] == "Vantage"
    for path, methods in ENDPOINTS.items():
        assert path in schema["paths"], path
        assert methods <= set(schema["paths"][path]), path


async def test_every_endpoint_declares_401(schema: dict[str, Any]) -> None:
    for path, methods in ENDPOINTS.items():
        for method in methods:
            assert "401" in responses(schema, path, method), (path, method)


async def test_endpoints_that_take_an_id_declare_404(schema: dict[str, Any]) -> None:
    for path, method in BY_ID:
        assert "404" in responses(schema, path, method), (path, method)


async def test_endpoints_that_validate_input_declare_400(schema: dict[str, Any]) -> None:
    for path, method in VALIDATED:
        assert "400" in responses(schema, path, method), (path, method)


async def test_no_endpoint_declares_fastapis_422(schema: dict[str, Any]) -> None:
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            assert "422" not in operation["responses"], (path, method)


async def test_the_error_responses_describe_checklys_body(schema: dict[str, Any]) -> None:
    declared = schema["paths"]["/v1/checks/{check_id}"]["get"]["responses"]["404"]
    ref = declared["content"]["application/json"]["schema"]["$ref"]
    model = schema["components"]["schemas"][ref.rsplit("/", 1)[1]]
    assert {"statusCode", "error", "message"} <= set(model["properties"])


async def test_every_operation_has_a_summary(schema: dict[str, Any]) -> None:
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            assert operation.get("summary"), (path, method)


def operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(p, m, op) for p, ops in schema["paths"].items() for m, op in ops.items()]


def component(schema: dict[str, Any], ref: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = schema["components"]["schemas"][ref["$ref"].rsplit("/", 1)[1]]
    return found


def body_schema(schema: dict[str, Any], path: str, method: str) -> dict[str, Any]:
    body = schema["paths"][path][method]["requestBody"]
    return component(schema, body["content"]["application/json"]["schema"])


async def test_every_operation_requires_credentials(schema: dict[str, Any]) -> None:
    for path, method, operation in operations(schema):
        if path.startswith("/agent/v1/"):
            assert operation["security"] == [{"AgentKey": []}], (path, method)
        else:
            # The key, with the account header or alone (as Checkly takes a key of one account).
            assert operation["security"] == [{"Bearer": [], "AccountId": []}, {"Bearer": []}], (
                path,
                method,
            )


async def test_the_security_schemes_name_the_headers_checklys_clients_send(
    schema: dict[str, Any],
) -> None:
    schemes = schema["components"]["securitySchemes"]
    assert schemes["Bearer"] == {**schemes["Bearer"], "type": "http", "scheme": "bearer"}
    assert schemes["AccountId"]["type"] == "apiKey"
    assert (schemes["AccountId"]["in"], schemes["AccountId"]["name"]) == (
        "header",
        "X-Checkly-Account",
    )
    assert schemes["AgentKey"] == {**schemes["AgentKey"], "type": "http", "scheme": "bearer"}


async def test_every_post_and_put_declares_its_json_body(schema: dict[str, Any]) -> None:
    # Creating an agent key or a trigger token takes nothing: what it is for is in the path.
    bodiless = {
        ("/v1/private-locations/{location_id}/keys", "post"),
        ("/v1/triggers/checks/{check_id}", "post"),
        ("/v1/triggers/check-groups/{group_id}", "post"),
        # Deployments are finished before their POST answers; a cancel names one by its path.
        ("/v1/projects/{logical_id}/deployments/{deployment_id}/cancel", "post"),
        # The CLI's Ctrl-C sends no body (Checkly's own cancel takes none either).
        ("/v1/test-sessions/{test_session_id}/cancel", "post"),
    }
    # A code bundle is an archive, not JSON.
    binary = {("/next/checkly-storage/upload-code-bundle", "post")}
    for path, method in binary:
        content = schema["paths"][path][method]["requestBody"]["content"]
        assert content["application/octet-stream"]["schema"]["format"] == "binary"
    for path, method, operation in operations(schema):
        if method in ("post", "put") and (path, method) not in bodiless | binary:
            content = operation["requestBody"]["content"]
            assert content["application/json"]["schema"], (path, method)


async def test_every_success_declares_what_it_returns(schema: dict[str, Any]) -> None:
    for path, method, operation in operations(schema):
        successes = {c: r for c, r in operation["responses"].items() if c.startswith("2")}
        assert successes, (path, method)
        for code, response in successes.items():
            if code == "204":
                assert "content" not in response, (path, method)
            elif path.startswith("/v1/badges/"):
                assert list(response["content"]) == ["image/svg+xml"], (path, method)
            elif path.endswith("/assets/{name}"):
                # An asset's own bytes: a screenshot, a trace archive or a video.
                kinds = {"image/png", "application/zip", "video/webm"}
                assert set(response["content"]) == kinds, (path, method)
            elif path.endswith(".txt"):
                assert list(response["content"]) == ["text/plain"], (path, method)
                assert response["content"]["text/plain"]["schema"], (path, method)
            elif path == "/v1/projects/{logical_id}/deployments/{deployment_id}/events":
                # Server-Sent Events: frames of JSON, not one JSON document.
                assert response["content"]["text/event-stream"]["schema"], (path, method)
            else:
                declared = response["content"]["application/json"]["schema"]
                assert declared and declared != {}, (path, method, code)


async def test_check_bodies_are_the_models_that_validate_them(schema: dict[str, Any]) -> None:
    create = body_schema(schema, "/v1/checks", "post")
    assert create["discriminator"]["propertyName"] == "checkType"
    # Heartbeat, browser and multi-step checks are documented on their own paths only (see
    # checks/responses.py).
    own_path_only = {"HEARTBEAT", "BROWSER", "MULTI_STEP"}
    assert set(create["discriminator"]["mapping"]) == set(CHECK_MODELS) - own_path_only
    slugs = {check_type: slug for slug, check_type in CHECK_TYPE_PATHS.items()}
    for check_type, model in CHECK_MODELS.items():
        typed = body_schema(schema, f"/v1/checks/{slugs[check_type]}", "post")
        assert set(typed["properties"]) == {*model.model_fields, "checkType"}
        assert set(typed["required"]) == {
            name for name, field in model.model_fields.items() if field.is_required()
        }
        assert typed["additionalProperties"] is False
        # A PUT gives any of the fields, also of the request (merged key by key).
        update = body_schema(schema, f"/v1/checks/{slugs[check_type]}/{{check_id}}", "put")
        assert "required" not in update
        # (A heartbeat check has no request: its `heartbeat` is replaced whole.)
        if "request" in model.model_fields:
            assert "required" not in update["properties"]["request"]


async def test_the_frequency_offset_rule_is_part_of_the_check_schema(
    schema: dict[str, Any],
) -> None:
    rules = body_schema(schema, "/v1/checks/api", "post")["allOf"]
    seconds = next(r for r in rules if r["if"].get("properties") == {"frequency": {"const": 0}})
    assert seconds["then"]["properties"]["frequencyOffset"] == {"enum": [10, 20, 30]}
    # URL and DNS checks cannot run every few seconds.
    url_rules = body_schema(schema, "/v1/checks/url", "post")["allOf"]
    assert {"properties": {"frequency": {"not": {"const": 0}}}} in url_rules


async def test_agent_bodies_keep_their_limits(schema: dict[str, Any]) -> None:
    lease = body_schema(schema, "/agent/v1/lease", "post")
    assert set(lease["properties"]) == set(LeaseBody.model_fields)
    assert lease["properties"]["waitSeconds"]["maximum"] == 20.0


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("OPTIONS", "/v1/checks", "GET, POST"),
        ("PATCH", "/v1/checks/some-id", "DELETE, GET, PUT"),
        ("OPTIONS", "/v1/checks/api", "POST"),
        ("OPTIONS", "/v1/check-sessions/trigger", "POST"),
        ("DELETE", "/agent/v1/lease", "POST"),
    ],
)
async def test_a_405_lists_every_method_of_the_path(
    alice: Persona, method: str, path: str, allowed: str
) -> None:
    response = await alice.request(method, path)
    assert response.status_code == 405
    assert response.headers["allow"] == allowed
    assert response.json()["error"] == "Method Not Allowed"


async def test_the_docs_page_renders(vantage: Harness) -> None:
    response = await vantage.client.get("/docs")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "/openapi.json" in response.text
