"""A passing run of a check whose alert state is at rest changes nothing, and is skipped early."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from tests.alerting.flow import channel, check, outbox, point_at, run, settled
from tests.alerting.receiver import Receiver
from tests.support.harness import Harness, Persona
from tests.targets.http_target import HttpTarget
from vantage.db.tables import check_alert_states


async def state_of(vantage: Harness, check_id: str) -> Any:
    async with vantage.runtime.db.read() as conn:
        return (
            await conn.execute(
                sa.select(check_alert_states).where(check_alert_states.c.check_id == check_id)
            )
        ).first()


async def test_passing_runs_of_a_check_at_rest_write_no_state_and_notify_nobody(
    vantage: Harness, alice: Persona, http_target: HttpTarget, receiver: Receiver
) -> None:
    hook = await channel(alice, "WEBHOOK", {"name": "hook", "url": receiver.url + "/hook"})
    check_id = await check(alice, http_target, [hook])
    await point_at(alice, check_id, http_target, "/ok")

    assert await run(alice, check_id) == "PASSED"
    assert await run(alice, check_id) == "PASSED"

    assert await state_of(vantage, check_id) is None
    assert await outbox(vantage) == []


async def test_a_check_failing_then_passing_is_announced_and_then_at_rest_again(
    vantage: Harness, alice: Persona, http_target: HttpTarget, receiver: Receiver
) -> None:
    hook = await channel(alice, "WEBHOOK", {"name": "hook", "url": receiver.url + "/hook"})
    check_id = await check(alice, http_target, [hook])

    assert await run(alice, check_id) == "FAILED"
    failing = await state_of(vantage, check_id)
    assert (failing.status, failing.notified) == ("FAILING", "FAILING")
    assert failing.consecutive_failed == 1

    await point_at(alice, check_id, http_target, "/ok")
    assert await run(alice, check_id) == "PASSED"
    recovered = await state_of(vantage, check_id)
    assert (recovered.status, recovered.notified, recovered.episode) == ("PASSING", "NONE", 1)

    assert await run(alice, check_id) == "PASSED"  # at rest: this run changes nothing
    assert await state_of(vantage, check_id) == recovered
    rows = await settled(vantage, 2)
    assert [r.alert_type for r in rows] == ["ALERT_FAILURE", "ALERT_RECOVERY"]
