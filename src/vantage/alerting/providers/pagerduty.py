"""PAGERDUTY: PagerDuty's Events API v2. A failure or degradation triggers, a recovery resolves,
both with one `dedup_key` per incident (`vantage-<checkId>-<episode>`), so a resend after a crash
is absorbed by PagerDuty and the resolve closes exactly the incident the trigger opened."""

from __future__ import annotations

from typing import Any

from vantage.alerting.http import HttpClient, HttpError
from vantage.alerting.providers.base import Notification, Outcome, from_network_error, from_response

SEVERITY = {"failure": "critical", "degraded": "warning"}


def payload(notification: Notification, result_link: str) -> dict[str, Any]:
    ctx = notification.context
    key = notification.incident_key
    routing = str(notification.config.get("serviceKey", ""))
    if notification.kind == "recovery":
        return {"routing_key": routing, "event_action": "resolve", "dedup_key": key}
    body: dict[str, Any] = {
        "routing_key": routing,
        "event_action": "trigger",
        "dedup_key": key,
        "payload": {
            "summary": str(ctx.get("ALERT_TITLE", ""))[:1024],
            "source": str(ctx.get("RUN_LOCATION") or "vantage"),
            "severity": SEVERITY.get(notification.kind, "critical"),
            "timestamp": ctx.get("STARTED_AT"),
            "component": ctx.get("CHECK_NAME"),
            "group": ctx.get("GROUP_NAME") or None,
            "class": ctx.get("CHECK_TYPE"),
            "custom_details": {
                "alertType": ctx.get("ALERT_TYPE"),
                "checkId": ctx.get("CHECK_ID"),
                "error": ctx.get("CHECK_ERROR_MESSAGE") or None,
                "responseTime": ctx.get("RESPONSE_TIME"),
                "tags": ctx.get("TAGS"),
            },
        },
        "client": "Vantage",
    }
    if result_link:
        body["client_url"] = result_link
        body["links"] = [{"href": result_link, "text": "Check result"}]
    return body


async def send(
    client: HttpClient, notification: Notification, result_link: str, base_url: str
) -> Outcome:
    try:
        response = await client.post(
            f"{base_url.rstrip('/')}/v2/enqueue", json=payload(notification, result_link)
        )
    except HttpError as exc:
        return from_network_error(exc)
    return from_response(response)
