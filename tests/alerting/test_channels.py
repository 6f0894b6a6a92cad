"""`/v1/alert-channels`: every type round-trips, secrets never come back in clear, another
account's channel is a 404, and subscriptions are one table seen from channels, checks and
groups."""

from __future__ import annotations

from typing import Any

import pytest

from tests.groups.test_endpoints import create_check, create_group
from tests.support.checks import api_check
from tests.support.harness import Persona

PD_KEY = "a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6"
SLACK_URL = "https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXXXXXX"

CONFIGS: dict[str, dict[str, Any]] = {
    "EMAIL": {"address": "ops@example.com"},
    "SLACK": {"url": SLACK_URL, "channel": "#alerts"},
    "WEBHOOK": {
        "name": "hook",
        "url": "https://hooks.example.com/in/abc?token=s3cr3tvalue",
        "method": "POST",
        "template": '{"title": "{{ALERT_TITLE}}"}',
        "headers": [{"key": "Authorization", "value": "Bearer topsecret-token"}],
        "queryParameters": [{"key": "team", "value": "ops"}],
        "webhookSecret": "whsec-0123456789",
        "webhookType": "WEBHOOK_MSTEAMS",
    },
    "PAGERDUTY": {"serviceKey": PD_KEY, "account": "acme", "serviceName": "API"},
    "OPSGENIE": {"name": "og", "apiKey": "og-key-0123456789", "region": "EU", "priority": "P2"},
    # Stored and served as Checkly's, not delivered (docs/alerting.md).
    "SLACK_APP": {"slackChannels": ["#ops", "#alerts"]},
    "SMS": {"number": "+31612345678", "name": "on call"},
    "CALL": {"number": "+4915112345678", "name": "duty phone"},
}


