"""Viewer keys of private dashboards and status pages: Checkly's `keys`, a password a reader
types once to see a page marked `isPrivate`.

A key is made when a page first becomes private and is kept while it is (a client that sends the
answer back unchanged does not rotate it). It is stored sealed (`vantage.sealing`), because the
API answers it in full (`rawKey`, as Checkly's does: Terraform keeps it in its state), and is
never logged. A reader who typed it gets a cookie scoped to the page's path: an HMAC of the page
under the key, so the cookie proves the key without holding it, and a new key voids old cookies.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from vantage.timeutil import iso

COOKIE_MAX_AGE = 30 * 86400


def kept(
    stored: list[dict[str, Any]] | None, private: bool, now: datetime, seal: Callable[[str], str]
) -> list[dict[str, Any]]:
    """The keys a page stores after a write: its old ones while private (one made if none)."""
    if not private:
        return []
    if stored:
        return stored
    raw = secrets.token_urlsafe(18)
    return [
        {
            "id": str(uuid.uuid4()),
            "sealedKey": seal(raw),
            "maskedKey": raw[:4] + "*" * (len(raw) - 4),
            "created_at": iso(now),
            "updated_at": None,
        }
    ]


def wire(stored: list[dict[str, Any]] | None, open_: Callable[[str], str]) -> list[dict[str, Any]]:
    """The keys as Checkly's API answers them."""
    return [
        {
            "id": k["id"],
            "rawKey": open_(k["sealedKey"]),
            "maskedKey": k["maskedKey"],
            "created_at": k["created_at"],
            "updated_at": k.get("updated_at"),
        }
        for k in stored or []
    ]


def proof(raw_key: str, page: str) -> str:
    return hmac.new(raw_key.encode(), f"viewer:{page}".encode(), hashlib.sha256).hexdigest()


def matching(
    stored: list[dict[str, Any]] | None, typed: str, open_: Callable[[str], str]
) -> str | None:
    """The raw key the reader typed, when it is one of the page's."""
    for k in stored or []:
        raw = open_(k["sealedKey"])
        if typed and hmac.compare_digest(raw.encode(), typed.encode()):
            return raw
    return None


def admits(
    stored: list[dict[str, Any]] | None, page: str, cookie: str, open_: Callable[[str], str]
) -> bool:
    """Whether the reader's cookie proves one of the page's keys."""
    if not cookie:
        return False
    return any(
        hmac.compare_digest(proof(open_(k["sealedKey"]), page), cookie) for k in stored or []
    )


def cookie_name(page: str) -> str:
    # one per page: a reader of two private pages keeps both
    return "vantage_view_" + hashlib.sha256(page.encode()).hexdigest()[:16]
