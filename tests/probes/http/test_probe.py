from __future__ import annotations

import base64
import json
import ssl
from typing import Any

from tests.targets.http_target import PNG_BYTES, HttpTarget
from vantage.probes.http.probe import default_timeout_s, run_api_check
from vantage.probes.masking import MASK, sensitive_names
from vantage.probes.result import ProbeResult


def api_check(url: str, **request: Any) -> dict[str, Any]:
    top = {k: request.pop(k) for k in list(request) if k in TOP_LEVEL}
    return {
        "checkType": "API",
        "degradedResponseTime": 5000,
        "maxResponseTime": 20000,
        "shouldFail": False,
        **top,
        "request": {"method": "GET", "url": url, "assertions": [], **request},
    }


TOP_LEVEL = {"checkType", "degradedResponseTime", "maxResponseTime", "shouldFail"}


def assertion(source: str, comparison: str, target: Any = "", prop: str = "") -> dict[str, Any]:
    return {"source": source, "comparison": comparison, "property": prop, "target": target}


def detail_of(result: ProbeResult) -> dict[str, Any]:
    assert result.detail_key == "apiCheckResult"
    return result.detail


async def test_a_healthy_api_passes_all_its_assertions(base_url: str) -> None:
    check = api_check(
        f"{base_url}/headers",
        assertions=[
            assertion("STATUS_CODE", "EQUALS", 200),
            assertion("JSON_BODY", "EQUALS", "close", "$.connection"),
            assertion("HEADERS", "EQUALS", "req-abc-123", "X-Request-Id"),
            assertion("TEXT_BODY", "CONTAINS", "user-agent"),
            assertion("RESPONSE_TIME", "LESS_THAN", 5000),
        ],
    )
    result = await run_api_check(check)
    assert (result.has_failures, result.is_degraded, result.network_error) == (False, False, False)
    detail = detail_of(result)
    assert [a["passed"] for a in detail["assertions"]] == [True] * 5
    assert set(detail) == {
        "assertions",
        "request",
        "response",
        "requestError",
        "jobLog",
        "jobAssets",
        "pcapDataUrl",
    }
    response = detail["response"]
    assert response["status"] == 200
    assert response["statusText"] == "OK"
    assert response["href"] == f"{base_url}/headers"
    assert response["headers"]["x-multi"] == "one, two"
    assert detail["requestError"] is None
    assert result.error is None


async def test_timings_in_the_result_are_ordered_and_match_the_response_time(
    base_url: str,
) -> None:
    result = await run_api_check(api_check(f"{base_url}/slow?ms=30"))
    response = detail_of(result)["response"]
    t = response["timings"]
    assert 0 <= t["socket"] <= t["lookup"] <= t["connect"] <= t["response"] <= t["end"]
    assert response["timingPhases"]["total"] == t["end"]
    assert abs(result.response_time_ms - t["end"]) < 0.01
    assert result.response_time_ms >= 30
    assert result.started_at <= result.stopped_at


async def test_a_failed_assertion_fails_the_check(base_url: str) -> None:
    check = api_check(
        f"{base_url}/json",
        assertions=[
            assertion("STATUS_CODE", "EQUALS", 200),
            assertion("JSON_BODY", "EQUALS", "down", "$.status"),
        ],
    )
    result = await run_api_check(check)
    assert result.has_failures is True
    assert result.network_error is False
    outcome = detail_of(result)["assertions"][1]
    assert (outcome["actual"], outcome["passed"]) == ("up", False)


async def test_without_assertions_an_error_status_fails(base_url: str) -> None:
    assert (await run_api_check(api_check(f"{base_url}/status/204"))).has_failures is False
    assert (await run_api_check(api_check(f"{base_url}/status/404"))).has_failures is True
    assert (await run_api_check(api_check(f"{base_url}/status/503"))).has_failures is True


async def test_a_slow_response_is_degraded(base_url: str) -> None:
    check = api_check(f"{base_url}/slow?ms=250", degradedResponseTime=100, maxResponseTime=5000)
    result = await run_api_check(check)
    assert (result.has_failures, result.is_degraded) == (False, True)
    assert result.over_max_response_time is False