async def create_channel(persona: Persona, **body: Any) -> dict[str, Any]:
    response = await persona.post("/v1/alert-channels", json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


@pytest.mark.parametrize("channel_type", sorted(CONFIGS))
async def test_every_type_is_created_with_checklys_defaults(
    alice: Persona, channel_type: str
) -> None:
    created = await create_channel(alice, type=channel_type, config=CONFIGS[channel_type])
    assert isinstance(created["id"], int)
    assert created["type"] == channel_type
    assert created["sendFailure"] is True and created["sendRecovery"] is True
    assert created["sendDegraded"] is False and created["sslExpiry"] is False
    assert created["sslExpiryThreshold"] == 30 and created["autoSubscribe"] is False
    assert created["subscriptions"] == []
    got = (await alice.get(f"/v1/alert-channels/{created['id']}")).json()
    assert got == created


async def test_secrets_are_masked_and_a_read_edit_write_round_trip_keeps_them(
    alice: Persona,
) -> None:
    pd = await create_channel(alice, type="PAGERDUTY", config=CONFIGS["PAGERDUTY"])
    assert pd["config"]["serviceKey"] == "********" + PD_KEY[-4:]
    assert PD_KEY not in str(pd)
    hook = await create_channel(alice, type="WEBHOOK", config=CONFIGS["WEBHOOK"])
    text = str(hook)
    for secret in ("s3cr3tvalue", "topsecret-token", "whsec-0123456789", "/in/abc"):
        assert secret not in text
    assert hook["config"]["queryParameters"] == [{"key": "team", "value": "ops", "locked": False}]
    assert hook["config"]["method"] == "POST"
    slack = await create_channel(alice, type="SLACK", config=CONFIGS["SLACK"])
    assert slack["config"]["url"] == "https://hooks.slack.com/********XXXX"
    assert "XXXXXXXXXXXXXXXX" not in slack["config"]["url"]

    # a client echoes what it read, changing one flag
    for channel in (pd, hook, slack):
        body = {**channel, "sendDegraded": True}
        response = await alice.put(f"/v1/alert-channels/{channel['id']}", json=body)
        assert response.status_code == 200, response.text
        assert response.json()["config"] == channel["config"]
    stored = await _stored_config(alice, pd["id"])
    assert stored["serviceKey"] == PD_KEY
    stored = await _stored_config(alice, hook["id"])
    assert stored["url"] == CONFIGS["WEBHOOK"]["url"]
    assert stored["headers"][0]["value"] == "Bearer topsecret-token"
    assert stored["webhookSecret"] == "whsec-0123456789"
    assert (await _stored_config(alice, slack["id"]))["url"] == SLACK_URL

    # a new secret replaces the old one
    new = {**CONFIGS["PAGERDUTY"], "serviceKey": "f" * 32}
    body = {"type": "PAGERDUTY", "config": new}
    response = await alice.put(f"/v1/alert-channels/{pd['id']}", json=body)
    assert response.status_code == 200
    assert (await _stored_config(alice, pd["id"]))["serviceKey"] == "f" * 32


async def _stored_config(persona: Persona, channel_id: int) -> dict[str, Any]:
    from vantage.alerting import repository

    runtime = persona.client._transport.app.state.runtime  # type: ignore[attr-defined]
    async with runtime.db.read() as conn:
        row = await repository.get(conn, persona.account_id, channel_id)
    config: dict[str, Any] = row.config
    return config


async def test_the_list_pages_with_content_range(alice: Persona) -> None:
    for i in range(3):
        await create_channel(alice, type="EMAIL", config={"address": f"a{i}@example.com"})
    response = await alice.get("/v1/alert-channels", params={"limit": 2, "page": 2})
    assert response.status_code == 200
    assert response.headers["content-range"] == "2-2/3"
    assert [c["config"]["address"] for c in response.json()] == ["a2@example.com"]


@pytest.mark.parametrize(
    ("body", "key"),
    [
        ({"type": "FAX", "config": {}}, "type"),
        ({"type": "email", "config": {"address": "a@b.c"}}, "type"),
        ({"type": "EMAIL", "config": {"address": "not an address"}}, "config.address"),
        ({"type": "EMAIL"}, "config"),
        ({"type": "PAGERDUTY", "config": {}}, "config.serviceKey"),
        ({"type": "OPSGENIE", "config": {"apiKey": "k", "region": "MARS"}}, "config.region"),
        (
            {"type": "WEBHOOK", "config": {"url": "https://x.test", "method": "BREW"}},
            "config.method",
        ),
        (
            {"type": "EMAIL", "config": {"address": "a@b.c"}, "sslExpiryThreshold": 31},
            "sslExpiryThreshold",
        ),
    ],
)
async def test_bad_channels_are_a_400_naming_the_field(
    alice: Persona, body: dict[str, Any], key: str
) -> None:
    response = await alice.post("/v1/alert-channels", json=body)
    assert response.status_code == 400, response.text
    assert key in response.json()["validation"]["keys"], response.json()


async def test_another_accounts_channel_is_a_404(alice: Persona, charlie: Persona) -> None:
    channel = await create_channel(alice, type="EMAIL", config={"address": "a@example.com"})
    path = f"/v1/alert-channels/{channel['id']}"
    assert (await charlie.get(path)).status_code == 404
    same = {"type": "EMAIL", "config": {"address": "c@example.com"}}
    assert (await charlie.put(path, json=same)).status_code == 404
    assert (await charlie.delete(path)).status_code == 404
    sub = {"checkId": None, "groupId": 1, "activated": True}
    assert (await charlie.put(f"{path}/subscriptions", json=sub)).status_code == 404
    assert (await charlie.get("/v1/alert-channels")).json() == []
    # nor can charlie's checks subscribe to it
    response = await charlie.post(
        "/v1/checks/api",
        json=api_check(
            "https://x.test",
            alertChannelSubscriptions=[{"alertChannelId": channel["id"], "activated": True}],
        ),
    )
    assert response.status_code == 400
    assert response.json()["validation"]["keys"] == ["alertChannelSubscriptions[0].alertChannelId"]
    assert (await alice.get(path)).status_code == 200


async def test_a_subscription_shows_on_the_channel_and_on_the_check(alice: Persona) -> None:
    channel = await create_channel(alice, type="EMAIL", config={"address": "a@example.com"})
    check = await create_check(alice, api_check("https://x.test", alertChannelSubscriptions=[]))
    assert check["alertChannelSubscriptions"] == []
    response = await alice.put(
        f"/v1/alert-channels/{channel['id']}/subscriptions",
        json={"checkId": check["id"], "activated": True},
    )
    assert response.status_code == 200, response.text
    sub = response.json()
    assert sub["checkId"] == check["id"] and sub["groupId"] is None and sub["activated"] is True
    got = (await alice.get(f"/v1/checks/{check['id']}")).json()
    assert got["alertChannelSubscriptions"] == [
        {"alertChannelId": channel["id"], "activated": True}
    ]
    # and back: the check turns it off
    await alice.put(
        f"/v1/checks/{check['id']}",
        json={"alertChannelSubscriptions": [{"alertChannelId": channel["id"], "activated": False}]},
    )
    listed = (await alice.get(f"/v1/alert-channels/{channel['id']}")).json()["subscriptions"]
    assert listed == [{**sub, "activated": False}]
    # deleting the channel takes it off the check
    assert (await alice.delete(f"/v1/alert-channels/{channel['id']}")).status_code == 204
    got = (await alice.get(f"/v1/checks/{check['id']}")).json()
    assert got["alertChannelSubscriptions"] == []


async def test_a_group_subscribes_through_either_side(alice: Persona) -> None:
    channel = await create_channel(alice, type="EMAIL", config={"address": "a@example.com"})
    group = await create_group(
        alice, alertChannelSubscriptions=[{"alertChannelId": channel["id"], "activated": True}]
    )
    listed = (await alice.get(f"/v1/alert-channels/{channel['id']}")).json()["subscriptions"]
    assert [(s["groupId"], s["checkId"]) for s in listed] == [(group["id"], None)]
    other = await create_group(alice, name="other")
    await alice.put(
        f"/v1/alert-channels/{channel['id']}/subscriptions",
        json={"groupId": other["id"], "activated": True},
    )
    got = (await alice.get(f"/v1/check-groups/{other['id']}")).json()
    assert got["alertChannelSubscriptions"] == [
        {"alertChannelId": channel["id"], "activated": True}
    ]


@pytest.mark.parametrize(
    "body",
    [
        {"checkId": "00000000-0000-0000-0000-000000000000", "groupId": 1, "activated": True},
        {"activated": True},
        {"checkId": "00000000-0000-0000-0000-000000000000"},
        {"checkId": "00000000-0000-0000-0000-000000000000", "activated": True},
    ],
)
async def test_a_bad_subscription_is_a_400(alice: Persona, body: dict[str, Any]) -> None:
    channel = await create_channel(alice, type="EMAIL", config={"address": "a@example.com"})
    response = await alice.put(f"/v1/alert-channels/{channel['id']}/subscriptions", json=body)
    assert response.status_code == 400, response.text


async def test_new_checks_listen_to_every_channel_unless_told_otherwise(alice: Persona) -> None:
    first = await create_channel(alice, type="EMAIL", config={"address": "a@example.com"})
    second = await create_channel(
        alice, type="EMAIL", config={"address": "b@example.com"}, autoSubscribe=True
    )
    assigned = await create_check(alice, api_check("https://x.test"))
    assert [s["alertChannelId"] for s in assigned["alertChannelSubscriptions"]] == [
        first["id"],
        second["id"],
    ]
    response = await alice.post(
        "/v1/checks/api", params={"autoAssignAlerts": "false"}, json=api_check("https://x.test")
    )
    assert [s["alertChannelId"] for s in response.json()["alertChannelSubscriptions"]] == [
        second["id"]
    ]
    listed = await create_check(alice, api_check("https://x.test", alertChannelSubscriptions=[]))
    assert listed["alertChannelSubscriptions"] == []
    subscribers = (await alice.get(f"/v1/alert-channels/{second['id']}")).json()["subscriptions"]
    assert {s["checkId"] for s in subscribers} == {assigned["id"], response.json()["id"]}


async def test_a_check_listens_to_at_most_100_channels(alice: Persona) -> None:
    ids = [
        (await create_channel(alice, type="EMAIL", config={"address": f"{i}@example.com"}))["id"]
        for i in range(101)
    ]
    assigned = await create_check(alice, api_check("https://x.test"))
    assert [s["alertChannelId"] for s in assigned["alertChannelSubscriptions"]] == ids[:100]
    response = await alice.put(
        f"/v1/alert-channels/{ids[100]}/subscriptions",
        json={"checkId": assigned["id"], "activated": True},
    )
    assert response.status_code == 400
    assert "more than 100 alert channels" in response.json()["message"]
    # one it has already is only changed
    response = await alice.put(
        f"/v1/alert-channels/{ids[0]}/subscriptions",
        json={"checkId": assigned["id"], "activated": False},
    )
    assert response.status_code == 200
