from __future__ import annotations

import json
from typing import Any

import pytest

from tests.targets.http_target import JSON_DOC
from vantage.probes.http.assertions import ResponseFacts, evaluate_assertions, evaluate_one


def facts(
    *,
    status: int = 200,
    headers: dict[str, str] | None = None,
    body: str | None = None,
    ms: float = 123.4,
) -> ResponseFacts:
    return ResponseFacts(
        status=status,
        headers=headers if headers is not None else {"content-type": "application/json"},
        body_text=json.dumps(JSON_DOC) if body is None else body,
        response_time_ms=ms,
    )


def check(
    source: str,
    comparison: str,
    target: Any = "",
    prop: str = "",
    regex: str | None = None,
    f: ResponseFacts | None = None,
) -> dict[str, Any]:
    assertion = {
        "source": source,
        "comparison": comparison,
        "property": prop,
        "target": target,
        "regex": regex,
    }
    return evaluate_one(assertion, 0, f or facts())


def test_each_outcome_echoes_the_configured_assertion_in_checklys_shape() -> None:
    outcomes = evaluate_assertions(
        [
            {"source": "STATUS_CODE", "comparison": "EQUALS", "property": "", "target": 200},
            {"source": "JSON_BODY", "comparison": "EQUALS", "property": "$.status", "target": "up"},
        ],
        facts(),
    )
    assert outcomes[0] == {
        "order": 0,
        "source": "STATUS_CODE",
        "property": "",
        "comparison": "EQUALS",
        "target": 200,
        "regex": None,
        "actual": 200,
        "passed": True,
    }
    assert outcomes[1]["order"] == 1
    assert outcomes[1]["actual"] == "up"


@pytest.mark.parametrize(
    ("comparison", "target", "passed"),
    [
        ("EQUALS", "200", True),
        ("EQUALS", 201, False),
        ("NOT_EQUALS", "500", True),
        ("GREATER_THAN", "199", True),
        ("GREATER_THAN", "200", False),
        ("LESS_THAN", "300", True),
        ("LESS_THAN", "200", False),
    ],
)
def test_status_code_assertions_compare_the_status(
    comparison: str, target: Any, passed: bool
) -> None:
    assert check("STATUS_CODE", comparison, target)["passed"] is passed


@pytest.mark.parametrize(
    ("comparison", "prop", "target", "passed"),
    [
        ("EQUALS", "$.status", "up", True),
        ("NOT_EQUALS", "$.status", "down", True),
        ("HAS_KEY", "$.meta", "version", True),
        ("NOT_HAS_KEY", "$.meta", "missing", True),
        ("HAS_VALUE", "$.meta.nested", "inner", True),
        ("NOT_HAS_VALUE", "$.meta.nested", "outer", True),
        ("IS_EMPTY", "$.empty", "", True),
        ("NOT_EMPTY", "$.items", "", True),
        ("GREATER_THAN", "$.count", "2", True),
        ("LESS_THAN", "$.ratio", "1", True),
        ("CONTAINS", "$.name", "ant", True),
        ("NOT_CONTAINS", "$.name", "xyz", True),
        ("IS_NULL", "$.nothing", "", True),
        ("NOT_NULL", "$.status", "", True),
        ("EQUALS", "$.items.length", "3", True),
        ("EQUALS", "$.active", "true", True),
        ("IS_NULL", "$.does.not.exist", "", True),
        ("EQUALS", "$.status", "down", False),
    ],
)
def test_json_body_assertions_cover_every_comparison(
    comparison: str, prop: str, target: str, passed: bool
) -> None:
    assert check("JSON_BODY", comparison, target, prop)["passed"] is passed


def test_a_json_path_with_several_matches_compares_the_list() -> None:
    outcome = check("JSON_BODY", "CONTAINS", "2", "$.items[*].id")
    assert outcome["actual"] == [1, 2, 3]
    assert outcome["passed"] is True
    assert check("JSON_BODY", "CONTAINS", "7", "$.items[*].id")["passed"] is False


