"""WEBHOOK: Checkly's templated request, signed.

URL, header and query values and the body are templates over the event's variables; an empty
template sends every variable as one JSON object (`WEBHOOK_MSTEAMS`: an Adaptive Card message).
Headers sent with every request:
- `x-checkly-signature`: hex HMAC-SHA256 of the body with the channel's `webhookSecret` (Checkly's),
  and `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">` (Standard Webhooks);
- `webhook-id`: the notification's id, the same on every retry, so a receiver can drop a resend;
- `x-checkly-timestamp` (unix ms) and `webhook-timestamp` (unix s).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any
from urllib.parse import quote

import httpx2

from vantage.alerting.providers.base import (
    Notification,
    Outcome,
    from_network_error,
    from_response,
)
from vantage.alerting.template import TemplateError, render


def variables(notification: Notification, result_link: str) -> dict[str, Any]:
    public = {k: v for k, v in notification.context.items() if not k.startswith("_")}
    return {**public, "RESULT_LINK": result_link}


def teams_card(values: dict[str, Any]) -> dict[str, Any]:
    """A Microsoft Teams workflow message (Teams takes Adaptive Cards only): the default body of
    a `WEBHOOK_MSTEAMS` channel without a template."""
    facts = [
        ("Check", values.get("CHECK_NAME")),
        ("Alert", values.get("ALERT_TYPE")),
        ("Location", values.get("RUN_LOCATION")),
        (
            "Response time",
            f"{values.get('RESPONSE_TIME')} ms" if values.get("RESPONSE_TIME") else None,
        ),
        ("Error", values.get("CHECK_ERROR_MESSAGE")),
        ("Started at", values.get("STARTED_AT")),
    ]
    card: dict[str, Any] = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": [
            {
                "type": "TextBlock",
                "text": values.get("ALERT_TITLE", ""),
                "weight": "Bolder",
                "size": "Medium",
                "wrap": True,
            },
            {"type": "FactSet", "facts": [{"title": k, "value": str(v)} for k, v in facts if v]},
        ],
        "msteams": {"width": "Full"},
    }
    if values.get("RESULT_LINK"):
        card["actions"] = [
            {"type": "Action.OpenUrl", "title": "View result", "url": values["RESULT_LINK"]}
        ]
    return {
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": None,
                "content": card,
            }
        ],
    }


def _url_variables(values: dict[str, Any]) -> dict[str, Any]:
    return {k: quote(v, safe="") if isinstance(v, str) else v for k, v in values.items()}


def build(
    notification: Notification, result_link: str, now: float | None = None
) -> tuple[str, str, dict[str, str], list[tuple[str, str | int | float | bool | None]], bytes]:
    """The request (method, url, headers, query, body) a webhook notification makes (pure)."""
    config = notification.config
    values = variables(notification, result_link)
    url = render(str(config.get("url") or ""), _url_variables(values))
    # Handlebars everywhere, as at Checkly: `{{X}}` is HTML-escaped, `{{{X}}}` is not.
    raw = values
    template = config.get("template")
    if template:
        body = render(str(template), raw).encode()
    elif config.get("webhookType") == "WEBHOOK_MSTEAMS":
        body = json.dumps(teams_card(values)).encode()
    else:
        body = json.dumps(values, default=str).encode()
    headers = {
        str(h["key"]): render(str(h.get("value", "")), raw)
        for h in config.get("headers") or []
        if isinstance(h, dict) and h.get("key")
    }
    query: list[tuple[str, str | int | float | bool | None]] = [
        (str(q["key"]), render(str(q.get("value", "")), raw))
        for q in config.get("queryParameters") or []
        if isinstance(q, dict) and q.get("key")
    ]
    if not any(k.lower() == "content-type" for k in headers):
        headers["Content-Type"] = "application/json" if _is_json(body) else "text/plain"
    stamp = time.time() if now is None else now
    headers["webhook-id"] = notification.id
    headers["webhook-timestamp"] = str(int(stamp))
    headers["x-checkly-timestamp"] = str(int(stamp * 1000))
    secret = config.get("webhookSecret")
    if secret:
        key = str(secret).encode()
        headers["x-checkly-signature"] = hmac.new(key, body, hashlib.sha256).hexdigest()
        signed = f"{notification.id}.{int(stamp)}.".encode() + body
        digest = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
        headers["webhook-signature"] = f"v1,{digest}"
    return str(config.get("method") or "POST"), url, headers, query, body


def _is_json(body: bytes) -> bool:
    try:
        json.loads(body)
    except ValueError:
        return False
    return True


async def send(client: httpx2.AsyncClient, notification: Notification, result_link: str) -> Outcome:
    try:
        method, url, headers, query, body = build(notification, result_link)
    except TemplateError as exc:
        return Outcome("FAILURE", f"template error: {exc}")
    try:
        response = await client.request(
            method,
            url,
            headers=headers,
            params=tuple(query),
            content=None if method in ("GET", "HEAD") else body,
        )
    except httpx2.HTTPError as exc:
        return from_network_error(exc)
    return from_response(response)
