"""The API describes itself: `/openapi.json` lists every endpoint with its Checkly error responses,
and `/docs` renders it."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.harness import Harness

ENDPOINTS = {
    "/v1/checks": {"get", "post"},
    "/v1/checks/{check_type}": {"post"},
    "/v1/checks/{check_id}": {"get", "put", "delete"},
    "/v1/checks/{check_type}/{check_id}": {"put"},
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
}

# Operations that read or write one object by id, and those that take input to validate.
BY_ID = {(p, m) for p, ms in ENDPOINTS.items() for m in ms if "_id}" in p}
VALIDATED = {
    ("/v1/checks", "get"),
    ("/v1/checks", "post"),
    ("/v1/checks/{check_type}", "post"),
    ("/v1/checks/{check_id}", "put"),
    ("/v1/checks/{check_type}/{check_id}", "put"),
    ("/v1/check-sessions/trigger", "post"),
    ("/v2/check-sessions/trigger", "post"),
    ("/v1/check-sessions/{check_session_id}/completion", "get"),
    ("/v2/check-sessions/{check_session_id}/completion", "get"),
    ("/v1/check-results/{check_id}", "get"),
    ("/v2/check-results/{check_id}", "get"),
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


async def test_the_docs_page_renders(vantage: Harness) -> None:
    response = await vantage.client.get("/docs")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "/openapi.json" in response.text
