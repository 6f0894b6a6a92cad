"""What a public dashboard shows (pure): which checks, in what order, on which page.

A dashboard is a tag filter, as Checkly's: with no tags it shows every active check of the
account; with tags, the checks that have any of them, or all of them with `useTagsAndOperator`.
A check's tags include its group's. `sortByStatus` puts failing checks first, then degraded,
then passing (then by name); otherwise by name. `checksPerPage` cuts the list into pages, and
with `paginate` the page moves on to the next one every `paginationRate` seconds (back to the
first after the last); without it the page reloads itself every `refreshRate` seconds.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

ORDER = {"failing": 0, "degraded": 1, "passing": 2, "unknown": 3}
LABELS = {
    "passing": "Passing",
    "degraded": "Degraded",
    "failing": "Failing",
    "unknown": "No results yet",
}
PAGE_LABELS = {
    "passing": "All checks passing",
    "degraded": "Some checks are degraded",
    "failing": "Some checks are failing",
    "unknown": "No results yet",
}


@dataclass(frozen=True, slots=True)
class Entry:
    """One check as a dashboard may show it."""

    check_id: str  # to look its figures up; never printed
    name: str
    status: str
    tags: tuple[str, ...]
    group: str | None


def matches(tags: Iterable[str], wanted: Sequence[str], all_of: bool) -> bool:
    if not wanted:
        return True
    have = set(tags)
    return all(t in have for t in wanted) if all_of else any(t in have for t in wanted)


def ordered(entries: Iterable[Entry], by_status: bool) -> list[Entry]:
    if by_status:
        return sorted(entries, key=lambda e: (ORDER.get(e.status, 3), e.name.lower(), e.name))
    return sorted(entries, key=lambda e: (e.name.lower(), e.name))


@dataclass(frozen=True, slots=True)
class Page:
    entries: list[Entry]
    number: int  # 1-based, clamped to the pages there are
    count: int  # how many pages (at least 1)
    # where the page's meta refresh goes, and after how many seconds
    next_number: int
    refresh_seconds: int


def _number(config: Mapping[str, object], key: str, default: int) -> int:
    value = config.get(key)
    return int(value) if isinstance(value, int | float) and value > 0 else default


def paged(entries: list[Entry], config: Mapping[str, object], asked: int) -> Page:
    per = _number(config, "checksPerPage", 15)
    count = max(1, -(-len(entries) // per))
    number = min(max(asked, 1), count)
    chunk = entries[(number - 1) * per : number * per]
    if config.get("paginate", True) and count > 1:
        rate = _number(config, "paginationRate", 60)
        return Page(chunk, number, count, number % count + 1, rate)
    return Page(chunk, number, count, number, _number(config, "refreshRate", 60))


def overall(entries: Iterable[Entry]) -> str:
    """The worst status among the dashboard's checks (all pages), for its headline."""
    return min((e.status for e in entries), key=lambda s: ORDER.get(s, 3), default="unknown")
