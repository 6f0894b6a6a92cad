"""Account variables in webhook channels, as Checkly lets templates name them: `{{KEY}}` in the
URL, a header and the body is the account's variable (a secret one opened) when the alert's own
variables do not name it; a secret never reaches the notification log, the stored notification,
or a body that sends every variable."""

from __future__ import annotations

from tests.alerting.flow import channel, check, outbox, run, settled
from tests.alerting.receiver import Receiver, Reply
from tests.support.harness import Harness, Persona
from tests.targets.http_target import HttpTarget

TOKEN = "tok-5ecret-0123456789"


async def test_it_renders_account_variables_in_webhooks_and_masks_secrets_everywhere_else(
    vantage: Harness, alice: Persona, http_target: HttpTarget, receiver: Receiver
) -> None:
    for key, value, secret in (("HOOK_TOKEN", TOKEN, True), ("TEAM", "ops", False)):
        response = await alice.post(
            "/v1/variables", json={"key": key, "value": value, "secret": secret}
        )
        assert response.status_code == 201, response.text
    # The receiver quotes what it was sent: the log must not.
    receiver.by_path["/hook/ops"] = Reply(400, f"unknown token {TOKEN}".encode())
    templated = await channel(
        alice,
        "WEBHOOK",
        {
            "url": receiver.url + "/hook/{{TEAM}}",
            "headers": [{"key": "Authorization", "value": "Bearer {{HOOK_TOKEN}}"}],
            "template": '{"team": "{{TEAM}}", "type": "{{ALERT_TYPE}}"}',
        },
    )
    everything = await channel(alice, "WEBHOOK", {"url": receiver.url + "/all"})
    check_id = await check(alice, http_target, [templated, everything])
    assert await run(alice, check_id) == "FAILED"

    received = {r.path: r for r in await receiver.wait_for(2)}
    hook = received["/hook/ops"]
    assert hook.headers["authorization"] == f"Bearer {TOKEN}"
    assert hook.json() == {"team": "ops", "type": "ALERT_FAILURE"}
    # every variable is the alert's: none of the account's
    body = received["/all"].json()
    assert "HOOK_TOKEN" not in body and "TEAM" not in body
    assert TOKEN.encode() not in received["/all"].body

    rows = {r.alert_channel_id: r for r in await settled(vantage, 2)}
    assert (rows[templated].status, rows[templated].result) == (
        "FAILURE",
        "400 unknown token *****",
    )
    assert all(TOKEN not in str(r._mapping) for r in await outbox(vantage))
    log = (await alice.get("/v1/alert-notifications")).text
    assert TOKEN not in log and "unknown token *****" in log