async def test_a_response_slower_than_max_response_time_fails(base_url: str) -> None:
    check = api_check(f"{base_url}/slow?ms=250", degradedResponseTime=50, maxResponseTime=100)
    result = await run_api_check(check)
    assert (result.has_failures, result.over_max_response_time) == (True, True)
    # it still waited for the answer (timeout = max + grace), so the result shows it
    assert detail_of(result)["response"]["status"] == 200


async def test_the_default_timeout_follows_max_response_time_with_a_cap() -> None:
    assert default_timeout_s(5000) == 7.0
    assert default_timeout_s(45000) == 45.0


async def test_a_timeout_is_a_network_error_with_the_timings_so_far(base_url: str) -> None:
    result = await run_api_check(api_check(f"{base_url}/slow?ms=2000"), timeout_s=0.2)
    assert (result.has_failures, result.network_error) == (True, True)
    assert result.error == "Timeout awaiting 'response' for 200ms"
    detail = detail_of(result)
    assert detail["requestError"] == result.error
    assert detail["response"]["status"] is None
    assert detail["response"]["timings"]["connect"] is not None
    assert 190 <= result.response_time_ms < 1000


async def test_should_fail_passes_when_the_response_is_an_error(base_url: str) -> None:
    check = api_check(f"{base_url}/status/404", shouldFail=True)
    assert (await run_api_check(check)).has_failures is False
    check = api_check(f"{base_url}/ok", shouldFail=True)
    assert (await run_api_check(check)).has_failures is True


async def test_should_fail_still_fails_when_nothing_answers() -> None:
    result = await run_api_check(api_check("http://127.0.0.1:1/", shouldFail=True))
    assert (result.has_failures, result.network_error) == (True, True)


async def test_it_fails_on_refused_connection() -> None:
    check = api_check("http://127.0.0.1:1/", assertions=[assertion("STATUS_CODE", "EQUALS", 200)])
    result = await run_api_check(check)
    assert (result.has_failures, result.network_error) == (True, True)
    assert result.error == "connect ECONNREFUSED 127.0.0.1:1"
    detail = detail_of(result)
    assert detail["assertions"][0]["passed"] is False
    assert detail["response"]["timings"]["lookup"] is not None
    assert detail["response"]["timings"]["connect"] is None


async def test_it_fails_on_an_unknown_host() -> None:
    result = await run_api_check(api_check("http://nosuch.invalid/"))
    assert result.network_error is True
    assert result.error is not None and result.error.startswith("getaddrinfo ")


async def test_an_invalid_url_fails_without_counting_as_a_network_error() -> None:
    result = await run_api_check(api_check("not a url"))
    assert (result.has_failures, result.network_error) == (True, False)
    assert result.error is not None and "Invalid URL" in result.error


async def test_an_untrusted_certificate_fails_and_skip_ssl_passes(http_target: HttpTarget) -> None:
    failing = await run_api_check(api_check(f"{http_target.self_signed_url}/ok"))
    assert (failing.has_failures, failing.network_error) == (True, True)
    assert failing.error is not None and "self-signed certificate" in failing.error
    passing = await run_api_check(api_check(f"{http_target.self_signed_url}/ok", skipSSL=True))
    assert passing.has_failures is False


async def test_a_caller_supplied_ssl_context_is_used(
    http_target: HttpTarget, ca_context: ssl.SSLContext
) -> None:
    result = await run_api_check(api_check(f"{http_target.https_url}/ok"), ssl_context=ca_context)
    assert result.has_failures is False
    assert detail_of(result)["response"]["timingPhases"]["tls"] > 0


