"""The `webhookType` presets' default bodies, each in its service's documented format, and the
Telegram template's form turned into the Bot API's JSON."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from vantage.alerting.providers import webhook
from vantage.alerting.providers.base import Notification

CONTEXT = {
    "ALERT_TITLE": 'Check "A <b>" has failed',
    "ALERT_TYPE": "ALERT_FAILURE",
    "CHECK_NAME": "A <b>",
    "CHECK_ERROR_MESSAGE": 'expected 200, got "500"',
    "RUN_LOCATION": "local",
    "RESPONSE_TIME": 12,
    "STARTED_AT": "2026-11-27T12:00:00Z",
    "TAGS": ["team:web"],
    "_kind": "failure",
    "_incident_key": "vantage-c1-3",
}


def body(
    webhook_type: str,
    kind: str = "failure",
    template: str | None = None,
    url: str = "https://hooks.example.test/x",
) -> Any:
    config: dict[str, Any] = {"url": url, "webhookType": webhook_type}
    if template is not None:
        config["template"] = template
    alert_type = "ALERT_RECOVERY" if kind == "recovery" else "ALERT_FAILURE"
    notification = Notification(
        id="n1",
        channel_type="WEBHOOK",
        config=config,
        context={**CONTEXT, "_kind": kind, "ALERT_TYPE": alert_type},
        alert_type=alert_type,
        created_at=datetime(2026, 11, 27, tzinfo=UTC),
    )
    _, _, headers, _, raw = webhook.build(notification, "https://vantage.test/r/1", now=0)
    assert headers["Content-Type"] == "application/json"
    return json.loads(raw)


def test_discord_gets_a_message_with_one_red_embed_linking_the_result() -> None:
    message = body("WEBHOOK_DISCORD")
    assert message["content"] == 'Check "A <b>" has failed'
    [embed] = message["embeds"]
    assert embed["color"] == 0xD0021B and embed["url"] == "https://vantage.test/r/1"
    assert {"name": "Error", "value": 'expected 200, got "500"', "inline": False} in embed["fields"]
    assert body("WEBHOOK_DISCORD", "recovery")["embeds"][0]["color"] == 0x2EB67D


def test_telegram_without_a_template_sends_escaped_html_text() -> None:
    message = body("WEBHOOK_TELEGRAM")
    assert message["parse_mode"] == "HTML"
    assert message["text"].startswith('<b>Check "A &lt;b&gt;" has failed</b>\n')
    assert '<a href="https://vantage.test/r/1">View result</a>' in message["text"]


def test_telegrams_template_form_becomes_the_bot_apis_json_with_the_text_unescaped() -> None:
    template = (
        "chat_id=-100123&message_thread_id=7&parse_mode=HTML&text=<b>{{{ALERT_TITLE}}}</b> & more"
    )
    message = body("WEBHOOK_TELEGRAM", template=template)
    assert message == {
        "chat_id": "-100123",
        "message_thread_id": "7",
        "parse_mode": "HTML",
        "text": '<b>Check "A <b>" has failed</b> & more',
    }


def test_gitlab_opens_and_resolves_one_alert_by_its_fingerprint() -> None:
    opened, resolved = body("WEBHOOK_GITLAB_ALERT"), body("WEBHOOK_GITLAB_ALERT", "recovery")
    assert opened["fingerprint"] == resolved["fingerprint"] == "vantage-c1-3"
    assert opened["severity"] == "critical" and "end_time" not in opened
    assert resolved["end_time"] == "2026-11-27T12:00:00Z"
    assert opened["start_time"] == "2026-11-27T12:00:00Z" and opened["hosts"] == ["local"]


@pytest.mark.parametrize(
    ("kind", "message_type"),
    [("failure", "CRITICAL"), ("degraded", "WARNING"), ("recovery", "RECOVERY")],
)
def test_splunk_on_call_gets_its_message_type_and_one_entity_per_incident(
    kind: str, message_type: str
) -> None:
    message = body("WEBHOOK_SPLUNK", kind)
    assert message["message_type"] == message_type
    assert message["entity_id"] == "vantage-c1-3"


def test_incident_io_fires_and_resolves_by_one_deduplication_key() -> None:
    firing, resolved = body("WEBHOOK_INCIDENTIO"), body("WEBHOOK_INCIDENTIO", "recovery")
    assert (firing["status"], resolved["status"]) == ("firing", "resolved")
    assert firing["deduplication_key"] == resolved["deduplication_key"] == "vantage-c1-3"
    assert firing["metadata"]["CHECK_NAME"] == "A <b>"


def test_ilert_alerts_and_resolves_by_one_alert_key() -> None:
    alert, resolve = body("WEBHOOK_ILERT"), body("WEBHOOK_ILERT", "recovery")
    assert (alert["eventType"], resolve["eventType"]) == ("ALERT", "RESOLVE")
    assert alert["alertKey"] == resolve["alertKey"] == "vantage-c1-3"


@pytest.mark.parametrize(
    "webhook_type",
    ["WEBHOOK_FIREHYDRANT", "WEBHOOK_ROOTLY", "WEBHOOK_SPIKESH", "WEBHOOK_CORALOGIX"],
)
def test_services_that_read_checklys_variables_get_every_variable(webhook_type: str) -> None:
    message = body(webhook_type)
    assert message["ALERT_TYPE"] == "ALERT_FAILURE" and message["TAGS"] == ["team:web"]
    assert message["RESULT_LINK"] == "https://vantage.test/r/1"


def test_a_template_wins_over_the_preset() -> None:
    assert body("WEBHOOK_DISCORD", template='{"content": {{json CHECK_NAME}}}') == {
        "content": "A <b>"
    }


def test_google_chat_gets_text_and_one_card_in_the_incidents_thread() -> None:
    message = body("WEBHOOK_GOOGLE_CHAT")
    assert message["text"] == 'Check "A <b>" has failed'
    [entry] = message["cardsV2"]
    card = entry["card"]
    assert card["header"] == {"title": 'Check "A &lt;b&gt;" has failed', "subtitle": "A &lt;b&gt;"}
    [section] = card["sections"]
    facts = {
        w["decoratedText"]["topLabel"]: w["decoratedText"]["text"] for w in section["widgets"][:-1]
    }
    assert facts["Error"] == 'expected 200, got "500"' and facts["Location"] == "local"
    [button] = section["widgets"][-1]["buttonList"]["buttons"]
    assert button["onClick"]["openLink"]["url"] == "https://vantage.test/r/1"
    recovered = body("WEBHOOK_GOOGLE_CHAT", "recovery")
    assert message["thread"] == recovered["thread"] == {"threadKey": "vantage-c1-3"}
