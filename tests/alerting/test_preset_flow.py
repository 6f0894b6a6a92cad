"""The chat presets end to end: a failing run and its recovery reach a real receiver in the
service's own message format (Teams, Telegram, Discord, Google Chat), once each, on both
databases."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.alerting.flow import channel, check, point_at, run, settled
from tests.alerting.receiver import Receiver
from tests.support.harness import Harness, Persona
from tests.targets.http_target import HttpTarget

FAILED, RECOVERED = 'Check "Shop" has failed', 'Check "Shop" has recovered'


# Each reads one message: its title, and its link to the run's result (under `link`).
def teams(message: Any, title: str, link: str) -> None:
    assert message["type"] == "message"
    [attachment] = message["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard" and card["body"][0]["text"] == title
    assert card["actions"][0]["url"].startswith(link)


def telegram(message: Any, title: str, link: str) -> None:
    assert message["parse_mode"] == "HTML"
    assert message["text"].startswith(f"<b>{title}</b>\n")
    assert f'<a href="{link}' in message["text"] and message["text"].endswith('">View result</a>')


def discord(message: Any, title: str, link: str) -> None:
    assert message["content"] == title
    [embed] = message["embeds"]
    assert embed["title"] == title and embed["url"].startswith(link)
    assert embed["color"] == (0x2EB67D if title == RECOVERED else 0xD0021B)


def google_chat(message: Any, title: str, link: str) -> None:
    assert message["text"] == title
    [entry] = message["cardsV2"]
    widgets = entry["card"]["sections"][0]["widgets"]
    assert widgets[-1]["buttonList"]["buttons"][0]["onClick"]["openLink"]["url"].startswith(link)
    assert message["thread"]["threadKey"].startswith("vantage-")


@pytest.mark.parametrize(
    ("webhook_type", "reads"),
    [
        ("WEBHOOK_MSTEAMS", teams),
        ("WEBHOOK_TELEGRAM", telegram),
        ("WEBHOOK_DISCORD", discord),
        ("WEBHOOK_GOOGLE_CHAT", google_chat),
    ],
)
async def test_it_sends_a_failure_and_its_recovery_in_the_chat_services_own_format(
    vantage: Harness,
    alice: Persona,
    http_target: HttpTarget,
    receiver: Receiver,
    webhook_type: str,
    reads: Callable[[Any, str, str], None],
) -> None:
    url = f"{receiver.url}/chat?chat_id=-100123"
    hook = await channel(
        alice, "WEBHOOK", {"name": "chat", "url": url, "webhookType": webhook_type}
    )
    check_id = await check(alice, http_target, [hook], name="Shop")

    assert await run(alice, check_id) == "FAILED"
    await point_at(alice, check_id, http_target, "/ok")
    assert await run(alice, check_id) == "PASSED"

    failure, recovery = await receiver.wait_for(2)
    for got, title in ((failure, FAILED), (recovery, RECOVERED)):
        assert (got.method, got.path, got.query) == ("POST", "/chat", [("chat_id", "-100123")])
        assert got.headers["content-type"] == "application/json"
        reads(got.json(), title, f"http://vantage.test/v1/check-results/{check_id}/")
    rows = await settled(vantage, 2)
    assert [(r.alert_type, r.status) for r in rows] == [
        ("ALERT_FAILURE", "SUCCESS"),
        ("ALERT_RECOVERY", "SUCCESS"),
    ]
    if webhook_type == "WEBHOOK_GOOGLE_CHAT":  # one incident, one thread
        assert failure.json()["thread"] == recovery.json()["thread"]
