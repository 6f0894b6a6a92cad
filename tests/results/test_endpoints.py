"""`/v1/check-results` (page-based, 6-hour window) and `/v2/check-results` (cursor, projection),
and one full result with its `apiCheckResult`."""

from __future__ import annotations

import base64
import re
import time
import uuid
from typing import Any

import httpx2
import sqlalchemy as sa

from tests.support.checks import api_check
from tests.support.harness import Harness, Persona
from tests.support.sessions import create, run
from tests.targets.http_target import HttpTarget
from vantage.db.tables import check_results

ISO_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
SIX_HOURS = 6 * 3600

RESULT_KEYS = {
    "id",
    "name",
    "checkId",
    "hasFailures",
    "hasErrors",
    "isDegraded",
    "overMaxResponseTime",
    "isCancelled",
    "runLocation",
    "startedAt",
    "stoppedAt",
    "created_at",
    "responseTime",
    "checkRunId",
    "attempts",
    "resultType",
    "sequenceId",
    "traceId",
    "errorGroupIds",
    "apiCheckResult",
    "browserCheckResult",
    "multiStepCheckResult",
    "playwrightCheckResult",
    "agenticCheckResult",
    "tracerouteCheckResult",
    "grpcCheckResult",
    "sslCheckResult",
}


def final_id(session: dict[str, Any]) -> str:
    [final] = [r for r in session["results"] if r["resultType"] == "FINAL"]
    return str(final["checkResultId"])


