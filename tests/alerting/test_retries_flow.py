"""Retries counted as Checkly counts them, through real intake: a check's session is one run
whatever its attempts, so a failed attempt that its retry makes good raises nothing, and a
session that fails every attempt is one failed run towards `failedRunThreshold`."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from tests.alerting.flow import channel, check, outbox, run, settled
from tests.alerting.receiver import Receiver
from tests.sessions.test_retry_strategies import flaky_target
from tests.support.harness import Harness, Persona
from tests.targets.http_target import HttpTarget
from vantage.db.tables import check_alert_states, check_results

# Retried at once: the test waits for no backoff.
RETRY_TWICE = {"type": "FIXED", "baseBackoffSeconds": 0, "maxRetries": 2, "sameRegion": True}


async def result_types(vantage: Harness, check_id: str) -> list[str]:
    async with vantage.runtime.db.read() as conn:
        rows = await conn.execute(
            sa.select(check_results.c.result_type)
            .where(check_results.c.check_id == check_id)
            .order_by(check_results.c.created_at)
        )
        return [row.result_type for row in rows]


async def alert_state(vantage: Harness, check_id: str) -> Any:
    async with vantage.runtime.db.read() as conn:
        query = sa.select(check_alert_states).where(check_alert_states.c.check_id == check_id)
        return (await conn.execute(query)).first()


async def test_it_raises_no_alert_when_a_failed_attempt_passes_on_its_retry(
    vantage: Harness, alice: Persona, http_target: HttpTarget, receiver: Receiver
) -> None:
    hook = await channel(alice, "WEBHOOK", {"url": receiver.url + "/hook"})
    async with flaky_target(failures=1) as flaky:
        check_id = await check(alice, http_target, [hook], retryStrategy=RETRY_TWICE)
        response = await alice.put(
            f"/v1/checks/{check_id}", json={"request": {"url": f"{flaky}/once"}}
        )
        assert response.status_code == 200, response.text
        assert await run(alice, check_id) == "PASSED"

    assert await result_types(vantage, check_id) == ["ATTEMPT", "FINAL"]
    assert await outbox(vantage) == []
    assert receiver.received == []


async def test_it_counts_a_session_failing_every_attempt_as_one_failed_run(
    vantage: Harness, alice: Persona, http_target: HttpTarget, receiver: Receiver
) -> None:
    hook = await channel(alice, "WEBHOOK", {"url": receiver.url + "/hook"})
    check_id = await check(
        alice,
        http_target,
        [hook],
        retryStrategy=RETRY_TWICE,
        useGlobalAlertSettings=False,
        alertSettings={"runBasedEscalation": {"failedRunThreshold": 2}},
    )

    assert await run(alice, check_id) == "FAILED"
    assert await result_types(vantage, check_id) == ["ATTEMPT", "ATTEMPT", "FINAL"]
    # three failed attempts, one failed run: below the threshold of two
    assert (await alert_state(vantage, check_id)).consecutive_failed == 1
    assert await outbox(vantage) == []

    assert await run(alice, check_id) == "FAILED"  # the second failed run meets it
    [row] = await settled(vantage, 1)
    assert (row.alert_type, row.status) == ("ALERT_FAILURE_REMAIN", "SUCCESS")
    [got] = await receiver.wait_for(1)
    assert got.json()["ALERT_TYPE"] == "ALERT_FAILURE_REMAIN"
