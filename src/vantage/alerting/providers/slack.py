"""SLACK: a message to a Slack incoming webhook (the channel's `url`), a coloured attachment with
the check's facts and a button to the result. Slack answers 200 `ok`; anything else is its error."""

from __future__ import annotations

from typing import Any

from vantage.alerting.http import HttpClient, HttpError
from vantage.alerting.providers.base import Notification, Outcome, from_network_error, from_response

COLOURS = {"failure": "#d0021b", "degraded": "#f5a623", "recovery": "#2eb67d"}


def payload(notification: Notification, result_link: str) -> dict[str, Any]:
    ctx = notification.context
    title = str(ctx.get("ALERT_TITLE", ""))[:150]
    facts = [
        ("Check", ctx.get("CHECK_NAME")),
        ("Alert", ctx.get("ALERT_TYPE")),
        ("Location", ctx.get("RUN_LOCATION")),
        ("Response time", f"{ctx.get('RESPONSE_TIME')} ms" if ctx.get("RESPONSE_TIME") else None),
        ("Group", ctx.get("GROUP_NAME")),
        ("Started at", ctx.get("STARTED_AT")),
    ]
    fields = [{"type": "mrkdwn", "text": f"*{k}*\n{v}"[:2000]} for k, v in facts if v]
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": title or "Vantage alert"}},
        {"type": "section", "fields": fields[:10]},
    ]
    error = ctx.get("CHECK_ERROR_MESSAGE")
    if error:
        blocks.append(
            {"type": "section", "text": {"type": "mrkdwn", "text": f"```{error}"[:2997] + "```"}}
        )
    if result_link:
        blocks.append(
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "text": {"type": "plain_text", "text": "View result"},
                        "url": result_link,
                    }
                ],
            }
        )
    body: dict[str, Any] = {
        "text": title,
        "attachments": [{"color": COLOURS.get(notification.kind, "#d0021b"), "blocks": blocks}],
    }
    channel = notification.config.get("channel")
    if channel:
        body["channel"] = channel
    return body


async def send(client: HttpClient, notification: Notification, result_link: str) -> Outcome:
    try:
        response = await client.post(
            str(notification.config["url"]), json=payload(notification, result_link)
        )
    except HttpError as exc:
        return from_network_error(exc)
    return from_response(response)
