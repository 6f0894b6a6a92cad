"""`GET /v1/reporting` (pure): each check's success ratio and response times over a window, whole
or in calendar buckets (day, week from Monday, month) of a named time zone."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo, available_timezones

from vantage.analytics.stats import Run, figures
from vantage.errors import BadRequest
from vantage.timeutil import iso

Granularity = Literal["day", "week", "month"]
# Checkly's reporting names its quick ranges apart from the analytics endpoints' one.
QuickRange = Literal[
    "last24Hrs", "last7Days", "last30Days", "thisWeek", "thisMonth", "lastWeek", "lastMonth"
]
MAX_SPAN = timedelta(days=400)
MAX_BUCKETS = 120
METRICS = ("availability", "responseTime_avg", "responseTime_p95", "responseTime_p99")


# The named zones `timezone` takes (`/openapi.json` lists them): the system's IANA database.
ZONES = frozenset(available_timezones())


def zone(name: str | None) -> ZoneInfo:
    """A named IANA zone (UTC when none); an offset such as `+05:00` or an unknown name is a 400."""
    if name is None:
        return ZoneInfo("UTC")
    if name in ZONES:
        return ZoneInfo(name)
    raise BadRequest(
        f'"timezone" must be a named IANA time zone, not "{name[:100]}"',
        keys=["timezone"],
        source="query",
    )


def _floor(local: datetime, granularity: Granularity) -> datetime:
    day = local.replace(hour=0, minute=0, second=0, microsecond=0)
    if granularity == "day":
        return day
    if granularity == "week":
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


def _next(local: datetime, granularity: Granularity) -> datetime:
    if granularity == "day":
        return local + timedelta(days=1)
    if granularity == "week":
        return local + timedelta(days=7)
    return local.replace(year=local.year + local.month // 12, month=local.month % 12 + 1)


def buckets(
    start: datetime, end: datetime, granularity: Granularity, tz: ZoneInfo
) -> list[tuple[datetime, datetime]]:
    """The calendar buckets covering [start, end) in `tz`, each clamped to the window (UTC)."""
    if end - start > MAX_SPAN:
        raise BadRequest(
            '"from" must be at most 400 days before "to" with "granularity"',
            keys=["from"],
            source="query",
        )
    out: list[tuple[datetime, datetime]] = []
    # Wall-clock boundaries, made aware in `tz` (a DST day is 23 or 25 hours long).
    local = _floor(start.astimezone(tz).replace(tzinfo=None), granularity)
    while True:
        following = _next(local, granularity)
        low = max(start, local.replace(tzinfo=tz).astimezone(UTC))
        high = min(end, following.replace(tzinfo=tz).astimezone(UTC))
        if low >= end:
            return out
        out.append((low, high))
        if len(out) > MAX_BUCKETS:
            raise BadRequest(
                f'"granularity": the window spans over {MAX_BUCKETS} buckets of a {granularity}',
                keys=["granularity"],
                source="query",
            )
        local = following


def aggregate(runs: Sequence[Run]) -> dict[str, float] | None:
    """`successRatio` (percent), `avg`, `p95`, `p99` (ms); None when nothing ran."""
    if not runs:
        return None
    got = figures(runs, METRICS)
    return {
        "successRatio": got["availability"] or 0.0,
        "avg": got["responseTime_avg"] or 0.0,
        "p95": got["responseTime_p95"] or 0.0,
        "p99": got["responseTime_p99"] or 0.0,
    }


def entry(
    check: Any,
    runs: Sequence[Run],
    window: tuple[datetime, datetime],
    granularity: Granularity | None,
    tz: ZoneInfo,
) -> dict[str, Any]:
    """One check's report: whole-window `aggregate` (absent when nothing ran), or with
    `granularity` the `aggregates` of the buckets in which something ran, oldest first."""
    out: dict[str, Any] = {
        "name": check.name,
        "checkId": check.id,
        "checkType": check.check_type,
        "deactivated": not check.activated,
        "tags": list(check.tags or []),
    }
    if granularity is None:
        whole = aggregate(runs)
        if whole is not None:
            out["aggregate"] = whole
        return out
    aggregates = []
    for low, high in buckets(*window, granularity, tz):
        inside = [r for r in runs if r.at is not None and low <= r.at < high]
        figures_ = aggregate(inside)
        if figures_ is not None:
            aggregates.append({**figures_, "from": iso(low), "to": iso(high)})
    out["aggregates"] = aggregates
    return out