async def test_redirects_are_followed_by_default_and_not_when_disabled(base_url: str) -> None:
    followed = await run_api_check(api_check(f"{base_url}/redirect/2"))
    assert detail_of(followed)["response"]["status"] == 200
    assert detail_of(followed)["response"]["href"] == f"{base_url}/redirect/0"
    kept = await run_api_check(
        api_check(
            f"{base_url}/redirect/2",
            followRedirects=False,
            assertions=[assertion("STATUS_CODE", "EQUALS", 302)],
        )
    )
    assert kept.has_failures is False
    assert detail_of(kept)["response"]["headers"]["location"] == "/redirect/1"


async def test_the_request_is_sent_as_configured(base_url: str) -> None:
    check = api_check(
        f"{base_url}/echo",
        method="POST",
        headers=[{"key": "X-Team", "value": "sre"}],
        queryParameters=[{"key": "region", "value": "eu"}],
        body='{"a":1}',
        bodyType="JSON",
        assertions=[
            assertion("JSON_BODY", "EQUALS", "POST", "$.method"),
            assertion("JSON_BODY", "EQUALS", "application/json", "$.contentType"),
            assertion("JSON_BODY", "EQUALS", "eu", "$.query.region"),
            assertion("JSON_BODY", "EQUALS", "sre", "$.headers.x-team"),
            assertion("JSON_BODY", "EQUALS", '{"a":1}', "$.body"),
        ],
    )
    result = await run_api_check(check)
    assert [a["passed"] for a in detail_of(result)["assertions"]] == [True] * 5
    request = detail_of(result)["request"]
    assert request == {
        "method": "POST",
        "url": f"{base_url}/echo",
        "data": '{"a":1}',
        "headers": {"X-Team": "sre", "Content-Type": "application/json"},
        "params": {"region": "eu"},
    }


async def test_body_types_set_the_content_type_unless_the_user_did(base_url: str) -> None:
    async def content_type(body_type: str, headers: list[dict[str, str]]) -> str:
        check = api_check(
            f"{base_url}/echo", method="POST", body="a=1", bodyType=body_type, headers=headers
        )
        body = json.loads(detail_of(await run_api_check(check))["response"]["body"])
        return str(body["contentType"])

    assert await content_type("FORM", []) == "application/x-www-form-urlencoded"
    assert await content_type("GRAPHQL", []) == "application/json"
    assert await content_type("RAW", []) == "text/plain"
    custom = [{"key": "content-type", "value": "application/vnd.api+json"}]
    assert await content_type("JSON", custom) == "application/vnd.api+json"


async def test_url_checks_only_get_and_only_check_the_status(base_url: str) -> None:
    check = {
        "checkType": "URL",
        "request": {
            "url": f"{base_url}/echo",
            "method": "POST",
            "assertions": [
                assertion("STATUS_CODE", "EQUALS", 200),
                assertion("TEXT_BODY", "CONTAINS", "never there"),
            ],
        },
    }
    result = await run_api_check(check)
    assert result.check_type == "URL"
    assert result.has_failures is False
    detail = detail_of(result)
    assert [a["source"] for a in detail["assertions"]] == ["STATUS_CODE"]
    assert json.loads(detail["response"]["body"])["method"] == "GET"


async def test_secrets_never_reach_the_result(base_url: str) -> None:
    check = api_check(
        f"{base_url}/echo",
        basicAuth={"username": "alice", "password": "hunter2-secret"},
        headers=[{"key": "X-Api-Key", "value": "plain"}],
        assertions=[assertion("JSON_BODY", "EQUALS", "alice", "$.auth.username")],
    )
    result = await run_api_check(check)
    assert result.has_failures is False  # the password was sent...
    detail = detail_of(result)
    assert detail["request"]["headers"]["Authorization"] == MASK
    dumped = json.dumps(detail)
    assert "hunter2-secret" not in dumped  # ...but is nowhere in what is stored
    token = base64.b64encode(b"alice:hunter2-secret").decode()
    assert token not in dumped
    assert json.loads(detail["response"]["body"])["auth"]["password"] == MASK


