"""Default bodies of Checkly's `webhookType` presets (pure): what a WEBHOOK channel of that type
sends when it has no `template`, in the receiving service's own format. These are Vantage's
bodies, written from each service's documented intake, not Checkly's (unpublished) templates.

- WEBHOOK_MSTEAMS: a Teams workflow message with one Adaptive Card (Teams takes no other card).
- WEBHOOK_DISCORD: a Discord webhook message with one coloured embed.
- WEBHOOK_TELEGRAM: a Bot API `sendMessage` body (HTML); `chat_id` comes from the template's
  `chat_id=…&…&text=…` form, or stays in the URL's query.
- WEBHOOK_GOOGLE_CHAT (Vantage's own value; Checkly has no Google Chat preset): a Google Chat
  incoming-webhook message, `text` (the title) and one `cardsV2` card (the facts, a button to the
  result), in the incident's `thread` (`threadKey`: the incident key), which Chat honours when the
  URL asks `messageReplyOption=REPLY_MESSAGE_FALLBACK_TO_NEW_THREAD`.
- WEBHOOK_GITLAB_ALERT: GitLab's HTTP alert endpoint; the recovery sends `end_time` with the same
  `fingerprint`, which resolves the alert.
- WEBHOOK_SPLUNK: Splunk On-Call's REST endpoint (`message_type` CRITICAL, WARNING, RECOVERY).
- WEBHOOK_INCIDENTIO: an incident.io HTTP alert source (`status` firing / resolved).
- WEBHOOK_ILERT: iLert's events API (`eventType` ALERT / RESOLVE).
- Others (WEBHOOK_FIREHYDRANT, WEBHOOK_ROOTLY, WEBHOOK_SPIKESH, WEBHOOK_CORALOGIX): their
  Checkly integrations read Checkly's variables, so the default body, every variable as one JSON
  object, is theirs too.

Each firing and its recovery share one key (the incident key, as PagerDuty's `dedup_key`), so the
service closes what it opened.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import parse_qsl

Values = Mapping[str, Any]

# Red, amber, green: failure, degraded, recovery (Slack's colours).
COLOURS = {"failure": 0xD0021B, "degraded": 0xF5A623, "recovery": 0x2EB67D}


def _facts(values: Values) -> list[tuple[str, str]]:
    response = values.get("RESPONSE_TIME")
    facts = [
        ("Check", values.get("CHECK_NAME")),
        ("Alert", values.get("ALERT_TYPE")),
        ("Location", values.get("RUN_LOCATION")),
        ("Response time", f"{response} ms" if response else None),
        ("Error", values.get("CHECK_ERROR_MESSAGE")),
        ("Started at", values.get("STARTED_AT")),
    ]
    return [(k, str(v)) for k, v in facts if v]


def teams(values: Values, kind: str, key: str) -> dict[str, Any]:
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
            {"type": "FactSet", "facts": [{"title": k, "value": v} for k, v in _facts(values)]},
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


def discord(values: Values, kind: str, key: str) -> dict[str, Any]:
    title = str(values.get("ALERT_TITLE", ""))
    embed: dict[str, Any] = {
        "title": title[:256],
        "color": COLOURS[kind],
        # Discord's limits: 25 fields, 1024 characters a value.
        "fields": [
            {"name": k, "value": v[:1024], "inline": k != "Error"} for k, v in _facts(values)
        ],
    }
    if values.get("RESULT_LINK"):
        embed["url"] = values["RESULT_LINK"]
    if values.get("STARTED_AT"):
        embed["timestamp"] = values["STARTED_AT"]
    return {"content": title[:2000], "embeds": [embed]}


def _html(text: Any) -> str:
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def telegram_text(values: Values) -> str:
    lines = [f"<b>{_html(values.get('ALERT_TITLE', ''))}</b>"]
    lines += [f"{_html(k)}: {_html(v)}" for k, v in _facts(values) if k != "Check"]
    if values.get("RESULT_LINK"):
        lines.append(f'<a href="{_html(values["RESULT_LINK"])}">View result</a>')
    return "\n".join(lines)


def telegram(values: Values, kind: str, key: str) -> dict[str, Any]:
    return {"parse_mode": "HTML", "text": telegram_text(values)}


def telegram_from_template(rendered: str) -> dict[str, Any]:
    """Checkly's Telegram template is `chat_id=…[&message_thread_id=…]&parse_mode=HTML&text=…`
    with the text unescaped: everything after the first `&text=` is the text, whatever it holds."""
    head, found, text = rendered.partition("&text=")
    if not found and rendered.startswith("text="):
        head, text = "", rendered[len("text=") :]
    body: dict[str, Any] = dict(parse_qsl(head, keep_blank_values=True))
    body["text"] = text
    return body


def google_chat(values: Values, kind: str, key: str) -> dict[str, Any]:
    title = str(values.get("ALERT_TITLE", ""))
    # Card text takes Chat's HTML subset: escaped, so a check's name shows as written.
    widgets: list[dict[str, Any]] = [
        {"decoratedText": {"topLabel": k, "text": _html(v), "wrapText": True}}
        for k, v in _facts(values)
    ]
    if values.get("RESULT_LINK"):
        button = {"text": "View result", "onClick": {"openLink": {"url": values["RESULT_LINK"]}}}
        widgets.append({"buttonList": {"buttons": [button]}})
    card = {
        "header": {"title": _html(title), "subtitle": _html(values.get("CHECK_NAME") or "")},
        "sections": [{"widgets": widgets}],
    }
    return {
        "text": title,
        "cardsV2": [{"cardId": f"vantage-{kind}", "card": card}],
        "thread": {"threadKey": key},
    }


def gitlab(values: Values, kind: str, key: str) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": values.get("ALERT_TITLE", ""),
        "description": values.get("CHECK_ERROR_MESSAGE") or values.get("ALERT_TITLE", ""),
        "start_time": values.get("STARTED_AT"),
        "service": values.get("CHECK_NAME"),
        "monitoring_tool": "Vantage",
        "severity": "critical" if kind == "failure" else "medium",
        "fingerprint": key,
        "hosts": [values["RUN_LOCATION"]] if values.get("RUN_LOCATION") else [],
    }
    if kind == "recovery":
        body["end_time"] = values.get("STARTED_AT")
    return body


def splunk(values: Values, kind: str, key: str) -> dict[str, Any]:
    types = {"failure": "CRITICAL", "degraded": "WARNING", "recovery": "RECOVERY"}
    return {
        "message_type": types[kind],
        "entity_id": key,
        "entity_display_name": values.get("ALERT_TITLE", ""),
        "state_message": values.get("CHECK_ERROR_MESSAGE") or values.get("ALERT_TITLE", ""),
        "monitoring_tool": "Vantage",
        "alert_url": values.get("RESULT_LINK") or None,
    }


def incidentio(values: Values, kind: str, key: str) -> dict[str, Any]:
    return {
        "title": values.get("ALERT_TITLE", ""),
        "description": values.get("CHECK_ERROR_MESSAGE") or "",
        "deduplication_key": key,
        "status": "resolved" if kind == "recovery" else "firing",
        "source_url": values.get("RESULT_LINK") or None,
        "metadata": {k: v for k, v in values.items() if k not in ("ALERT_TITLE",)},
    }


def ilert(values: Values, kind: str, key: str) -> dict[str, Any]:
    body: dict[str, Any] = {
        "eventType": "RESOLVE" if kind == "recovery" else "ALERT",
        "summary": values.get("ALERT_TITLE", ""),
        "details": values.get("CHECK_ERROR_MESSAGE") or "",
        "alertKey": key,
        "priority": "HIGH" if kind == "failure" else "LOW",
    }
    if values.get("RESULT_LINK"):
        body["links"] = [{"href": values["RESULT_LINK"], "text": "View result"}]
    return body


PRESETS: Mapping[str, Callable[[Values, str, str], dict[str, Any]]] = {
    "WEBHOOK_MSTEAMS": teams,
    "WEBHOOK_DISCORD": discord,
    "WEBHOOK_TELEGRAM": telegram,
    "WEBHOOK_GOOGLE_CHAT": google_chat,
    "WEBHOOK_GITLAB_ALERT": gitlab,
    "WEBHOOK_SPLUNK": splunk,
    "WEBHOOK_INCIDENTIO": incidentio,
    "WEBHOOK_ILERT": ilert,
}


def default_body(webhook_type: Any, values: Values, kind: str, key: str) -> dict[str, Any] | None:
    """The preset's body, or None: the channel sends every variable as one JSON object."""
    preset = PRESETS.get(str(webhook_type or ""))
    return preset(values, kind, key) if preset is not None else None
