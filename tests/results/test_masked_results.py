"""What a stored result shows of a check's credentials: nothing. A real check runs against the
loopback target with an API key header, a cookie and query tokens, and the result read back
through the API (and the row in the database) has them masked, echoes included."""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa

from tests.support.checks import api_check
from tests.support.harness import Harness, Persona, running_vantage, settings_for
from tests.support.sessions import create, run
from tests.targets.http_target import HttpTarget
from vantage.db.tables import check_results
from vantage.probes.masking import MASK

SECRETS = ("B-PLAIN-SECRET", "B-COOKIE", "B-QUERY-SECRET", "B-URL-TOKEN")


def leaky_check(target: HttpTarget, **request: Any) -> dict[str, Any]:
    return api_check(
        f"{target.base_url}/echo?token=B-URL-TOKEN&page=1",
        request={
            "headers": [
                {"key": "X-Api-Key", "value": "B-PLAIN-SECRET"},
                {"key": "Cookie", "value": "session=B-COOKIE"},
                {"key": "X-Trace", "value": "trace-77"},
            ],
            "queryParameters": [{"key": "token", "value": "B-QUERY-SECRET"}],
            **request,
        },
    )


async def stored_details(vantage: Harness, check_id: str) -> list[Any]:
    async with vantage.runtime.db.read() as conn:
        rows = await conn.scalars(
            sa.select(check_results.c.detail).where(check_results.c.check_id == check_id)
        )
        return list(rows)


async def test_a_stored_result_masks_api_keys_cookies_and_query_tokens(
    vantage: Harness, alice: Persona, http_target: HttpTarget
) -> None:
    check_id = await create(alice, leaky_check(http_target))
    session = await run(alice, check_id)
    assert session["status"] == "PASSED", session

    response = await alice.get(f"/v1/check-results/{check_id}")
    assert response.status_code == 200, response.text
    [result] = response.json()
    for secret in SECRETS:
        assert secret not in response.text, secret
    request = result["apiCheckResult"]["request"]
    assert request["headers"]["X-Api-Key"] == MASK
    assert request["headers"]["Cookie"] == MASK
    assert request["headers"]["X-Trace"] == "trace-77"
    assert request["params"] == {"token": MASK}
    assert request["url"] == f"{http_target.base_url}/echo?token={MASK}&page=1"
    echoed = json.loads(result["apiCheckResult"]["response"]["body"])
    assert echoed["headers"]["x-api-key"] == MASK
    assert echoed["headers"]["cookie"] == MASK
    assert echoed["query"]["page"] == "1"

    [stored] = await stored_details(vantage, check_id)
    dumped = json.dumps(stored)
    for secret in SECRETS:
        assert secret not in dumped, secret


async def test_the_servers_sensitive_names_apply_to_its_embedded_agent(
    database_url: str, http_target: HttpTarget
) -> None:
    settings = settings_for(database_url, sensitive_names="x-trace")
    async with running_vantage(settings) as vantage:
        alice = await vantage.persona("alice")
        check_id = await create(alice, leaky_check(http_target))
        await run(alice, check_id)
        [stored] = await stored_details(vantage, check_id)
    assert stored["request"]["headers"]["X-Trace"] == MASK
    assert "trace-77" not in json.dumps(stored)
    assert stored["request"]["headers"]["X-Api-Key"] == MASK  # the defaults still apply
