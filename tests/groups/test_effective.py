"""The pure "apply group settings" function: what a group changes of its checks, case by case."""

from __future__ import annotations

from typing import Any

import pytest

from vantage.checks.service import validate as validate_check
from vantage.groups.effective import (
    effective_config,
    effective_url,
    is_runnable,
    join_base_url,
    matching_tags,
)
from vantage.groups.service import validate as validate_group

FIXED = {
    "type": "FIXED",
    "baseBackoffSeconds": 5,
    "maxRetries": 1,
    "maxDurationSeconds": 60,
    "sameRegion": True,
    "onlyOn": None,
}
LINEAR = {**FIXED, "type": "LINEAR", "maxRetries": 3}


def check(**fields: Any) -> dict[str, Any]:
    request = {"method": "GET", "url": "https://own.test/x", **fields.pop("request", {})}
    return validate_check("API", {"name": "c", "request": request, **fields})


def group(**fields: Any) -> dict[str, Any]:
    return validate_group({"name": "g", "activated": True, **fields})


def test_a_check_without_a_group_is_unchanged_and_copied() -> None:
    config = check(locations=["a"])
    out = effective_config("API", config, None)
    assert out == config
    assert out is not config


@pytest.mark.parametrize(
    ("check_fields", "group_fields", "expected"),
    [
        # locations: the group's when it has any, else the check's own
        ({"locations": ["a"]}, {}, {"locations": ["a"], "privateLocations": None}),
        ({"locations": ["a"]}, {"locations": ["b", "c"]}, {"locations": ["b", "c"]}),
        (
            {"locations": ["a"], "privateLocations": ["p1"]},
            {"privateLocations": ["p2"]},
            {"locations": [], "privateLocations": ["p2"]},
        ),
        (
            {"locations": ["a"], "privateLocations": ["p1"]},
            {"locations": ["b"]},
            {"locations": ["b"], "privateLocations": None},
        ),
        # retryStrategy: FALLBACK keeps the check's own; an object or null replaces it
        ({"retryStrategy": LINEAR}, {}, {"retryStrategy": LINEAR}),
        ({"retryStrategy": LINEAR}, {"retryStrategy": "FALLBACK"}, {"retryStrategy": LINEAR}),
        ({}, {"retryStrategy": "FALLBACK"}, {"retryStrategy": None}),
        ({"retryStrategy": LINEAR}, {"retryStrategy": FIXED}, {"retryStrategy": FIXED}),
        ({}, {"retryStrategy": FIXED}, {"retryStrategy": FIXED}),
        ({"retryStrategy": LINEAR}, {"retryStrategy": None}, {"retryStrategy": None}),
        # runParallel: the group's
        ({"runParallel": True}, {}, {"runParallel": False}),
        ({"runParallel": False}, {"runParallel": True}, {"runParallel": True}),
        # activated: both must be
        ({"activated": True}, {"activated": False}, {"activated": False}),
        ({"activated": False}, {"activated": True}, {"activated": False}),
        ({"activated": True}, {"activated": True}, {"activated": True}),
        # muted: a muted group mutes its checks
        ({"muted": False}, {"muted": True}, {"muted": True}),
        ({"muted": True}, {"muted": False}, {"muted": True}),
        # what the group does not decide stays the check's own
        (
            {"frequency": 5, "tags": ["own"], "alertSettings": {"escalationType": "TIME_BASED"}},
            {"tags": ["grp"], "useGlobalAlertSettings": False, "runtimeId": "2025.04"},
            {
                "frequency": 5,
                "tags": ["own"],
                "useGlobalAlertSettings": True,
                "runtimeId": None,
            },
        ),
    ],
)
def test_group_settings_override_the_checks_as_checkly_documents(
    check_fields: dict[str, Any], group_fields: dict[str, Any], expected: dict[str, Any]
) -> None:
    out = effective_config("API", check(**check_fields), group(**group_fields))
    for field, value in expected.items():
        assert out[field] == value, field


@pytest.mark.parametrize(
    ("base", "url", "expected"),
    [
        ("https://api.test", "{{GROUP_BASE_URL}}/users", "https://api.test/users"),
        ("https://api.test/", "{{GROUP_BASE_URL}}/users", "https://api.test/users"),
        ("https://api.test/v1", "{{GROUP_BASE_URL}}", "https://api.test/v1"),
        ("https://api.test/v1", "{{GROUP_BASE_URL}}?q=1", "https://api.test/v1?q=1"),
        ("https://api.test/v1", "/users", "https://api.test/v1/users"),
        ("https://api.test/v1/", "/users", "https://api.test/v1/users"),
        ("https://api.test", "https://other.test/x", "https://other.test/x"),
        ("", "/users", "/users"),
        ("", "{{GROUP_BASE_URL}}/users", "{{GROUP_BASE_URL}}/users"),
        (
            "https://api.test",
            "https://proxy.test/?to={{GROUP_BASE_URL}}/a",
            "https://proxy.test/?to=https://api.test/a",
        ),
    ],
)
def test_the_group_base_url_prefixes_relative_and_placeholder_urls(
    base: str, url: str, expected: str
) -> None:
    assert effective_url(url, base) == expected


