"""Conditional GET (RFC 9110 section 13): one strong ETag for bytes served from a render cache,
and whether a request's `If-None-Match` already has them. The public status pages, dashboards and
their stylesheets, and the badges share it, so all answer a revalidation the same way."""

from __future__ import annotations

import hashlib


def strong_etag(body: bytes) -> str:
    """A strong validator: the same bytes give the same tag on every replica and after restarts
    (a digest of the bytes, not a version counter), so a reader's copy stays good across them."""
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def not_modified(if_none_match: str, etag: str) -> bool:
    """Whether `If-None-Match` names `etag` (or is `*`): the reader's copy is current, answer 304.
    The comparison is the weak one RFC 9110 prescribes for If-None-Match, so a tag an
    intermediary marked weak (`W/"..."`, as gzip-ing proxies do) still matches."""
    for candidate in if_none_match.split(","):
        tag = candidate.strip()
        if tag == "*" or tag.removeprefix("W/") == etag:
            return True
    return False
