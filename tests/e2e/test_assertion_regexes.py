"""A catastrophic assertion regex cannot freeze the server (issue 8, H2), with a real
`vantage server` running its embedded agent on SQLite and PostgreSQL.

With Python's backtracking `re`, `(a+)+$` against 40 `a`s and a `!` runs for hours inside the
server's event loop, and every account's requests wait for it. The server runs as a subprocess so
that a stalled loop there cannot also stall this test's clock.
"""

from __future__ import annotations

import asyncio
import time

import httpx2
import pytest

from tests.agent.processes import vantage_cli
from tests.e2e.support import Api, Cluster
from tests.targets.http_target import HttpTarget

pytestmark = pytest.mark.e2e

ATTACK = {"source": "TEXT_BODY", "comparison": "EQUALS", "target": "x", "regex": "(a+)+$"}
# With `re` the loop froze as soon as the response arrived; the other account asks this often
# after the trigger, and must be answered this fast each time.
ASKS = 10
ASK_EVERY_SECONDS = 0.15
ANSWER_SECONDS = 0.1


@pytest.mark.serial
async def test_another_account_is_answered_within_100_ms_while_a_catastrophic_regex_runs(
    cluster: Cluster, http_target: HttpTarget
) -> None:
    server = cluster.server(local_agent=True)
    alice = cluster.api(server)
    other = vantage_cli("accounts", "create", "charlie", "--database-url", cluster.database_url)
    charlie = Api(server.url, str(other["accountId"]), str(other["apiKey"]))
    cluster.apis.append(charlie)
    assert (await charlie.client.get("/v1/checks")).status_code == 200  # connection warmed up

    check_id = await alice.create_check(
        f"{http_target.base_url}/repeat?text=a&times=40&tail=!",
        [],
        request={"assertions": [ATTACK]},
    )
    session_id = await alice.trigger(check_id)
    triggered = time.monotonic()

    waits: list[float] = []
    for _ in range(ASKS):
        began = time.monotonic()
        try:
            # a frozen server would hold this for hours; 5 s is enough to call it frozen
            response = await charlie.client.get("/v1/checks", timeout=5)
        except httpx2.TimeoutException:
            pytest.fail(f"charlie got no answer in 5 s (answered before in {waits})")
        waits.append(time.monotonic() - began)
        assert response.status_code == 200, response.text
        await asyncio.sleep(ASK_EVERY_SECONDS)
    assert max(waits) < ANSWER_SECONDS, [f"{w * 1000:.0f} ms" for w in waits]

    done = await alice.completion(session_id, wait=10)
    assert done["status"] == "FAILED", done
    [result] = done["results"]
    assert time.monotonic() - triggered < 10
    detail = await alice.result(check_id, result["checkResultId"])
    [outcome] = detail.json()["apiCheckResult"]["assertions"]
    assert (outcome["actual"], outcome["passed"]) == (None, False)
