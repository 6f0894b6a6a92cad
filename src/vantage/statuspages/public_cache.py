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


_entries: dict[tuple[str, str], tuple[float, Rendered | None]] = {}
_inflight: dict[tuple[str, str], asyncio.Task[Rendered | None]] = {}


def forget_pages() -> None:
    _entries.clear()


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
        _entries[key] = (time.monotonic() + TTL_SECONDS, rendered)
        return rendered
    finally:
        _inflight.pop(key, None)
