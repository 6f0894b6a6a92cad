"""An alert channel's secrets, masked in every answer (pure).

Secrets: PagerDuty's `serviceKey`, Opsgenie's `apiKey`, a webhook's `webhookSecret`, the tokens in
Slack's and webhooks' URLs (their path and query string: Slack's `/services/T…/B…/x…`, Telegram's
`/bot<token>/…`, Discord's `/api/webhooks/<id>/<token>`, Teams' `sig=`; user info is dropped),
and the values of headers and query parameters that are `locked` or named like a credential.
A masked value keeps its last four characters, so a user can tell keys apart.

A client that reads a channel and sends it back (Terraform, the CLI) echoes the masked values:
`restore` puts the stored secret back wherever the masked form of it comes back unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit, urlunsplit

MASK = "********"
SECRET_FIELDS = ("serviceKey", "apiKey", "webhookSecret")
URL_FIELDS = {"SLACK": "url", "WEBHOOK": "url"}
_CREDENTIAL = re.compile(r"auth|token|secret|key|sig|pass|cookie|session", re.IGNORECASE)


def mask(value: str) -> str:
    if len(value) <= 8:
        return MASK
    return MASK + value[-4:]


def mask_url(url: str) -> str:
    """Scheme and host stay; the path and query, where such URLs carry their token, are masked."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return mask(url)
    netloc = parts.hostname or ""
    if port:
        netloc = f"{netloc}:{port}"
    path = "/" + mask(parts.path.lstrip("/")) if parts.path.strip("/") else parts.path
    query = mask(parts.query) if parts.query else ""
    return urlunsplit((parts.scheme, netloc, path, query, ""))


def _secret_pair(pair: Mapping[str, Any]) -> bool:
    return bool(pair.get("locked")) or bool(_CREDENTIAL.search(str(pair.get("key", ""))))


def _mask_pairs(pairs: Any) -> Any:
    if not isinstance(pairs, list):
        return pairs
    return [
        {**p, "value": mask(str(p.get("value", "")))}
        if isinstance(p, dict) and _secret_pair(p)
        else p
        for p in pairs
    ]


def masked(channel_type: str, config: Mapping[str, Any]) -> dict[str, Any]:
    """The config as answers show it."""
    out = dict(config)
    for name in SECRET_FIELDS:
        if isinstance(out.get(name), str) and out[name]:
            out[name] = mask(out[name])
    url_field = URL_FIELDS.get(channel_type)
    if url_field and isinstance(out.get(url_field), str):
        out[url_field] = mask_url(out[url_field])
    for name in ("headers", "queryParameters"):
        if name in out:
            out[name] = _mask_pairs(out[name])
    return out


def _restore_pairs(stored: Any, sent: Any) -> Any:
    if not isinstance(stored, list) or not isinstance(sent, list):
        return sent
    by_key = {
        p.get("key"): p.get("value")
        for p in stored
        if isinstance(p, dict) and isinstance(p.get("key"), str) and _secret_pair(p)
    }
    out = []
    for pair in sent:
        if isinstance(pair, dict) and isinstance(pair.get("key"), str) and pair["key"] in by_key:
            old = str(by_key[pair.get("key")] or "")
            if pair.get("value") == mask(old):
                pair = {**pair, "value": old}
        out.append(pair)
    return out


def restore(
    channel_type: str, stored: Mapping[str, Any], sent: Mapping[str, Any]
) -> dict[str, Any]:
    """`sent` with every masked secret it echoes replaced by the stored secret."""
    out = dict(sent)
    for name in SECRET_FIELDS:
        old = stored.get(name)
        if isinstance(old, str) and old and out.get(name) == mask(old):
            out[name] = old
    url_field = URL_FIELDS.get(channel_type)
    old_url = stored.get(url_field) if url_field else None
    if url_field and isinstance(old_url, str) and out.get(url_field) == mask_url(old_url):
        out[url_field] = old_url
    for name in ("headers", "queryParameters"):
        if name in out:
            out[name] = _restore_pairs(stored.get(name), out[name])
    return out
