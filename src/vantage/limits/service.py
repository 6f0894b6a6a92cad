"""The rate limiter of the public API: one counter per API key and route, refused with Checkly's
429 past the route's limit. The agent API and `/metrics` are not counted: agents are bounded by
the protocol (long-polled leases, batched results), and their work must not stop because a user
script spent the key's budget."""

from __future__ import annotations

import time
from collections.abc import Callable

from vantage.errors import TooManyRequests
from vantage.limits.counters import Counters
from vantage.limits.rules import Limits, retry_after


class RateLimiter:
    def __init__(
        self, limits: Limits, counters: Counters, clock: Callable[[], float] = time.time
    ) -> None:
        self.limits = limits
        self.counters = counters
        # Wall-clock seconds: on PostgreSQL the replicas compare their times in one row.
        self.clock = clock

    async def check(self, key: str, route: str) -> None:
        """Count a request of the key (its hash) on the route (`GET /v1/checks/{check_id}`);
        TooManyRequests, with the seconds until the window ends, past the limit."""
        limit = self.limits.limit_for(route)
        if limit <= 0:
            return
        now = self.clock()
        counter = await self.counters.hit(key, route, now, self.limits.window)
        if counter.hits > limit:
            raise TooManyRequests(retry_after(counter, now, self.limits.window))
