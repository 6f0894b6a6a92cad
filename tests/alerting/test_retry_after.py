"""A receiver's `Retry-After` honoured by the running system: after a 429 asking for N seconds the
next attempt does not come sooner, and a receiver that keeps answering 429 leaves the notification
RATE_LIMITED in the notification log."""

from __future__ import annotations

from tests.alerting.conftest import alerting_settings
from tests.alerting.flow import channel, check, run, settled
from tests.alerting.receiver import Receiver, Reply
from tests.support.harness import running_vantage
from tests.targets.http_target import HttpTarget

WAIT_S = 2
# The receiver's clock (monotonic) and the server's (wall) may differ by a hair; no more.
CLOCKS = 0.01


async def test_it_waits_as_long_as_a_429s_retry_after_asks_before_trying_again(
    database_url: str, http_target: HttpTarget, receiver: Receiver
) -> None:
    receiver.script = [
        Reply(429, b"slow down", {"Retry-After": str(WAIT_S)}),
        Reply(429, b"slow down", {"Retry-After": str(WAIT_S)}),
    ]
    settings = alerting_settings(database_url, receiver, alert_max_attempts=3)
    async with running_vantage(settings) as vantage:
        alice = await vantage.persona("alice")
        hook = await channel(alice, "WEBHOOK", {"url": receiver.url + "/limited"})
        await run(alice, await check(alice, http_target, [hook]))
        first, second, third = await receiver.wait_for(3)
        [row] = await settled(vantage, 1)

    # Without Retry-After the second try would come 0.05 s later (the test's retry base).
    assert second.at - first.at >= WAIT_S - CLOCKS
    assert third.at - second.at >= WAIT_S - CLOCKS
    assert len({r.headers["webhook-id"] for r in (first, second, third)}) == 1
    assert (row.status, row.attempts, row.result) == ("SUCCESS", 3, "200 ok")


async def test_it_leaves_a_notification_rate_limited_when_the_receiver_only_answers_429(
    database_url: str, http_target: HttpTarget, receiver: Receiver
) -> None:
    receiver.default = Reply(429, b"slow down", {"Retry-After": "0"})
    settings = alerting_settings(database_url, receiver, alert_max_attempts=2)
    async with running_vantage(settings) as vantage:
        alice = await vantage.persona("alice")
        hook = await channel(alice, "WEBHOOK", {"url": receiver.url + "/limited"})
        await run(alice, await check(alice, http_target, [hook]))
        [row] = await settled(vantage, 1)
        response = await alice.get("/v1/alert-notifications", params={"hasFailures": "true"})

    assert (row.status, row.attempts) == ("RATE_LIMITED", 2)
    [entry] = response.json()
    assert entry["alertChannelId"] == hook
    assert (entry["status"], entry["notificationResult"]) == ("RATE_LIMITED", "429 slow down")
    assert len(receiver.received) == 2