def ids(response: httpx2.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [entry["id"] for entry in response.json()]


# v1: page-based


async def test_v1_lists_results_in_checklys_shape(alice: Persona, http_target: HttpTarget) -> None:
    check_id = await create(alice, api_check(f"{http_target.base_url}/ok", name="Home"))
    session = await run(alice, check_id)

    response = await alice.get(f"/v1/check-results/{check_id}")
    assert response.status_code == 200
    [result] = response.json()
    assert set(result) >= RESULT_KEYS
    assert result["id"] == final_id(session)
    assert result["checkId"] == check_id
    assert result["name"] == "Home"
    assert result["resultType"] == "FINAL"
    assert result["runLocation"] == "local"
    assert result["hasFailures"] is False and result["hasErrors"] is False
    assert result["isDegraded"] is False and result["overMaxResponseTime"] is False
    assert result["attempts"] == 1
    assert isinstance(result["checkRunId"], int)
    for stamp in ("startedAt", "stoppedAt", "created_at"):
        assert ISO_MS.match(result[stamp]), stamp
    assert result["apiCheckResult"]["response"]["status"] == 200
    for other in RESULT_KEYS - {"apiCheckResult"}:
        if other.endswith("CheckResult"):
            assert result[other] is None, other


async def test_v1_pages_newest_first(alice: Persona, http_target: HttpTarget) -> None:
    check_id = await create(alice, api_check(f"{http_target.base_url}/ok"))
    finals = [final_id(await run(alice, check_id)) for _ in range(5)]

    pages = [
        ids(await alice.get(f"/v1/check-results/{check_id}", params={"limit": 2, "page": page}))
        for page in (1, 2, 3, 4)
    ]
    assert [len(p) for p in pages] == [2, 2, 1, 0]
    assert [i for p in pages for i in p] == list(reversed(finals))


async def test_v1_reads_a_six_hour_window_ending_now_by_default(
    alice: Persona, http_target: HttpTarget
) -> None:
    check_id = await create(alice, api_check(f"{http_target.base_url}/ok"))
    result_id = final_id(await run(alice, check_id))
    now = int(time.time())
    path = f"/v1/check-results/{check_id}"

    assert ids(await alice.get(path)) == [result_id]
    assert ids(await alice.get(path, params={"from": now - 60, "to": now + 60})) == [result_id]
    # only `to`: the six hours before it
    assert ids(await alice.get(path, params={"to": now + 60})) == [result_id]
    assert ids(await alice.get(path, params={"to": now - 3600})) == []
    # only `from`: the six hours after it
    assert ids(await alice.get(path, params={"from": now - 60})) == [result_id]
    assert ids(await alice.get(path, params={"from": now - SIX_HOURS - 3600})) == []
    # exactly six hours is allowed
    window = {"from": now - SIX_HOURS + 60, "to": now + 60}
    assert ids(await alice.get(path, params=window)) == [result_id]


async def test_v1_rejects_a_window_longer_than_six_hours(
    alice: Persona, http_target: HttpTarget
) -> None:
    check_id = await create(alice, api_check(f"{http_target.base_url}/ok"))
    now = int(time.time())
    response = await alice.get(
        f"/v1/check-results/{check_id}", params={"from": now - SIX_HOURS - 1, "to": now}
    )
    assert response.status_code == 400
    body = response.json()
    assert body["statusCode"] == 400 and body["error"] == "Bad Request"
    assert body["validation"]["source"] == "query"


async def test_v1_filters_by_has_failures_and_location(
    alice: Persona, http_target: HttpTarget
) -> None:
    check_id = await create(alice, api_check(f"{http_target.base_url}/ok"))
    passed = final_id(await run(alice, check_id))
    response = await alice.put(
        f"/v1/checks/{check_id}", json={"request": {"url": f"{http_target.base_url}/status/500"}}
    )
    assert response.status_code == 200
    failed = final_id(await run(alice, check_id))
    path = f"/v1/check-results/{check_id}"

    assert ids(await alice.get(path, params={"hasFailures": "true"})) == [failed]
    assert ids(await alice.get(path, params={"hasFailures": "false"})) == [passed]
    # the go SDK sends 1
    assert ids(await alice.get(path, params={"hasFailures": 1})) == [failed]
    assert ids(await alice.get(path, params={"location": "local"})) == [failed, passed]
    assert ids(await alice.get(path, params={"location": "eu-west-1"})) == []


async def test_results_list_final_results_unless_attempts_are_asked_for(
    alice: Persona, http_target: HttpTarget
) -> None:
    retry = {"type": "FIXED", "baseBackoffSeconds": 0, "maxRetries": 1, "maxDurationSeconds": 60}
    check_id = await create(
        alice, api_check(f"{http_target.base_url}/status/500", retryStrategy=retry)
    )
    session = await run(alice, check_id)
    assert session["status"] == "FAILED"
    by_type = {r["resultType"]: r["checkResultId"] for r in session["results"]}
    assert set(by_type) == {"FINAL", "ATTEMPT"}

    for version in (1, 2):
        path = f"/v{version}/check-results/{check_id}"

        def entries(response: httpx2.Response) -> list[dict[str, Any]]:
            body = response.json()
            return list(body if isinstance(body, list) else body["entries"])

        default = entries(await alice.get(path))
        assert [e["id"] for e in default] == [by_type["FINAL"]]
        attempts = entries(await alice.get(path, params={"resultType": "ATTEMPT"}))
        assert [e["id"] for e in attempts] == [by_type["ATTEMPT"]]
        both = entries(await alice.get(path, params={"resultType": "ALL"}))
        assert {e["id"] for e in both} == set(by_type.values())
        assert len({e["sequenceId"] for e in both}) == 1
        assert sorted(e["attempts"] for e in both) == [1, 2]
        bad = await alice.get(path, params={"resultType": "SOME"})
        assert bad.status_code == 400
        assert bad.json()["validation"]["keys"] == ["resultType"]


async def test_listing_results_of_an_unknown_check_is_a_404(alice: Persona) -> None:
    for path in (
        f"/v1/check-results/{uuid.uuid4()}",
        f"/v2/check-results/{uuid.uuid4()}",
        "/v1/check-results/not-a-uuid",
    ):
        response = await alice.get(path)
        assert response.status_code == 404, path
        assert response.json()["error"] == "Not Found"


# v2: cursor-based


async def test_v2_pages_through_every_result_newest_first_by_cursor(
    alice: Persona, http_target: HttpTarget
) -> None:
    check_id = await create(alice, api_check(f"{http_target.base_url}/ok"))
    finals = [final_id(await run(alice, check_id)) for _ in range(12)]

    seen: list[dict[str, Any]] = []
    lengths = []
    next_id: str | None = None
    for _ in range(10):
        params: dict[str, Any] = {"limit": 5}
        if next_id is not None:
            params["nextId"] = next_id
        response = await alice.get(f"/v2/check-results/{check_id}", params=params)
        assert response.status_code == 200, response.text
        body = response.json()
        assert set(body) == {"length", "entries", "nextId"}
        assert body["length"] == len(body["entries"])
        lengths.append(body["length"])
        seen += body["entries"]
        next_id = body["nextId"]
        if next_id is None:
            break
    assert lengths == [5, 5, 2]
    assert [e["id"] for e in seen] == list(reversed(finals))
    stamps = [e["created_at"] for e in seen]
    assert stamps == sorted(stamps, reverse=True)


async def test_v2_ends_with_a_null_cursor_on_an_exact_last_page(
    alice: Persona, http_target: HttpTarget
) -> None:
    check_id = await create(alice, api_check(f"{http_target.base_url}/ok"))
    for _ in range(2):
        await run(alice, check_id)
    body = (await alice.get(f"/v2/check-results/{check_id}", params={"limit": 2})).json()
    assert body["length"] == 2
    assert body["nextId"] is None
    larger = (await alice.get(f"/v2/check-results/{check_id}")).json()
    assert larger["length"] == 2
    assert larger["nextId"] is None


async def test_v2_projects_the_requested_fields(alice: Persona, http_target: HttpTarget) -> None:
    check_id = await create(alice, api_check(f"{http_target.base_url}/ok"))
    result_id = final_id(await run(alice, check_id))
    fields = "id,startedAt,runLocation,hasErrors,hasFailures,isDegraded,responseTime"

    response = await alice.get(f"/v2/check-results/{check_id}", params={"fields": fields})
    assert response.status_code == 200, response.text
    [entry] = response.json()["entries"]
    assert set(entry) == set(fields.split(","))
    assert entry["id"] == result_id
    assert entry["runLocation"] == "local"
    assert ISO_MS.match(entry["startedAt"])

    repeated = await alice.get(
        f"/v2/check-results/{check_id}", params=[("fields", "id"), ("fields", "createdAt")]
    )
    [entry] = repeated.json()["entries"]
    assert set(entry) == {"id", "createdAt"}
    assert ISO_MS.match(entry["createdAt"])


async def test_v2_rejects_an_unknown_field(alice: Persona, http_target: HttpTarget) -> None:
    check_id = await create(alice, api_check(f"{http_target.base_url}/ok"))
    response = await alice.get(f"/v2/check-results/{check_id}", params={"fields": "id,password"})
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "Bad Request"
    assert body["validation"] == {"source": "query", "keys": ["fields"]}
    assert '"fields"' in body["message"]


async def test_v2_rejects_a_cursor_it_did_not_issue(
    alice: Persona, http_target: HttpTarget
) -> None:
    check_id = await create(alice, api_check(f"{http_target.base_url}/ok"))
    response = await alice.get(f"/v2/check-results/{check_id}", params={"nextId": "garbage!"})
    assert response.status_code == 400
    assert response.json()["validation"]["keys"] == ["nextId"]


async def test_v2_has_no_six_hour_cap(alice: Persona, http_target: HttpTarget) -> None:
    check_id = await create(alice, api_check(f"{http_target.base_url}/ok"))
    result_id = final_id(await run(alice, check_id))
    now = int(time.time())
    response = await alice.get(
        f"/v2/check-results/{check_id}", params={"from": now - 86400, "to": now + 60}
    )
    assert response.status_code == 200
    assert [e["id"] for e in response.json()["entries"]] == [result_id]


# One result


async def test_a_result_carries_the_full_api_check_result(
    alice: Persona, http_target: HttpTarget
) -> None:
    check_id = await create(
        alice,
        api_check(
            f"{http_target.base_url}/json",
            request={
                "headers": [{"key": "X-Probe", "value": "vantage"}],
                "queryParameters": [{"key": "q", "value": "1"}],
                "assertions": [
                    {"source": "STATUS_CODE", "comparison": "EQUALS", "target": "200"},
                    {
                        "source": "JSON_BODY",
                        "comparison": "EQUALS",
                        "property": "$.status",
                        "target": "up",
                    },
                ],
            },
        ),
    )
    result_id = final_id(await run(alice, check_id))

    response = await alice.get(f"/v1/check-results/{check_id}/{result_id}")
    assert response.status_code == 200
    result = response.json()
    assert set(result) >= RESULT_KEYS
    assert result["id"] == result_id
    detail = result["apiCheckResult"]
    assert detail["requestError"] is None

    request = detail["request"]
    assert request["method"] == "GET"
    assert request["url"].startswith(f"{http_target.base_url}/json")
    assert request["headers"]["X-Probe"] == "vantage"
    assert request["params"] == {"q": "1"}
    assert request["data"] == ""

    reply = detail["response"]
    assert reply["status"] == 200
    assert reply["statusText"] == "OK"
    assert '"status": "up"' in reply["body"]
    assert reply["headers"]["content-type"].startswith("application/json")
    assert set(reply["timings"]) >= {"socket", "lookup", "connect", "response", "end"}
    assert set(reply["timingPhases"]) >= {"wait", "dns", "tcp", "firstByte", "download", "total"}
    assert reply["timingPhases"]["total"] > 0

    status, body = detail["assertions"]
    assert status["source"] == "STATUS_CODE" and status["comparison"] == "EQUALS"
    assert status["actual"] == 200 and status["passed"] is True
    assert body["source"] == "JSON_BODY" and body["property"] == "$.status"
    assert body["actual"] == "up" and body["passed"] is True


async def test_a_failed_assertion_shows_its_actual_value(
    alice: Persona, http_target: HttpTarget
) -> None:
    check_id = await create(alice, api_check(f"{http_target.base_url}/status/503"))
    session = await run(alice, check_id)
    assert session["status"] == "FAILED"
    result = (await alice.get(f"/v1/check-results/{check_id}/{final_id(session)}")).json()
    assert result["hasFailures"] is True
    [assertion] = result["apiCheckResult"]["assertions"]
    assert assertion["actual"] == 503
    assert assertion["passed"] is False


async def test_an_unreachable_target_fills_request_error(
    alice: Persona, http_target: HttpTarget
) -> None:
    check_id = await create(alice, api_check("http://127.0.0.1:9/nothing-listens-here"))
    session = await run(alice, check_id)
    assert session["status"] == "FAILED"
    result = (await alice.get(f"/v1/check-results/{check_id}/{final_id(session)}")).json()
    assert result["hasFailures"] is True
    assert isinstance(result["apiCheckResult"]["requestError"], str)
    assert result["apiCheckResult"]["requestError"]


async def test_an_unknown_result_is_a_404(alice: Persona, http_target: HttpTarget) -> None:
    check_id = await create(alice, api_check(f"{http_target.base_url}/ok"))
    other_check = await create(alice, api_check(f"{http_target.base_url}/ok"))
    result_id = final_id(await run(alice, other_check))
    for path in (
        f"/v1/check-results/{check_id}/{uuid.uuid4()}",
        f"/v1/check-results/{check_id}/not-a-uuid",
        # a real result, asked for under another check
        f"/v1/check-results/{check_id}/{result_id}",
    ):
        response = await alice.get(path)
        assert response.status_code == 404, path
        assert response.json()["error"] == "Not Found"


async def test_a_basic_auth_password_is_never_stored_in_a_result(
    vantage: Harness, alice: Persona, http_target: HttpTarget
) -> None:
    password = "hunter2-" + uuid.uuid4().hex
    encoded = base64.b64encode(f"ops:{password}".encode()).decode()
    # /headers echoes the request's headers, Authorization included, in its body
    check_id = await create(
        alice,
        api_check(
            f"{http_target.base_url}/headers",
            request={"basicAuth": {"username": "ops", "password": password}},
        ),
    )
    result_id = final_id(await run(alice, check_id))

    async with vantage.runtime.db.read() as conn:
        raw = await conn.scalar(
            sa.select(sa.cast(check_results.c.detail, sa.Text)).where(
                check_results.c.id == result_id
            )
        )
    assert raw and "authorization" in raw.lower()
    assert password not in raw
    assert encoded not in raw

    served = (await alice.get(f"/v1/check-results/{check_id}/{result_id}")).text
    assert password not in served
    assert encoded not in served


# Out-of-range values (M4): a 400 in Checkly's shape, never a 500.

OUT_OF_RANGE = [
    ("/v1/check-results/anything", {"from": 10**20}),
    ("/v1/check-results/anything", {"from": 253402300000}),
    ("/v1/check-results/anything", {"to": 10**12}),
    ("/v2/check-results/anything", {"to": 10**15}),
    ("/v2/check-results/anything", {"from": 10**20}),
]


async def test_timestamps_out_of_range_are_a_400_before_the_check_is_looked_up(
    alice: Persona,
) -> None:
    for path, params in OUT_OF_RANGE:
        response = await alice.get(path, params=params)
        assert response.status_code == 400, (path, params, response.text)
        body = response.json()
        assert body["validation"]["source"] == "query"
        assert body["validation"]["keys"] == list(params), body


async def test_a_page_past_an_int64_offset_is_a_400(alice: Persona) -> None:
    check_id = await create(alice, api_check("http://x.test/"))
    response = await alice.get(f"/v1/check-results/{check_id}", params={"page": 2**63 - 1})
    assert response.status_code == 400, response.text
    assert response.json()["validation"]["keys"] == ["page"]
    last = await alice.get(f"/v1/check-results/{check_id}", params={"page": 1_000_000})
    assert last.status_code == 200 and last.json() == []


def cursor(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


async def test_a_cursor_whose_moment_overflows_is_a_400(alice: Persona) -> None:
    check_id = await create(alice, api_check("http://x.test/"))
    for stamp in ("0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"):
        next_id = cursor(f"{stamp}|{uuid.uuid4()}")
        response = await alice.get(f"/v2/check-results/{check_id}", params={"nextId": next_id})
        assert response.status_code == 400, response.text
        assert response.json()["message"] == '"nextId" is not a valid cursor'


async def test_a_query_value_postgresql_cannot_take_is_a_400(alice: Persona) -> None:
    check_id = await create(alice, api_check("http://x.test/"))
    for version in (1, 2):
        response = await alice.get(f"/v{version}/check-results/{check_id}?location=a%00b")
        assert response.status_code == 400, response.text
        assert response.json()["message"] == '"location" must not contain a NUL character'
        assert response.json()["validation"] == {"source": "query", "keys": ["location"]}