@pytest.mark.parametrize(
    ("base", "path", "expected"),
    [("a/", "/b", "a/b"), ("a", "/b", "a/b"), ("a", "", "a"), ("", "/b", "/b"), ("a", "b", "ab")],
)
def test_joining_keeps_one_slash(base: str, path: str, expected: str) -> None:
    assert join_base_url(base, path) == expected


def kv(key: str, value: str) -> dict[str, Any]:
    return {"key": key, "value": value, "locked": False}


def test_api_defaults_add_headers_and_query_parameters_with_the_checks_own_winning() -> None:
    own = check(
        request={
            "url": "/orders",
            "headers": [kv("x-team", "own"), kv("Accept", "text/plain")],
            "queryParameters": [kv("page", "2")],
        }
    )
    grp = group(
        apiCheckDefaults={
            "url": "https://api.test",
            "headers": [kv("X-Team", "group"), kv("X-Group", "yes")],
            "queryParameters": [kv("page", "1"), kv("Page", "case-sensitive"), kv("lang", "en")],
        }
    )
    request = effective_config("API", own, grp)["request"]
    assert request["url"] == "https://api.test/orders"
    assert request["headers"] == [
        kv("X-Group", "yes"),
        kv("x-team", "own"),
        kv("Accept", "text/plain"),
    ]
    assert request["queryParameters"] == [
        kv("Page", "case-sensitive"),
        kv("lang", "en"),
        kv("page", "2"),
    ]
    assert own["request"]["headers"] == [kv("x-team", "own"), kv("Accept", "text/plain")]


def test_api_defaults_append_the_groups_assertions() -> None:
    status = {"source": "STATUS_CODE", "comparison": "EQUALS", "target": "200"}
    fast = {"source": "RESPONSE_TIME", "comparison": "LESS_THAN", "target": "500"}
    own = check(request={"assertions": [status]})
    request = effective_config("API", own, group(apiCheckDefaults={"assertions": [fast]}))[
        "request"
    ]
    assert [(a["source"], a["target"]) for a in request["assertions"]] == [
        ("STATUS_CODE", "200"),
        ("RESPONSE_TIME", "500"),
    ]


@pytest.mark.parametrize(
    ("own_auth", "group_auth", "expected"),
    [
        (None, {"username": "g", "password": "gp"}, {"username": "g", "password": "gp"}),
        (
            {"username": "c", "password": "cp"},
            {"username": "g", "password": "gp"},
            {"username": "c", "password": "cp"},
        ),
        (None, {"username": "", "password": ""}, None),
        (None, None, None),
        (
            {"username": "", "password": ""},
            {"username": "g", "password": "gp"},
            {
                "username": "g",
                "password": "gp",
            },
        ),
    ],
)
def test_the_groups_basic_auth_is_used_when_the_check_has_none(
    own_auth: dict[str, str] | None, group_auth: dict[str, str] | None, expected: Any
) -> None:
    own = check(request={"basicAuth": own_auth})
    request = effective_config("API", own, group(apiCheckDefaults={"basicAuth": group_auth}))[
        "request"
    ]
    assert request["basicAuth"] == expected


def test_api_defaults_do_not_touch_other_check_types() -> None:
    tcp = validate_check("TCP", {"name": "t", "request": {"hostname": "db.test", "port": 5432}})
    out = effective_config(
        "TCP", tcp, group(apiCheckDefaults={"url": "https://x.test"}, locations=["b"])
    )
    assert out["request"] == tcp["request"]
    assert out["locations"] == ["b"]


@pytest.mark.parametrize(
    ("check_active", "grp", "expected"),
    [
        (True, None, True),
        (False, None, False),
        (True, {"activated": True}, True),
        (True, {"activated": False}, False),
        (False, {"activated": True}, False),
    ],
)
def test_a_check_runs_only_when_it_and_its_group_are_activated(
    check_active: bool, grp: dict[str, Any] | None, expected: bool
) -> None:
    assert is_runnable({"activated": check_active}, grp) is expected


@pytest.mark.parametrize(
    ("tags", "grp", "expected"),
    [
        (["a"], None, ["a"]),
        (["a"], {"tags": ["b", "a"]}, ["a", "b"]),
        ([], {"tags": ["g"]}, ["g"]),
        (["a"], {"tags": []}, ["a"]),
    ],
)
def test_trigger_tags_are_the_checks_and_its_groups(
    tags: list[str], grp: dict[str, Any] | None, expected: list[str]
) -> None:
    assert matching_tags(tags, grp) == expected
