"""Sensitive names (pure): which headers and query parameters count as secret, and how a stored
API result is masked."""

from __future__ import annotations

import json
from typing import Any

from vantage.probes.masking import (
    MASK,
    Scrubber,
    mask_api_detail,
    mask_query,
    sensitive_names,
)

DEFAULTS = sensitive_names()


def test_the_defaults_cover_credentials_in_headers_and_query_strings() -> None:
    for name in (
        "Authorization", "proxy-authorization", "Cookie", "Set-Cookie", "X-Api-Key",
        "X-Auth-Token", "access_token", "TOKEN", "client_secret", "X-Secret", "password",
        "api_key", "apikey", "X-API-KEY",
    ):  # fmt: skip
        assert name in DEFAULTS, name
    for name in ("Accept", "Content-Type", "page", "X-Request-Id", "user"):
        assert name not in DEFAULTS, name


def test_configured_names_are_added_to_the_defaults() -> None:
    names = sensitive_names(" X-Tenant-* , session ,")
    assert "x-tenant-id" in names and "SESSION" in names
    assert "Authorization" in names  # a setting never unmasks a default
    assert "sessions" not in names  # a name without a glob matches exactly


def test_a_sensitive_query_parameter_is_masked_in_place() -> None:
    scrubber = Scrubber()
    url = "https://api.test/v1?page=2&access_token=abc%2Bdef&Token=&q=x#top"
    masked = mask_query(url, DEFAULTS, scrubber)
    assert masked == f"https://api.test/v1?page=2&access_token={MASK}&Token={MASK}&q=x#top"
    # both spellings of the value are scrubbed wherever else they appear
    assert scrubber.scrub("abc%2Bdef and abc+def") == f"{MASK} and {MASK}"


def detail(**response: Any) -> dict[str, Any]:
    return {
        "assertions": [{"source": "HEADERS", "property": "set-cookie", "actual": "sid=s3ss10n"}],
        "request": {
            "method": "GET",
            "url": "http://t.test/echo?token=q-secret-1&page=1",
            "data": "",
            "headers": {"X-Api-Key": "k-secret-1", "Cookie": "a=c-secret-1; b=2", "Accept": "*/*"},
            "params": {"client_secret": "p-secret-1", "page": "1"},
        },
        "response": {
            "status": 200,
            "body": "k-secret-1 c-secret-1 p-secret-1 q-secret-1 s3ss10n",
            "headers": {"set-cookie": "sid=s3ss10n; Path=/", "x-echo": "k-secret-1"},
            "href": "http://t.test/echo?token=q-secret-1&page=1",
            **response,
        },
        "requestError": None,
    }


def test_a_result_is_masked_by_name_and_every_echo_is_scrubbed() -> None:
    masked = mask_api_detail(detail(), DEFAULTS)
    dumped = json.dumps(masked)
    for secret in ("k-secret-1", "c-secret-1", "p-secret-1", "q-secret-1", "s3ss10n"):
        assert secret not in dumped, secret
    request, response = masked["request"], masked["response"]
    assert request["headers"] == {"X-Api-Key": MASK, "Cookie": MASK, "Accept": "*/*"}
    assert request["params"] == {"client_secret": MASK, "page": "1"}
    assert request["url"] == f"http://t.test/echo?token={MASK}&page=1"
    assert response["headers"] == {"set-cookie": MASK, "x-echo": MASK}
    assert response["body"] == " ".join([MASK] * 5)
    assert masked["assertions"][0]["actual"] == f"sid={MASK}"


def test_masking_what_is_already_masked_changes_nothing() -> None:
    once = mask_api_detail(detail(), DEFAULTS)
    assert mask_api_detail(once, DEFAULTS) == once


def test_a_result_without_request_or_response_is_left_as_it_is() -> None:
    crashed = {"requestError": "internal error: ValueError"}
    assert mask_api_detail(crashed, DEFAULTS) == crashed
