"""Pure pieces of alerting: webhook templates, secret masking, maintenance windows, retry delays,
and the payloads providers build."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from vantage.alerting import maintenance, retry, secrets
from vantage.alerting.providers import base, opsgenie, pagerduty
from vantage.alerting.providers.base import Notification
from vantage.alerting.template import TemplateError, render

VARS: dict[str, Any] = {
    "CHECK_NAME": 'Say "hi" <now>',
    "CHECK_ERROR_MESSAGE": 'line 1\nC:\\path "quoted"',
    "TAGS": ["prod", "api", "team:ops"],
    "IS_REMINDER": False,
    "REMINDER_SEQUENCE": 0,
    "ALERT_TYPE": "ALERT_FAILURE",
}


def test_double_braces_escape_as_handlebars_and_triple_braces_do_not() -> None:
    assert render("{{CHECK_NAME}}", VARS) == "Say &quot;hi&quot; &lt;now&gt;"
    assert render("{{{CHECK_NAME}}}", VARS) == 'Say "hi" <now>'
    assert render("a={{X}}", {"X": "b=c`"}) == "a=b&#x3D;c&#x60;"
    assert render("[{{MISSING}}]", VARS) == "[]"


def test_the_json_helper_keeps_any_error_message_valid_json() -> None:
    body = render('{"error": {{json CHECK_ERROR_MESSAGE}}, "tags": {{json TAGS}}}', VARS)
    assert json.loads(body) == {"error": VARS["CHECK_ERROR_MESSAGE"], "tags": VARS["TAGS"]}


def test_blocks_if_unless_each_and_eq() -> None:
    each = "{{#each TAGS}}{{@index}}:{{this}}{{#unless @last}}, {{/unless}}{{/each}}"
    assert render(each, VARS) == "0:prod, 1:api, 2:team:ops"
    assert render("{{#if IS_REMINDER}}again{{else}}first{{/if}}", VARS) == "first"
    assert render('{{#eq ALERT_TYPE "ALERT_FAILURE"}}down{{else}}up{{/eq}}', VARS) == "down"
    assert render("{{#each NOTHING}}x{{else}}none{{/each}}", VARS) == "none"
    assert render("{{! a comment }}ok", VARS) == "ok"
    assert len(render("{{$UUID}}", VARS)) == 36


@pytest.mark.parametrize(
    "template", ["{{#if X}}open", "{{/if}}", "{{else}}", "{{#if X}}{{/each}}", "{{frobnicate A}}"]
)
def test_a_malformed_template_is_a_template_error(template: str) -> None:
    with pytest.raises(TemplateError):
        render(template, VARS)


def test_masking_keeps_four_characters_and_restoring_takes_back_only_echoed_masks() -> None:
    stored = {
        "url": "https://api.telegram.org/bot123456:ABCDEF/sendMessage?x=1",
        "headers": [
            {"key": "Authorization", "value": "Bearer abcdefghijkl"},
            {"key": "X-Team", "value": "ops"},
        ],
        "webhookSecret": "short",
    }
    shown = secrets.masked("WEBHOOK", stored)
    assert shown["url"] == ("https://api.telegram.org/********sage?********")
    assert shown["headers"] == [
        {"key": "Authorization", "value": "********ijkl"},
        {"key": "X-Team", "value": "ops"},
    ]
    assert shown["webhookSecret"] == "********"
    assert secrets.restore("WEBHOOK", stored, shown) == stored
    changed = {**shown, "webhookSecret": "new-secret"}
    assert secrets.restore("WEBHOOK", stored, changed)["webhookSecret"] == "new-secret"


def window(**fields: Any) -> dict[str, Any]:
    return {"startsAt": "2026-03-02T09:00:00Z", "endsAt": "2026-03-02T10:00:00Z", **fields}


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_a_one_off_window_is_on_between_its_start_and_end() -> None:
    assert maintenance.is_active(window(), at("2026-03-02T09:30:00"))
    assert not maintenance.is_active(window(), at("2026-03-02T10:00:00"))
    assert not maintenance.is_active(window(), at("2026-03-02T08:59:59"))


def test_a_repeating_window_keeps_its_wall_time_and_stops_after_its_last_day() -> None:
    weekly = window(
        startsAt="2026-03-02T09:00:00+01:00",
        endsAt="2026-03-02T10:00:00+01:00",
        repeatInterval=1,
        repeatUnit="WEEK",
        repeatEndsAt="2026-04-06",
        timezone="Europe/Berlin",
    )
    # after the DST change 09:00 Berlin is 07:00 UTC
    assert maintenance.is_active(weekly, at("2026-03-30T07:30:00"))
    assert not maintenance.is_active(weekly, at("2026-03-30T08:30:00"))
    assert not maintenance.is_active(weekly, at("2026-03-31T07:30:00"))
    assert maintenance.is_active(weekly, at("2026-04-06T07:30:00"))
    assert not maintenance.is_active(weekly, at("2026-04-13T07:30:00"))


def test_a_monthly_window_from_the_31st_falls_back_to_the_months_end() -> None:
    monthly = window(
        startsAt="2026-01-31T22:00:00Z",
        endsAt="2026-01-31T23:00:00Z",
        repeatInterval=1,
        repeatUnit="MONTH",
    )
    assert maintenance.is_active(monthly, at("2026-02-28T22:30:00"))
    assert maintenance.is_active(monthly, at("2026-03-31T22:30:00"))
    assert not maintenance.is_active(monthly, at("2026-03-28T22:30:00"))


def test_a_window_silences_checks_with_any_of_its_tags_or_their_groups_tags() -> None:
    windows = [window(tags=["db"])]
    assert maintenance.silences(windows, ["db", "x"], None)
    assert maintenance.silences(windows, ["x"], {"tags": ["db"]})
    assert not maintenance.silences(windows, ["x"], None)
    assert maintenance.silences([window(silenceAllAlerts=True)], [], None)


def test_retry_delays_grow_with_jitter_and_honour_retry_after_up_to_a_cap() -> None:
    assert retry.delay_seconds(1, 10, rand=lambda: 0.5) == 10
    assert retry.delay_seconds(2, 10, rand=lambda: 0.5) == 30
    assert retry.delay_seconds(1, 10, rand=lambda: 0.0) == pytest.approx(8)
    assert retry.delay_seconds(1, 10, rand=lambda: 1.0) == pytest.approx(12)
    assert retry.delay_seconds(99, 10, rand=lambda: 0.5) == 900
    assert retry.delay_seconds(1, 10, retry_after=120, rand=lambda: 0.5) == 120
    assert retry.delay_seconds(1, 10, retry_after=10_000, rand=lambda: 0.5) == 900
    assert retry.gives_up(12, 12) and not retry.gives_up(11, 12)
    assert base.retry_after_seconds("7") == 7
    now = datetime(2026, 1, 1, tzinfo=UTC)
    later = (now + timedelta(seconds=30)).strftime("%a, %d %b %Y %H:%M:%S GMT")
    assert base.retry_after_seconds(later, now) == 30


def notification(kind: str, config: dict[str, Any]) -> Notification:
    return Notification(
        id="n1",
        channel_type="PAGERDUTY",
        config=config,
        context={"ALERT_TITLE": "t", "_kind": kind, "_incident_key": "vantage-c-3", "TAGS": []},
        alert_type="ALERT_DEGRADED" if kind == "degraded" else "ALERT_RECOVERY",
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
    )


def test_pagerduty_warns_on_degraded_and_resolves_by_the_same_key() -> None:
    degraded = pagerduty.payload(notification("degraded", {"serviceKey": "k"}), "")
    assert degraded["payload"]["severity"] == "warning"
    assert degraded["dedup_key"] == "vantage-c-3"
    assert "links" not in degraded
    resolve = pagerduty.payload(notification("recovery", {"serviceKey": "k"}), "")
    assert resolve == {"routing_key": "k", "event_action": "resolve", "dedup_key": "vantage-c-3"}


def test_opsgenie_defaults_to_p3() -> None:
    path, body = opsgenie.request(notification("degraded", {"apiKey": "k"}), "")
    assert path == "/v2/alerts" and body["priority"] == "P3" and body["alias"] == "vantage-c-3"


def test_the_alert_lease_must_outlast_a_send() -> None:
    from vantage.config import Settings

    with pytest.raises(ValueError, match="VANTAGE_ALERT_LEASE_SECONDS"):
        Settings(alert_lease_seconds=5, alert_send_timeout_seconds=10)
    assert Settings(alert_lease_seconds=12, alert_send_timeout_seconds=10).alert_lease_seconds == 12


def test_a_teams_webhook_without_a_template_sends_an_adaptive_card() -> None:
    from vantage.alerting.providers import webhook

    teams = Notification(
        id="n2",
        channel_type="WEBHOOK",
        config={"url": "https://example.test/workflows", "webhookType": "WEBHOOK_MSTEAMS"},
        context={"ALERT_TITLE": 'Check "A" has failed', "CHECK_NAME": "A", "_kind": "failure"},
        alert_type="ALERT_FAILURE",
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    _, _, headers, _, body = webhook.build(teams, "https://vantage.test/r/1", now=0)
    message = json.loads(body)
    [attachment] = message["attachments"]
    assert message["type"] == "message"
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard" and card["body"][0]["text"] == 'Check "A" has failed'
    assert card["actions"][0]["url"] == "https://vantage.test/r/1"
    assert headers["Content-Type"] == "application/json"
