"""Slack, PagerDuty and Opsgenie against a real loopback receiver standing in for each provider
(their base URLs are settings), field by field against the providers' documented formats."""

from __future__ import annotations

import json

import pytest

from tests.alerting.flow import channel, check, point_at, run, settled
from tests.alerting.receiver import Receiver, Reply
from tests.support.harness import Harness, Persona
from tests.targets.http_target import HttpTarget

PD_KEY = "0123456789abcdef0123456789abcdef"


async def fail_then_recover(alice: Persona, target: HttpTarget, channel_id: int) -> str:
    check_id = await check(alice, target, [channel_id], name="Checkout", tags=["shop"])
    await run(alice, check_id)
    await point_at(alice, check_id, target, "/ok")
    await run(alice, check_id)
    return check_id


async def test_pagerduty_triggers_then_resolves_one_incident(
    vantage: Harness, alice: Persona, http_target: HttpTarget, receiver: Receiver
) -> None:
    receiver.default = Reply(
        202, json.dumps({"status": "success", "message": "Event processed"}).encode()
    )
    pd = await channel(alice, "PAGERDUTY", {"serviceKey": PD_KEY, "account": "acme"})
    check_id = await fail_then_recover(alice, http_target, pd)
    trigger, resolve = await receiver.wait_for(2)
    assert trigger.path == resolve.path == "/pagerduty/v2/enqueue"
    sent = trigger.json()
    assert sent["routing_key"] == PD_KEY
    assert sent["event_action"] == "trigger"
    assert sent["dedup_key"] == f"vantage-{check_id}-1"
    payload = sent["payload"]
    assert payload["summary"] == 'Check "Checkout" has failed'
    assert payload["severity"] == "critical"
    assert payload["source"] == "local"
    assert payload["component"] == "Checkout"
    assert payload["custom_details"]["alertType"] == "ALERT_FAILURE"
    assert sent["links"][0]["href"].startswith("http://vantage.test/v1/check-results/")
    assert resolve.json() == {
        "routing_key": PD_KEY,
        "event_action": "resolve",
        "dedup_key": f"vantage-{check_id}-1",
    }
    assert [r.status for r in await settled(vantage, 2)] == ["SUCCESS", "SUCCESS"]


async def test_pagerduty_rate_limits_are_retried_and_bad_requests_are_not(
    vantage: Harness, alice: Persona, http_target: HttpTarget, receiver: Receiver
) -> None:
    receiver.script = [Reply(429, b"{}", {"Retry-After": "0"}), Reply(400, b'{"status":"invalid"}')]
    receiver.default = Reply(202, b"{}")
    pd = await channel(alice, "PAGERDUTY", {"serviceKey": PD_KEY})
    await fail_then_recover(alice, http_target, pd)
    rows = await settled(vantage, 2)
    assert [(r.alert_type, r.status, r.attempts) for r in rows] == [
        ("ALERT_FAILURE", "FAILURE", 2),
        ("ALERT_RECOVERY", "SUCCESS", 1),
    ]
    assert rows[0].result == '400 {"status":"invalid"}'


async def test_opsgenie_creates_with_an_alias_and_closes_it_by_that_alias(
    vantage: Harness, alice: Persona, http_target: HttpTarget, receiver: Receiver
) -> None:
    receiver.default = Reply(202, b'{"result":"Request will be processed"}')
    og = await channel(
        alice, "OPSGENIE", {"name": "og", "apiKey": "genie-key-1", "region": "EU", "priority": "P2"}
    )
    check_id = await fail_then_recover(alice, http_target, og)
    create, close = await receiver.wait_for(2)
    alias = f"vantage-{check_id}-1"
    assert create.path == "/opsgenie-eu/v2/alerts"
    assert create.headers["authorization"] == "GenieKey genie-key-1"
    body = create.json()
    assert body["message"] == 'Check "Checkout" has failed'
    assert body["alias"] == alias
    assert body["priority"] == "P2"
    assert body["tags"] == ["shop"]
    assert body["entity"] == "Checkout"
    assert body["details"]["alertType"] == "ALERT_FAILURE"
    assert close.path == f"/opsgenie-eu/v2/alerts/{alias}/close"
    assert close.query == [("identifierType", "alias")]
    assert close.headers["authorization"] == "GenieKey genie-key-1"
    assert close.json()["source"] == "Vantage"


async def test_slack_gets_a_coloured_message_and_its_errors_are_logged(
    vantage: Harness, alice: Persona, http_target: HttpTarget, receiver: Receiver
) -> None:
    receiver.script = [Reply(404, b"channel_not_found")]
    slack = await channel(
        alice, "SLACK", {"url": receiver.url + "/services/T1/B1/x", "channel": "#ops"}
    )
    await fail_then_recover(alice, http_target, slack)
    failure, recovery = await receiver.wait_for(2)
    assert failure.path == "/services/T1/B1/x"
    body = failure.json()
    assert body["text"] == 'Check "Checkout" has failed'
    assert body["channel"] == "#ops"
    [attachment] = body["attachments"]
    assert attachment["color"] == "#d0021b"
    header = attachment["blocks"][0]
    assert header == {"type": "header", "text": {"type": "plain_text", "text": body["text"]}}
    assert recovery.json()["attachments"][0]["color"] == "#2eb67d"
    rows = await settled(vantage, 2)
    assert [(r.status, r.result) for r in rows] == [
        ("FAILURE", "404 channel_not_found"),
        ("SUCCESS", "200 ok"),
    ]


async def test_sms_and_call_channels_are_logged_as_not_delivered_and_warned_of_once(
    vantage: Harness,
    alice: Persona,
    http_target: HttpTarget,
    capsys: pytest.CaptureFixture[str],
) -> None:
    await notify_sms_and_call(vantage, alice, http_target)
    captured = capsys.readouterr()
    lines = (captured.out + captured.err).splitlines()
    warnings = [line for line in lines if "stored but not delivered" in line]
    assert len(warnings) == 2  # one per type, not one per notification


async def notify_sms_and_call(vantage: Harness, alice: Persona, http_target: HttpTarget) -> None:
    sms = await channel(alice, "SMS", {"number": "+31612345678", "name": "on call"})
    call = await channel(alice, "CALL", {"number": "+31612345678", "name": "on call"})
    check_id = await check(alice, http_target, [sms, call])
    await run(alice, check_id)  # a failure
    await point_at(alice, check_id, http_target, "/ok")
    await run(alice, check_id)  # its recovery
    rows = await settled(vantage, 4)
    assert sorted((r.channel_type, r.status, r.result) for r in rows) == [
        ("CALL", "FAILURE", "Vantage cannot deliver to CALL channels"),
        ("CALL", "FAILURE", "Vantage cannot deliver to CALL channels"),
        ("SMS", "FAILURE", "Vantage cannot deliver to SMS channels"),
        ("SMS", "FAILURE", "Vantage cannot deliver to SMS channels"),
    ]
