"""The rendered public pages, kept for a few seconds per process.

Hundreds of readers of one page then cost one render and no query each; the API's writes clear
this process's copies at once, another replica's within `TTL_SECONDS` (the page's own
`Cache-Control: max-age` is no longer, so no reader sees older than that twice over).
"""

from __future__ import annotations

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


def forget_pages() -> None:
    _entries.clear()


async def cached(
    key: tuple[str, str], render: Callable[[], Awaitable[Rendered | None]]
) -> Rendered | None:
    now = time.monotonic()
    held = _entries.get(key)
    if held is not None and held[0] > now:
        return held[1]
    rendered = await render()
    if len(_entries) >= MAX_ENTRIES:
        _entries.clear()
    _entries[key] = (now + TTL_SECONDS, rendered)
    return rendered
