"""The embedded agent stores what a probe saw even when the database could not hold it as is
(M3): one result with a NUL would otherwise fail on PostgreSQL, and after its retries take its
whole batch down with it."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from tests.support.checks import api_check
from tests.support.harness import Harness, Persona
from tests.support.sessions import create, run
from tests.targets.http_target import HttpTarget
from vantage.db.tables import check_results


async def test_a_nul_a_probe_saw_is_stored_replaced(
    vantage: Harness, alice: Persona, http_target: HttpTarget
) -> None:
    # The target echoes the query as JSON: "x": "\u0000", which the JSON_BODY assertion reads.
    assertion = {"source": "JSON_BODY", "property": "$.query.x", "comparison": "EQUALS"}
    payload = api_check(
        f"{http_target.base_url}/echo?x=%00", request={"assertions": [{**assertion, "target": "a"}]}
    )
    session = await run(alice, await create(alice, payload))
    assert session["status"] == "FAILED"  # the run's verdict, not a timeout
    async with vantage.runtime.db.read() as conn:
        detail: Any = await conn.scalar(sa.select(check_results.c.detail))
    assert detail["assertions"][0]["actual"] == "\ufffd"
