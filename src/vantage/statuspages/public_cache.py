"""The rendered public pages, kept for a few seconds per process.

Hundreds of readers of one page then cost one render and no query each; the API's writes clear
this process's copies at once, another replica's within `TTL_SECONDS` (plus one render).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

TTL_SECONDS = 10.0
MAX_ENTRIES = 2048


@dataclass(frozen=True, slots=True)
class Rendered:
    body: bytes
    media_type: str
    etag: str
    # The digest of what it was rendered from (`public.fingerprint`); "" for none.
    source: str = ""
    # A private page's: the cookie that admits a reader, and the values it may have (one per
    # viewer key, `viewer_keys.proof`). Kept with the render, so checking a reader costs no query.
    cookie: str = ""
    proofs: tuple[str, ...] = ()


_entries: dict[tuple[str, str], tuple[float, Rendered | None]] = {}
_inflight: dict[tuple[str, str], asyncio.Task[Rendered | None]] = {}
# The last render of each key, kept past its TTL and past `forget_pages`: a refresh whose
# database reads digest to its `source` serves it again instead of rendering the same bytes.
_last: dict[tuple[str, str], Rendered] = {}


def forget_pages() -> None:
    _entries.clear()


def previous(key: tuple[str, str]) -> Rendered | None:
    return _last.get(key)


async def cached(
    key: tuple[str, str], render: Callable[[], Awaitable[Rendered | None]]
) -> Rendered | None:
    """The fresh copy; else one render for all the readers asking at once (single flight), and
    while it runs, readers who have a stale copy get that (stale-while-revalidate): an expired
    page under many readers costs one render, not one each, and nobody waits for it but the
    first."""
    now = time.monotonic()
    held = _entries.get(key)
    if held is not None and held[0] > now:
        return held[1]
    task = _inflight.get(key)
    if task is None:
        task = asyncio.ensure_future(_refresh(key, render))
        _inflight[key] = task
    if held is not None:
        return held[1]
    return await asyncio.shield(task)


async def _refresh(
    key: tuple[str, str], render: Callable[[], Awaitable[Rendered | None]]
) -> Rendered | None:
    try:
        rendered = await render()
        if len(_entries) >= MAX_ENTRIES:
            _entries.clear()
            _last.clear()
        _entries[key] = (time.monotonic() + TTL_SECONDS, rendered)
        if rendered is None:
            _last.pop(key, None)
        else:
            _last[key] = rendered
        return rendered
    finally:
        _inflight.pop(key, None)
