"""OPSGENIE: Opsgenie's Alert API. A failure or degradation creates an alert whose `alias` is the
incident's key (a resend only bumps its count); a recovery closes it by that alias."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from vantage.alerting.http import HttpClient, HttpError
from vantage.alerting.providers.base import Notification, Outcome, from_network_error, from_response


def request(notification: Notification, result_link: str) -> tuple[str, dict[str, Any]]:
    """The path and JSON body of the call (pure)."""
    ctx = notification.context
    alias = notification.incident_key
    if notification.kind == "recovery":
        path = f"/v2/alerts/{quote(alias, safe='')}/close?identifierType=alias"
        return path, {"source": "Vantage", "note": str(ctx.get("ALERT_TITLE", ""))}
    details = {
        "alertType": ctx.get("ALERT_TYPE"),
        "checkId": ctx.get("CHECK_ID"),
        "runLocation": ctx.get("RUN_LOCATION"),
        "responseTime": ctx.get("RESPONSE_TIME"),
        "resultLink": result_link,
    }
    body = {
        "message": str(ctx.get("ALERT_TITLE", ""))[:130],
        "alias": alias,
        "description": str(ctx.get("CHECK_ERROR_MESSAGE") or ctx.get("ALERT_TITLE", ""))[:15000],
        "tags": [str(t) for t in ctx.get("TAGS") or []][:20],
        "details": {k: str(v) for k, v in details.items() if v not in (None, "")},
        "entity": str(ctx.get("CHECK_NAME", "")),
        "source": "Vantage",
        "priority": notification.config.get("priority") or "P3",
    }
    return "/v2/alerts", body


async def send(
    client: HttpClient, notification: Notification, result_link: str, base_url: str
) -> Outcome:
    path, body = request(notification, result_link)
    headers = {"Authorization": f"GenieKey {notification.config.get('apiKey', '')}"}
    try:
        response = await client.post(f"{base_url.rstrip('/')}{path}", json=body, headers=headers)
    except HttpError as exc:
        return from_network_error(exc)
    return from_response(response)
