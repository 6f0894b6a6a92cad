"""From a failing run to a webhook on a real loopback receiver, on both databases: the failure and
its recovery arrive once each, signed, with Checkly's variables; a muted check sends nothing; a
receiver that is down gets the notification later, in order; one that refuses it gets it once."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

from tests.alerting.flow import channel, check, outbox, point_at, run, settled
from tests.alerting.receiver import Receiver, Reply
from tests.support.harness import Harness, Persona, running_vantage, settings_for
from tests.targets.http_target import HttpTarget

SECRET = "whsec-test-0123456789"


async def test_a_failure_and_its_recovery_reach_the_webhook_once_each(
    vantage: Harness, alice: Persona, http_target: HttpTarget, receiver: Receiver
) -> None:
    hook = await channel(
        alice,
        "WEBHOOK",
        {
            "name": "hook",
            "url": receiver.url + "/hook/{{CHECK_ID}}",
            "template": '{"title": {{json ALERT_TITLE}}, "type": "{{ALERT_TYPE}}", '
            '"link": "{{RESULT_LINK}}", "tags": [{{#each TAGS}}"{{this}}"'
            "{{#unless @last}},{{/unless}}{{/each}}]}",
            "headers": [{"key": "X-Team", "value": "ops-{{CHECK_TYPE}}"}],
            "queryParameters": [{"key": "check", "value": "{{{CHECK_NAME}}}"}],
            "webhookSecret": SECRET,
        },
    )
    check_id = await check(alice, http_target, [hook], name='Orders "API"', tags=["a", "b"])

    assert await run(alice, check_id) == "FAILED"
    [first] = await receiver.wait_for(1)
    assert first.method == "POST"
    assert first.path == f"/hook/{check_id}"
    assert first.query == [("check", 'Orders "API"')]
    assert first.headers["x-team"] == "ops-API"
    assert first.headers["content-type"] == "application/json"
    body = first.json()
    assert body["title"] == 'Check "Orders "API"" has failed'
    assert body["type"] == "ALERT_FAILURE"
    assert body["tags"] == ["a", "b"]
    assert body["link"].startswith(f"http://vantage.test/v1/check-results/{check_id}/")
    # Checkly's signature and the Standard Webhooks one, over the exact bytes received
    expected = hmac.new(SECRET.encode(), first.body, hashlib.sha256).hexdigest()
    assert first.headers["x-checkly-signature"] == expected
    signed = f"{first.headers['webhook-id']}.{first.headers['webhook-timestamp']}.".encode()
    digest = hmac.new(SECRET.encode(), signed + first.body, hashlib.sha256).digest()
    assert first.headers["webhook-signature"] == "v1," + base64.b64encode(digest).decode()

    assert await run(alice, check_id) == "FAILED"  # still failing: nothing new
    await point_at(alice, check_id, http_target, "/ok")
    assert await run(alice, check_id) == "PASSED"
    received = await receiver.wait_for(2)
    assert [r.json()["type"] for r in received] == ["ALERT_FAILURE", "ALERT_RECOVERY"]
    assert received[0].headers["webhook-id"] != received[1].headers["webhook-id"]
    rows = await settled(vantage, 2)
    assert [(r.alert_type, r.status, r.attempts) for r in rows] == [
        ("ALERT_FAILURE", "SUCCESS", 1),
        ("ALERT_RECOVERY", "SUCCESS", 1),
    ]


async def test_without_a_template_every_variable_is_sent_as_json(
    vantage: Harness, alice: Persona, http_target: HttpTarget, receiver: Receiver
) -> None:
    hook = await channel(alice, "WEBHOOK", {"name": "raw", "url": receiver.url + "/raw"})
    check_id = await check(alice, http_target, [hook], name="Raw")
    await run(alice, check_id)
    [got] = await receiver.wait_for(1)
    body = got.json()
    assert body["CHECK_ID"] == check_id
    assert body["ALERT_TYPE"] == "ALERT_FAILURE"
    assert body["API_CHECK_RESPONSE_STATUS_CODE"] == 500
    assert body["RUN_LOCATION"] == "local"
    assert body["IS_REMINDER"] is False
    assert "STATUS_CODE" in body["CHECK_ERROR_MESSAGE"]
    assert not any(key.startswith("_") for key in body)
    assert "x-checkly-signature" not in got.headers


async def test_a_muted_check_notifies_nobody(
    vantage: Harness, alice: Persona, http_target: HttpTarget, receiver: Receiver
) -> None:
    hook = await channel(alice, "WEBHOOK", {"url": receiver.url + "/muted"})
    check_id = await check(alice, http_target, [hook], muted=True)
    assert await run(alice, check_id) == "FAILED"
    assert await outbox(vantage) == []
    # unmuted while still failing: the failure that was silenced is not announced afterwards
    await alice.put(f"/v1/checks/{check_id}", json={"muted": False})
    assert await run(alice, check_id) == "FAILED"
    assert await outbox(vantage) == []


async def test_only_channels_that_asked_for_recoveries_hear_them(
    vantage: Harness, alice: Persona, http_target: HttpTarget, receiver: Receiver
) -> None:
    failures = await channel(
        alice, "WEBHOOK", {"url": receiver.url + "/failures"}, sendRecovery=False
    )
    everything = await channel(alice, "WEBHOOK", {"url": receiver.url + "/all"})
    check_id = await check(alice, http_target, [failures, everything])
    await run(alice, check_id)
    await point_at(alice, check_id, http_target, "/ok")
    await run(alice, check_id)
    received = await receiver.wait_for(3)
    assert sorted((r.path, r.json()["ALERT_TYPE"]) for r in received) == [
        ("/all", "ALERT_FAILURE"),
        ("/all", "ALERT_RECOVERY"),
        ("/failures", "ALERT_FAILURE"),
    ]


async def test_a_receiver_that_is_down_gets_failure_then_recovery_later_with_one_id_each(
    vantage: Harness, alice: Persona, http_target: HttpTarget, receiver: Receiver
) -> None:
    receiver.script = [Reply(503, b"down"), Reply(503, b"down"), Reply(502, b"down")]
    hook = await channel(alice, "WEBHOOK", {"url": receiver.url + "/flaky"})
    check_id = await check(alice, http_target, [hook])
    await run(alice, check_id)
    await point_at(alice, check_id, http_target, "/ok")
    await run(alice, check_id)
    received = await receiver.wait_for(5)
    types = [r.json()["ALERT_TYPE"] for r in received]
    # the recovery waits for its failure, however many attempts the failure takes
    assert types == ["ALERT_FAILURE"] * 4 + ["ALERT_RECOVERY"]
    assert len({r.headers["webhook-id"] for r in received[:4]}) == 1
    rows = await settled(vantage, 2)
    assert [(r.status, r.attempts) for r in rows] == [("SUCCESS", 4), ("SUCCESS", 1)]


async def test_a_refused_notification_is_not_retried_and_the_log_says_why(
    vantage: Harness, alice: Persona, http_target: HttpTarget, receiver: Receiver
) -> None:
    receiver.script = [Reply(400, json.dumps({"error": "bad payload"}).encode())]
    hook = await channel(alice, "WEBHOOK", {"url": receiver.url + "/strict"})
    check_id = await check(alice, http_target, [hook])
    await run(alice, check_id)
    await receiver.wait_for(1)
    [row] = await settled(vantage, 1)
    assert (row.status, row.attempts) == ("FAILURE", 1)
    assert row.result == '400 {"error": "bad payload"}'
    assert len(receiver.received) == 1


async def test_by_default_webhooks_may_not_reach_the_servers_own_network(
    database_url: str, http_target: HttpTarget, receiver: Receiver
) -> None:
    settings = settings_for(database_url, alert_poll_seconds=0.02)  # alert_deny left as default
    async with running_vantage(settings) as vantage:
        alice = await vantage.persona("alice")
        hook = await channel(alice, "WEBHOOK", {"url": receiver.url + "/internal"})
        await run(alice, await check(alice, http_target, [hook]))
        [row] = await settled(vantage, 1)
    assert row.status == "FAILURE"
    assert "denied by VANTAGE_ALERT_DENY" in str(row.result)
    assert receiver.received == []
