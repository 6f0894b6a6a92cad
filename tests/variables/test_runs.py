"""A real run renders `{{VAR}}` with the check's, the group's and the account's variables, and no
secret value ends up in a result, an answer or a log line."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.support.checks import api_check
from tests.support.harness import Persona
from tests.support.sessions import create, run
from tests.targets.http_target import HttpTarget

SECRET = "hunter22-very-secret"
HEADER_SECRET = "in-a-header-only-42"


def assertion(path: str, target: str) -> dict[str, Any]:
    return {"source": "JSON_BODY", "property": path, "comparison": "EQUALS", "target": target}


async def test_a_run_renders_every_field_with_checklys_precedence(
    alice: Persona, http_target: HttpTarget, capsys: pytest.CaptureFixture[str]
) -> None:
    await alice.post("/v1/variables", json={"key": "WHO", "value": "account"})
    await alice.post("/v1/variables", json={"key": "LEVEL", "value": "account"})
    await alice.post("/v1/variables", json={"key": "PASSWORD", "value": SECRET, "secret": True})
    await alice.post(
        "/v1/variables", json={"key": "HEADER", "value": HEADER_SECRET, "secret": True}
    )
    group = await alice.post(
        "/v1/check-groups",
        json={"name": "g", "environmentVariables": [{"key": "LEVEL", "value": "group"}]},
    )
    payload = api_check(
        f"{http_target.base_url}/echo?path={{{{LEVEL}}}}",
        groupId=group.json()["id"],
        environmentVariables=[{"key": "WHO", "value": "check"}],
        request={
            "method": "POST",
            "body": '{"who": "{{WHO}}", "where": "{{REGION}}"}',
            "bodyType": "JSON",
            # A header no masking rule knows by name: only the secret's own scrubbing hides it.
            "headers": [
                {"key": "X-Level", "value": "{{LEVEL}}"},
                {"key": "X-Plain", "value": "{{{HEADER}}}"},
            ],
            "queryParameters": [{"key": "who", "value": "{{WHO}}"}],
            "basicAuth": {"username": "{{WHO}}", "password": "{{PASSWORD}}"},
            "assertions": [
                assertion("$.query.path", "group"),
                assertion("$.query.who", "check"),
                {
                    "source": "JSON_BODY",
                    "property": "$.headers.x-plain",
                    "comparison": "CONTAINS",
                    "target": HEADER_SECRET[3:],
                },
                assertion("$.headers.x-level", "group"),
                assertion("$.auth.username", "check"),
                # Part of the secret only: the check's own text must not hold the secret either.
                {
                    "source": "JSON_BODY",
                    "property": "$.auth.password",
                    "comparison": "CONTAINS",
                    "target": SECRET[3:],
                },
                assertion("$.body", '{"who": "check", "where": "local"}'),
            ],
        },
    )
    check_id = await create(alice, payload)

    session = await run(alice, check_id)

    assert session["status"] == "PASSED", json.dumps(session)
    [result] = (await alice.get(f"/v1/check-results/{check_id}")).json()
    full = await alice.get(f"/v1/check-results/{check_id}/{result['id']}")
    assert full.json()["apiCheckResult"]["assertions"], full.text
    for answer in (
        json.dumps(session),
        full.text,
        (await alice.get(f"/v1/checks/{check_id}")).text,
    ):
        assert SECRET not in answer and HEADER_SECRET not in answer
    logged = capsys.readouterr().out
    assert SECRET not in logged and HEADER_SECRET not in logged
