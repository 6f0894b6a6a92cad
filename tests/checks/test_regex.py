"""Assertion regexes are checked when a check or group is saved: a pattern the probes could not
run (too long, not RE2, backreferences, lookaround) is a 400 naming the field, not an assertion
error found at run time."""

from __future__ import annotations

from typing import Any

import pytest

from tests.checks.test_validation import assert_bad_request
from tests.support.checks import api_check
from tests.support.harness import Harness, Persona
from tests.support.sessions import create, run
from tests.targets.http_target import HttpTarget
from vantage.db.tables import checks

URL = "https://example.test/health"


def with_regex(pattern: str, source: str = "TEXT_BODY") -> dict[str, Any]:
    return {"source": source, "comparison": "EQUALS", "target": "x", "regex": pattern}


async def test_a_catastrophic_pattern_for_backtracking_engines_is_accepted(
    alice: Persona,
) -> None:
    # RE2 runs it in linear time: refusing it would only hide the fix
    response = await alice.post(
        "/v1/checks/api", json=api_check(URL, request={"assertions": [with_regex("(a+)+$")]})
    )
    assert response.status_code == 201, response.text
    assert response.json()["request"]["assertions"][0]["regex"] == "(a+)+$"


@pytest.mark.parametrize(
    ("pattern", "reason"),
    [
        pytest.param("x" * 1001, "length must be less than or equal to 1000", id="1001 chars"),
        pytest.param(r"(a)\1", r"uses a backreference (\1)", id="a backreference"),
        pytest.param("a(?=b)", "uses lookahead (?=...)", id="lookahead"),
        pytest.param("(?<!a)b", "uses negative lookbehind (?<!...)", id="lookbehind"),
        pytest.param("(unclosed", "is not a valid RE2 regular expression", id="a syntax error"),
        pytest.param(r"\pL{150}", "compiles to more than", id="a huge program"),
    ],
)
async def test_an_api_check_with_a_regex_the_probe_cannot_run_is_400(
    alice: Persona, pattern: str, reason: str
) -> None:
    payload = api_check(URL, request={"assertions": [with_regex("ok"), with_regex(pattern)]})
    response = await alice.post("/v1/checks/api", json=payload)
    assert_bad_request(response, "request.assertions[1].regex")
    assert f'"request.assertions[1].regex" {reason}' in response.json()["message"]
    assert (await alice.get("/v1/checks")).json() == []


async def test_a_tcp_check_with_a_backreference_is_400(alice: Persona) -> None:
    payload = {
        "name": "smtp",
        "request": {
            "hostname": "mail.example.test",
            "port": 25,
            "assertions": [with_regex(r"(\d)\1", "RESPONSE_DATA")],
        },
    }
    assert_bad_request(
        await alice.post("/v1/checks/tcp", json=payload), "request.assertions[0].regex"
    )


async def test_a_dns_check_with_lookahead_is_400(alice: Persona) -> None:
    payload = {
        "name": "mx",
        "request": {
            "query": "example.test",
            "recordType": "MX",
            "assertions": [with_regex("mail(?=\\.)", "TEXT_ANSWER")],
        },
    }
    assert_bad_request(
        await alice.post("/v1/checks/dns", json=payload), "request.assertions[0].regex"
    )


async def test_a_group_with_a_regex_too_long_in_its_api_defaults_is_400(alice: Persona) -> None:
    payload = {
        "name": "group",
        "activated": True,
        "apiCheckDefaults": {"assertions": [with_regex("a" * 1001)]},
    }
    assert_bad_request(
        await alice.post("/v1/check-groups", json=payload), "apiCheckDefaults.assertions[0].regex"
    )


async def test_a_stored_regex_that_re2_refuses_fails_its_assertion_at_run_time(
    vantage: Harness, alice: Persona, http_target: HttpTarget
) -> None:
    check_id = await create(
        alice,
        api_check(
            f"{http_target.base_url}/text",
            request={"assertions": [with_regex("healthy")]},
        ),
    )
    # as saved before patterns were checked: written straight into the stored config
    stored = (await alice.get(f"/v1/checks/{check_id}")).json()
    config = {k: v for k, v in stored.items() if k not in ("id", "created_at", "updated_at")}
    config["request"]["assertions"][0]["regex"] = r"(\w+)\s\1"
    async with vantage.runtime.db.write() as conn:
        await conn.execute(checks.update().where(checks.c.id == check_id).values(config=config))

    done = await run(alice, check_id)
    assert done["status"] == "FAILED", done
    result = await alice.get(f"/v1/check-results/{check_id}/{done['results'][0]['checkResultId']}")
    [outcome] = result.json()["apiCheckResult"]["assertions"]
    assert outcome["passed"] is False
    assert outcome["actual"] is None
    assert outcome["error"] == (
        r"Invalid regex '(\\w+)\\s\\1': uses a backreference (\1), which RE2 does not support"
    )
