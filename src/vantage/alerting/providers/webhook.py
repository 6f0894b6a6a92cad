"""WEBHOOK: Checkly's templated request, signed.

URL, header and query values and the body are templates over the event's variables and the
account's (`{{API_TOKEN}}`: an account variable, secret or not; an event variable of the same name
wins); an empty template sends every event variable (never an account's) as one JSON object, or
the `webhookType` preset's body in its service's format (`presets`).
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

from vantage.alerting.http import HttpClient, HttpError, InvalidRequest
from vantage.alerting.providers import presets
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


# method, url, headers, query, body
Request = tuple[str, str, dict[str, str], list[tuple[str, str | int | float | bool | None]], bytes]


def _url_variables(values: dict[str, Any]) -> dict[str, Any]:
    return {k: quote(v, safe="") if isinstance(v, str) else v for k, v in values.items()}


def build(notification: Notification, result_link: str, now: float | None = None) -> Request:
    """The request (method, url, headers, query, body) a webhook notification makes (pure)."""
    config = notification.config
    values = variables(notification, result_link)
    # What templates may name: the account's variables, then the event's over them.
    raw = {**notification.account_variables, **values}
    url = render(str(config.get("url") or ""), _url_variables(raw))
    # Handlebars everywhere, as at Checkly: `{{X}}` is HTML-escaped, `{{{X}}}` is not.
    template = config.get("template")
    kind = str(notification.context.get("_kind") or "failure")
    incident = str(notification.context.get("_incident_key") or notification.id)
    preset = config.get("webhookType")
    if template and preset == "WEBHOOK_TELEGRAM":
        # Checkly's Telegram template is form-like with the text unescaped; the Bot API gets JSON.
        telegram = presets.telegram_from_template(render(str(template), raw))
        body = json.dumps(telegram).encode()
    elif template:
        body = render(str(template), raw).encode()
    else:
        default = presets.default_body(preset, values, kind, incident)
        body = json.dumps(values if default is None else default, default=str).encode()
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


async def send(
    client: HttpClient,
    notification: Notification,
    result_link: str,
    built: Request | None = None,
) -> Outcome:
    """Send the notification's request (`built`: already built by the caller, which checked
    its URL)."""
    if built is None:
        try:
            built = build(notification, result_link)
        except TemplateError as exc:
            return Outcome("FAILURE", f"template error: {exc}")
    method, url, headers, query, body = built
    try:
        response = await client.request(
            method,
            url,
            headers=headers,
            params=tuple(query),
            content=None if method in ("GET", "HEAD") else body,
        )
    except InvalidRequest as exc:  # as the template made it: resending will not help
        return Outcome("FAILURE", f"invalid request: {exc}")
    except HttpError as exc:
        return from_network_error(exc)
    return from_response(response)
