"""Degraded as its own state, from intake to the receiver: a run slower than the check's
`degradedResponseTime` is announced as degraded to the channels that asked for degradations
(`sendDegraded`) and to no other, and so is its recovery; a failure it turns into is announced to
both."""

from __future__ import annotations

from tests.alerting.flow import channel, check, point_at, run, settled
from tests.alerting.receiver import Receiver
from tests.support.harness import Harness, Persona
from tests.targets.http_target import HttpTarget

# A run of /slow takes at least SLOW_MS (the lower bound is what matters), well over the
# degradation threshold; /ok stays far below it even on a loaded machine.
DEGRADED_MS, SLOW_MS = 600, 900


async def slow_check_and_two_channels(
    alice: Persona, http_target: HttpTarget, receiver: Receiver
) -> tuple[int, int, str]:
    """A channel that asked for degradations, one that did not, and a check subscribed to both
    whose runs are slow enough to be degraded."""
    degraded = await channel(
        alice, "WEBHOOK", {"url": receiver.url + "/degraded"}, sendDegraded=True
    )
    failures = await channel(alice, "WEBHOOK", {"url": receiver.url + "/failures"})
    check_id = await check(
        alice,
        http_target,
        [degraded, failures],
        degradedResponseTime=DEGRADED_MS,
        maxResponseTime=20_000,
    )
    await point_at(alice, check_id, http_target, f"/slow?ms={SLOW_MS}")
    return degraded, failures, check_id


async def test_it_tells_only_channels_with_send_degraded_of_a_degradation_and_its_recovery(
    vantage: Harness, alice: Persona, http_target: HttpTarget, receiver: Receiver
) -> None:
    degraded, failures, check_id = await slow_check_and_two_channels(alice, http_target, receiver)

    assert await run(alice, check_id) == "DEGRADED"
    [got] = await receiver.wait_for(1)
    assert (got.path, got.json()["ALERT_TYPE"]) == ("/degraded", "ALERT_DEGRADED")
    assert got.json()["ALERT_TITLE"] == 'Check "API check" is degraded'
    assert got.json()["RESPONSE_TIME"] >= SLOW_MS
    assert await run(alice, check_id) == "DEGRADED"  # still degraded: nothing new

    await point_at(alice, check_id, http_target, "/ok")
    assert await run(alice, check_id) == "PASSED"
    rows = await settled(vantage, 2)
    assert [(r.alert_channel_id, r.alert_type, r.status) for r in rows] == [
        (degraded, "ALERT_DEGRADED", "SUCCESS"),
        (degraded, "ALERT_DEGRADED_RECOVERY", "SUCCESS"),
    ]
    assert [(r.path, r.json()["ALERT_TYPE"]) for r in receiver.received] == [
        ("/degraded", "ALERT_DEGRADED"),
        ("/degraded", "ALERT_DEGRADED_RECOVERY"),
    ]


async def test_it_tells_both_channels_when_a_degradation_turns_into_a_failure_and_recovers(
    vantage: Harness, alice: Persona, http_target: HttpTarget, receiver: Receiver
) -> None:
    degraded, failures, check_id = await slow_check_and_two_channels(alice, http_target, receiver)
    assert await run(alice, check_id) == "DEGRADED"
    await point_at(alice, check_id, http_target, "/status/500")
    assert await run(alice, check_id) == "FAILED"
    await point_at(alice, check_id, http_target, "/ok")
    assert await run(alice, check_id) == "PASSED"

    rows = await settled(vantage, 5)
    assert sorted((r.alert_channel_id, r.alert_type) for r in rows) == [
        (degraded, "ALERT_DEGRADED"),
        (degraded, "ALERT_DEGRADED_FAILURE"),
        (degraded, "ALERT_RECOVERY"),
        (failures, "ALERT_DEGRADED_FAILURE"),
        (failures, "ALERT_RECOVERY"),
    ]
    assert {r.status for r in rows} == {"SUCCESS"}
