"""The rendered public pages (and the badges, `dashboards/badge_cache.py`), kept for a few seconds
per process.

Hundreds of readers of one page then cost one render and no query each; the API's writes clear
this process's copies at once and, through the replicas' bus (`install`), every other replica's;
should a notification be lost, within `TTL_SECONDS` (plus one render).

Each answer from the cache also records which request it answered (`remember`), so that the next
reader of that path is answered by `front.PublicFront` before the web framework runs.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.types import Scope

from vantage.db.engine import after_commit

if TYPE_CHECKING:
    from vantage.wakeups import Signals

TTL_SECONDS = 10.0
MAX_ENTRIES = 2048
# What the caches read the time from (tests move it instead of waiting).
clock: Callable[[], float] = time.monotonic


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
    # For a reader who proved a key only: without a matching cookie, never served from here.
    private: bool = False


class RenderCache:
    """Renders by key, each kept `TTL_SECONDS`, cleared at once by `forget` here and, through
    the bus kind `kind`, on every other replica."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._entries: dict[tuple[str, str], tuple[float, Rendered | None]] = {}
        self._inflight: dict[tuple[str, str], asyncio.Task[Rendered | None]] = {}
        # The last render of each key, kept past its TTL and past `forget`: a refresh whose
        # database reads digest to its `source` serves it again instead of rendering the same
        # bytes.
        self._last: dict[tuple[str, str], Rendered] = {}
        # (path, query string, base the page's links start from) -> the key that answered it.
        self._paths: dict[tuple[str, str, str], tuple[str, str]] = {}
        # One per running server in this process (tests run several): tells the other replicas.
        self._relays: list[Callable[[], None]] = []
        # Counts forgets: a render that was under way when one happened read what the write
        # changed before it did, so its answer goes to the readers who waited for it but is not
        # kept.
        self._generation = 0

    def forget(self, conn: AsyncConnection | None = None) -> None:
        """Everything is rendered again at its next read. Called in a write's transaction
        (`conn`), once more when it has committed: a read between the two renders from what the
        transaction had not yet committed."""
        self._forget()
        for relay in list(self._relays):
            relay()
        if conn is not None:
            hooks = after_commit(conn)
            if hooks is not None and self.forget not in hooks:
                hooks.append(self.forget)

    def _forget(self, _ident: str = "") -> None:
        self._generation += 1
        self._entries.clear()
        self._paths.clear()

    def install(self, signals: Signals) -> Callable[[], None]:
        """Clears this process's copies when another replica's write does, and makes this one's
        writes clear theirs (PostgreSQL's bus; SQLite has one process). Returns the undo."""
        signals.listeners[self.kind] = self._forget

        def relay() -> None:
            if signals.broadcast is not None:
                signals.broadcast(self.kind, "")

        self._relays.append(relay)
        return lambda: self._relays.remove(relay)

    def remember(self, path: tuple[str, str, str], key: tuple[str, str]) -> None:
        if len(self._paths) >= MAX_ENTRIES:
            self._paths.clear()
        self._paths[path] = key

    def served(self, path: tuple[str, str, str]) -> Rendered | None:
        """What `cached` would answer for this path without rendering or waiting: its fresh
        copy, or its stale one while a refresh is under way; None when only the framework can
        answer."""
        key = self._paths.get(path)
        return None if key is None else self.fresh(key)

    def fresh(self, key: tuple[str, str]) -> Rendered | None:
        """`served`, by key."""
        held = self._entries.get(key)
        if held is None:
            return None
        if held[0] > clock() or key in self._inflight:
            return held[1]
        return None

    def previous(self, key: tuple[str, str]) -> Rendered | None:
        return self._last.get(key)

    async def cached(
        self, key: tuple[str, str], render: Callable[[], Awaitable[Rendered | None]]
    ) -> Rendered | None:
        """The fresh copy; else one render for all the readers asking at once (single flight),
        and while it runs, readers who have a stale copy get that (stale-while-revalidate): an
        expired page under many readers costs one render, not one each, and nobody waits for it
        but the first. A render that raises is kept by nobody: its waiters get the error."""
        held = self._entries.get(key)
        if held is not None and held[0] > clock():
            return held[1]
        task = self._inflight.get(key)
        if task is None:
            task = asyncio.ensure_future(self._refresh(key, render, self._generation))
            self._inflight[key] = task
        if held is not None:
            return held[1]
        return await asyncio.shield(task)

    async def settled(self) -> None:
        """Returns once the renders under way have ended (a test's way to see what a refresh
        started by a stale read stored)."""
        await asyncio.gather(*self._inflight.values(), return_exceptions=True)

    async def _refresh(
        self,
        key: tuple[str, str],
        render: Callable[[], Awaitable[Rendered | None]],
        generation: int,
    ) -> Rendered | None:
        try:
            rendered = await render()
            if generation != self._generation:
                return rendered
            if len(self._entries) >= MAX_ENTRIES:
                self._entries.clear()
                self._last.clear()
            self._entries[key] = (clock() + TTL_SECONDS, rendered)
            if rendered is None:
                self._last.pop(key, None)
            else:
                self._last[key] = rendered
            return rendered
        finally:
            self._inflight.pop(key, None)


PAGES_CHANGED = "public-pages"
PAGES = RenderCache(PAGES_CHANGED)
forget_pages = PAGES.forget
install = PAGES.install
remember = PAGES.remember
served = PAGES.served
previous = PAGES.previous
cached = PAGES.cached


def path_of(scope: Scope) -> tuple[str, str, str]:
    """What a public page's answer depends on in its request, besides cookies and If-None-Match:
    its path and query, and whether it came through a custom domain (`CustomDomains` sets the
    page's links to start at that domain's root)."""
    state = scope.get("state") or {}
    through = "domain" if "status_base" in state or "public_base" in state else ""
    return scope["path"], scope["query_string"].decode("latin-1"), through