async def test_authorization_headers_and_url_credentials_are_masked(
    base_url: str, http_target: HttpTarget
) -> None:
    check = api_check(
        f"http://bob:pa55word-x@127.0.0.1:{http_target.port}/echo",
        headers=[{"key": "Authorization", "value": "Bearer tok-123456"}],
    )
    result = await run_api_check(check)
    dumped = json.dumps(detail_of(result))
    assert "tok-123456" not in dumped
    assert "pa55word-x" not in dumped
    assert detail_of(result)["request"]["headers"]["Authorization"] == MASK
    assert detail_of(result)["request"]["url"] == f"{base_url}/echo"


async def test_a_big_body_is_capped_and_marked_truncated(base_url: str) -> None:
    result = await run_api_check(api_check(f"{base_url}/big?size=1600000"))
    response = detail_of(result)["response"]
    assert response["truncated"] is True
    assert len(response["body"]) == 1024 * 1024


async def test_images_are_stored_as_base64(base_url: str) -> None:
    response = detail_of(await run_api_check(api_check(f"{base_url}/image")))["response"]
    assert response["bodyEncoding"] == "base64"
    assert base64.b64decode(response["body"]) == PNG_BYTES


async def test_json_assertions_on_a_non_json_body_fail_with_a_note(base_url: str) -> None:
    check = api_check(
        f"{base_url}/not-json", assertions=[assertion("JSON_BODY", "NOT_NULL", "", "$.a")]
    )
    result = await run_api_check(check)
    assert result.has_failures is True
    assert detail_of(result)["assertions"][0]["error"] == "Response body is not valid JSON"


async def test_it_checks_over_ipv6(ipv6_url: str) -> None:
    result = await run_api_check(api_check(f"{ipv6_url}/ok", ipFamily="IPv6"))
    assert result.has_failures is False


async def test_api_keys_cookies_and_query_tokens_are_masked(base_url: str) -> None:
    check = api_check(
        f"{base_url}/set-cookie?token=url-tok-9&sid=given-sess-7",
        headers=[
            {"key": "X-Api-Key", "value": "B-PLAIN-SECRET"},
            {"key": "Cookie", "value": "session=B-COOKIE"},
            {"key": "Accept", "value": "application/json"},
        ],
        queryParameters=[{"key": "access_token", "value": "B-QUERY-SECRET"}],
        assertions=[
            assertion("JSON_BODY", "EQUALS", "B-QUERY-SECRET", "$.query.access_token"),
            # the check sees the real response: it may assert on the cookie it is given
            assertion("HEADERS", "CONTAINS", "given-sess-7", "Set-Cookie"),
        ],
    )
    result = await run_api_check(check)
    detail = detail_of(result)
    assert [a["passed"] for a in detail["assertions"]] == [True, True]
    dumped = json.dumps(detail)
    for secret in ("B-PLAIN-SECRET", "B-COOKIE", "B-QUERY-SECRET", "url-tok-9", "given-sess-7"):
        assert secret not in dumped, secret
    request = detail["request"]
    assert request["headers"]["X-Api-Key"] == MASK
    assert request["headers"]["Cookie"] == MASK
    assert request["headers"]["Accept"] == "application/json"
    assert request["params"] == {"access_token": MASK}
    assert f"token={MASK}" in request["url"]
    echoed = json.loads(detail["response"]["body"])
    assert echoed["query"]["access_token"] == MASK
    assert echoed["headers"]["x-api-key"] == MASK
    assert detail["response"]["headers"]["set-cookie"] == MASK


async def test_more_sensitive_names_can_be_configured(base_url: str) -> None:
    check = api_check(
        f"{base_url}/echo?tenant=acme-corp",
        headers=[{"key": "X-Tenant-Id", "value": "tenant-4711"}],
    )
    plain = detail_of(await run_api_check(check))
    assert "tenant-4711" in json.dumps(plain)

    masked = detail_of(await run_api_check(check, sensitive=sensitive_names("x-tenant-*,tenant")))
    dumped = json.dumps(masked)
    assert "tenant-4711" not in dumped and "acme-corp" not in dumped
    assert masked["request"]["headers"]["X-Tenant-Id"] == MASK
