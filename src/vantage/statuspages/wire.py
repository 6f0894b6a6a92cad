"""Rows as Checkly's status-page API answers them (pure)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from vantage.statuspages import viewer_keys
from vantage.timeutil import iso


def service(row: Any) -> dict[str, Any]:
    return {
        "name": row.name,
        "id": row.id,
        "accountId": row.account_id,
        "created_at": iso(row.created_at),
        "updated_at": iso(row.updated_at),
    }


def _card(card: Mapping[str, Any], known: Mapping[str, Any]) -> dict[str, Any]:
    # A deleted service leaves the cards it was on.
    return {
        "id": card["id"],
        "name": card["name"],
        "services": [service(known[sid]) for sid in card.get("services", []) if sid in known],
        "created_at": card.get("created_at"),
        "updated_at": card.get("updated_at"),
    }


def page(
    row: Any,
    known: Mapping[str, Any],
    open_key: Callable[[str], str],
    *,
    listed: bool = False,
) -> dict[str, Any]:
    """`listed`: as an entry of the list, which also says the account and the timestamps.

    `keys` are a private page's viewer keys: Checkly's document lists them masked only, but
    Vantage has no other place to show the key to the page's owner, so `rawKey` is there too,
    as in a dashboard's."""
    config = row.config
    out: dict[str, Any] = {
        "name": config["name"],
        "description": config.get("description"),
        "url": row.url,
        "customDomain": row.custom_domain,
        "themeColors": config.get("themeColors"),
        "logo": config.get("logo"),
        "logoDark": config.get("logoDark"),
        "redirectTo": config.get("redirectTo"),
        "favicon": config.get("favicon"),
        "defaultTheme": config.get("defaultTheme", "AUTO"),
        "cards": [_card(card, known) for card in row.cards],
        "version": config.get("version"),
        "id": row.id,
        "isPrivate": bool(config.get("isPrivate", False)),
        "keys": viewer_keys.wire(config.get("viewerKeys"), open_key),
    }
    if listed:
        out["accountId"] = row.account_id
        out["created_at"] = iso(row.created_at)
        out["updated_at"] = iso(row.updated_at)
    else:
        out["whiteLabel"] = False
    return out


def update(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "description": row.description,
        "status": row.status,
        "publicIncidentUpdateDate": iso(row.public_at),
        "notifySubscribers": bool(row.notify_subscribers),
        "created_at": iso(row.created_at),
    }


def incident(row: Any, updates: Sequence[Any], known: Mapping[str, Any]) -> dict[str, Any]:
    end = row.resolved_at
    return {
        "name": row.name,
        "severity": row.severity,
        "id": row.id,
        "services": [service(known[sid]) for sid in row.services if sid in known],
        "incidentUpdates": [update(u) for u in updates],
        "lastUpdateStatus": row.last_update_status,
        # Seconds from opening to resolution; null while it is open.
        "duration": None if end is None else round((end - row.created_at).total_seconds()),
        "created_at": iso(row.created_at),
        "updated_at": iso(row.updated_at),
    }
