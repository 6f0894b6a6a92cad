"""How often the public subscribe form may be sent: per reader's address and per page, each in
an hour's window (the rate limiter's counters: in the process on SQLite, shared on PostgreSQL).

Each subscribe queues a confirmation mail to an address nobody has proven to own, so an
unbounded form would let anyone mail strangers from the operator's SMTP account. Per address
stops one sender; per page bounds what many senders can make one page mail in an hour. An
address over its limit is not counted against the page, so one sender cannot use up the page's
budget for everyone.
"""

from __future__ import annotations

import hashlib

from vantage.limits.counters import Counters
from vantage.limits.rules import retry_after

WINDOW_SECONDS = 3600.0
ROUTE = "POST /status/{url}/subscribe"


def _key(kind: str, value: str) -> str:
    return hashlib.sha256(f"subscribe:{kind}:{value}".encode()).hexdigest()


async def refused(
    counters: Counters,
    page_id: str,
    address: str,
    now: float,
    *,
    per_address: int,
    per_page: int,
) -> int | None:
    """Seconds to wait when this subscribe is over a limit (for `Retry-After`); None when it is
    admitted. It is counted either way; a limit of 0 is no limit."""
    if per_address > 0:
        mine = await counters.hit(_key("address", address), ROUTE, now, WINDOW_SECONDS)
        if mine.hits > per_address:
            return retry_after(mine, now, WINDOW_SECONDS)
    if per_page > 0:
        page = await counters.hit(_key("page", page_id), ROUTE, now, WINDOW_SECONDS)
        if page.hits > per_page:
            return retry_after(page, now, WINDOW_SECONDS)
    return None
