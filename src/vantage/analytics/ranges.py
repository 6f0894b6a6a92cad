"""Checkly's `quickRange` windows (pure): each a [from, to) interval in UTC ending at `now` or, for
the "last" calendar ranges, at the start of the current week or month."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

QuickRange = Literal[
    "last24Hours", "last7Days", "last30Days", "thisWeek", "thisMonth", "lastWeek", "lastMonth"
]


def _week_start(now: datetime) -> datetime:
    day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    return day - timedelta(days=day.weekday())


def _month_start(now: datetime) -> datetime:
    return now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def window(quick_range: QuickRange, now: datetime) -> tuple[datetime, datetime]:
    if quick_range == "last24Hours":
        return now - timedelta(hours=24), now
    if quick_range == "last7Days":
        return now - timedelta(days=7), now
    if quick_range == "last30Days":
        return now - timedelta(days=30), now
    if quick_range == "thisWeek":
        return _week_start(now), now
    if quick_range == "thisMonth":
        return _month_start(now), now
    if quick_range == "lastWeek":
        end = _week_start(now)
        return end - timedelta(days=7), end
    end = _month_start(now)
    return _month_start(end - timedelta(days=1)), end