def test_a_body_that_is_not_json_fails_json_assertions_with_a_note() -> None:
    outcome = check("JSON_BODY", "NOT_NULL", "", "$.status", f=facts(body="<html>"))
    assert outcome["passed"] is False
    assert outcome["error"] == "Response body is not valid JSON"


def test_an_invalid_json_path_fails_with_a_note() -> None:
    outcome = check("JSON_BODY", "NOT_NULL", "", "$.items[")
    assert outcome["passed"] is False
    assert "Invalid JSONPath" in outcome["error"]


def test_header_names_are_case_insensitive() -> None:
    f = facts(headers={"x-request-id": "req-abc-123"})
    assert check("HEADERS", "EQUALS", "req-abc-123", "X-Request-ID", f=f)["passed"] is True
    assert check("HEADERS", "IS_NULL", "", "X-Missing", f=f)["passed"] is True


def test_a_header_regex_capture_group_extracts_the_compared_part() -> None:
    f = facts(headers={"cache-control": "public, max-age=60"})
    outcome = check("HEADERS", "GREATER_THAN", "30", "cache-control", r"max-age=(\d+)", f=f)
    assert outcome["actual"] == "60"
    assert outcome["passed"] is True


def test_header_key_assertions_look_at_all_names() -> None:
    f = facts(headers={"x-request-id": "1"})
    assert check("HEADERS", "HAS_KEY", "X-Request-Id", f=f)["passed"] is True
    assert check("HEADERS", "NOT_HAS_KEY", "x-other", f=f)["passed"] is True


def test_text_body_assertions_search_the_body_with_an_optional_regex() -> None:
    f = facts(body="service status: healthy (build 4711)")
    assert check("TEXT_BODY", "CONTAINS", "healthy", f=f)["passed"] is True
    assert check("TEXT_BODY", "NOT_CONTAINS", "degraded", f=f)["passed"] is True
    built = check("TEXT_BODY", "EQUALS", "4711", regex=r"build (\d+)", f=f)
    assert built["actual"] == "4711"
    assert built["passed"] is True
    assert check("TEXT_BODY", "IS_NULL", regex=r"version (\d+)", f=f)["passed"] is True


def test_an_invalid_regex_fails_with_a_note() -> None:
    outcome = check("TEXT_BODY", "NOT_NULL", regex="(unclosed")
    assert outcome["passed"] is False
    assert "Invalid regex" in outcome["error"]


def test_response_time_assertions_compare_milliseconds() -> None:
    f = facts(ms=250.0)
    assert check("RESPONSE_TIME", "LESS_THAN", "300", f=f)["passed"] is True
    assert check("RESPONSE_TIME", "GREATER_THAN", 300, f=f)["passed"] is False


def test_unknown_sources_and_comparisons_fail_instead_of_raising() -> None:
    assert check("NOPE", "EQUALS", "1")["error"] == "Unknown assertion source 'NOPE'"
    assert "unknown comparison" in check("STATUS_CODE", "ROUGHLY", "200")["error"]


def test_a_catastrophic_regex_gives_its_verdict_at_once() -> None:
    # `(a+)+$` backtracked for hours in Python's re on this body (issue 8, H2)
    outcome = check("TEXT_BODY", "EQUALS", "x", regex="(a+)+$", f=facts(body="a" * 40 + "!"))
    assert (outcome["actual"], outcome["passed"]) == (None, False)
    # a verdict (no match), not a regex error
    assert outcome["error"] == "Expected text body regex (a+)+$ equals x, received null."


def test_a_backreference_is_an_assertion_error_that_says_re2_lacks_it() -> None:
    outcome = check("TEXT_BODY", "NOT_NULL", regex=r"(\w+) \1", f=facts(body="hello hello"))
    assert outcome["passed"] is False
    assert outcome["error"] == (
        r"Invalid regex '(\\w+) \\1': uses a backreference (\1), which RE2 does not support"
    )


def test_a_json_body_regex_searches_the_compact_json_of_the_match() -> None:
    outcome = check("JSON_BODY", "EQUALS", "alpha", prop="$.items[0]", regex=r'"name":"(\w+)"')
    assert (outcome["actual"], outcome["passed"]) == ("alpha", True)
