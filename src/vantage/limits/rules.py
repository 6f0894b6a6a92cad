"""Rate limits, as Checkly states them: so many requests per window, per API key and route.

Pure: which limit a route has, and how one counter moves. A window opens at a key's first request
on a route and lasts `window` seconds; the requests in it are counted, and past the limit each is
refused until the window ends (`Retry-After`). Windows are per counter, not aligned to the clock,
so the keys that were refused do not all come back in the same second.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

# Checkly's own per-route limits for the lists that read raw results (60 requests / 60 s).
EXPENSIVE_ROUTES = "GET /v1/check-results/{check_id}=60,GET /v2/check-results/{check_id}=60"
_ROUTE = re.compile(r"^(GET|POST|PUT|PATCH|DELETE) (/\S*)=(\d+)$")


class RuleError(ValueError):
    """A route limit that cannot be read; the message says which."""


@dataclass(frozen=True, slots=True)
class Limits:
    """`default` requests per `window` seconds on every route, or the route's own number;
    a limit of 0 means no limit."""

    default: int
    window: float
    routes: dict[str, int]

    def limit_for(self, route: str) -> int:
        return self.routes.get(route, self.default)

    @property
    def enabled(self) -> bool:
        return self.default > 0 or any(self.routes.values())


def parse_routes(text: str) -> dict[str, int]:
    """`METHOD /path/{param}=N` items, comma-separated: the route as the API declares it (see
    `/openapi.json`) and its limit per window."""
    routes: dict[str, int] = {}
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        match = _ROUTE.match(item)
        if match is None:
            raise RuleError(f"{item!r} is not METHOD /path=N, e.g. 'GET /v1/checks=100'")
        method, path, limit = match.groups()
        routes[f"{method} {path}"] = int(limit)
    return routes


@dataclass(frozen=True, slots=True)
class Window:
    """One counter: when its window opened (seconds since the epoch) and the requests in it."""

    started: float
    hits: int


def count(previous: Window | None, now: float, window: float) -> Window:
    """The counter after one more request at `now`: the same window one request fuller, or a
    new window if the last one has ended. The shared counter runs the same rule in SQL."""
    if previous is None or previous.started <= now - window:
        return Window(started=now, hits=1)
    return Window(started=previous.started, hits=previous.hits + 1)


def retry_after(counter: Window, now: float, window: float) -> int:
    """Whole seconds until the counter's window ends (at least 1), for `Retry-After`."""
    return max(1, math.ceil(counter.started + window - now))
