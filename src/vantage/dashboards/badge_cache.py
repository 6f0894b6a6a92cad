"""Rendered badges, kept for a few seconds per process as the public pages are (`public_cache`).

A badge in a README is fetched by every reader of the README, with the one API key written into
its URL. Each copy is kept under that key's hash, the `X-Checkly-Account` sent with it and the
path and query, so the next reader with the same key gets the same bytes with no statement at
all: neither the key's lookup nor the status read (nor the rate limiter's count). A copy is only
ever made after its key was looked up and found good, so an unknown key is never answered from
here; a key revoked meanwhile gets for at most `TTL_SECONDS` the bytes it was already given.

A check's status change clears every badge at once (the result intake that stores it calls
`forget_badges`), and so does a check or group created, edited (a name, a group) or deleted
(`forget_shown`, from the checks' and groups' services, whatever wrote them: the API, the UI, a
deploy): here at once, and through the bus on the other replicas (PostgreSQL's NOTIFY; should a
notification be lost, within `TTL_SECONDS`). The response time shows within `TTL_SECONDS`, plus
one render.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from vantage.statuspages.public_cache import RenderCache, forget_pages

BADGES_CHANGED = "badges"
BADGES = RenderCache(BADGES_CHANGED)
forget_badges = BADGES.forget


def forget_shown(conn: AsyncConnection | None = None) -> None:
    """Checks or groups were created, edited or deleted in `conn`'s transaction: the badges (a
    label, a group's members, a 404) and the public pages (a dashboard's checks by name, tag and
    group) are rendered again at their next read, on every replica, once it has committed."""
    forget_badges(conn)
    forget_pages(conn)
