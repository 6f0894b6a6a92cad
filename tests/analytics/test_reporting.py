"""`/v1/reporting`'s calendar buckets and aggregates (pure)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from vantage.analytics.reporting import aggregate, buckets, zone
from vantage.analytics.stats import Run
from vantage.errors import BadRequest

UTC_ZONE = ZoneInfo("UTC")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_day_buckets_are_clamped_to_the_window() -> None:
    got = buckets(at("2026-03-01T12:00"), at("2026-03-03T06:00"), "day", UTC_ZONE)

    assert got == [
        (at("2026-03-01T12:00"), at("2026-03-02T00:00")),
        (at("2026-03-02T00:00"), at("2026-03-03T00:00")),
        (at("2026-03-03T00:00"), at("2026-03-03T06:00")),
    ]


def test_weeks_start_on_monday_and_months_on_the_first() -> None:
    weeks = buckets(at("2026-03-04T00:00"), at("2026-03-17T00:00"), "week", UTC_ZONE)
    months = buckets(at("2025-12-15T00:00"), at("2026-02-10T00:00"), "month", UTC_ZONE)

    # 4 March 2026 is a Wednesday; the window ends on Tuesday the 17th.
    assert weeks == [
        (at("2026-03-04T00:00"), at("2026-03-09T00:00")),
        (at("2026-03-09T00:00"), at("2026-03-16T00:00")),
        (at("2026-03-16T00:00"), at("2026-03-17T00:00")),
    ]
    assert [low for low, _ in months] == [
        at("2025-12-15T00:00"),
        at("2026-01-01T00:00"),
        at("2026-02-01T00:00"),
    ]


def test_a_zones_days_follow_its_clock_across_a_dst_change() -> None:
    new_york = ZoneInfo("America/New_York")
    # 8 March 2026: clocks go forward, a day of 23 hours.
    got = buckets(at("2026-03-08T05:00"), at("2026-03-10T04:00"), "day", new_york)

    assert got == [
        (at("2026-03-08T05:00"), at("2026-03-09T04:00")),
        (at("2026-03-09T04:00"), at("2026-03-10T04:00")),
    ]


def test_too_many_buckets_or_too_long_a_window_is_a_400() -> None:
    with pytest.raises(BadRequest) as many:
        buckets(at("2026-01-01T00:00"), at("2026-06-01T00:00"), "day", UTC_ZONE)
    with pytest.raises(BadRequest) as long:
        buckets(at("2024-01-01T00:00"), at("2026-01-01T00:00"), "month", UTC_ZONE)

    assert many.value.keys == ["granularity"]
    assert long.value.keys == ["from"]


def test_only_named_zones_are_taken() -> None:
    assert zone("Europe/Amsterdam") == ZoneInfo("Europe/Amsterdam")
    assert zone(None) == ZoneInfo("UTC")
    for bad in ("+05:00", "Mars/Olympus", "../etc/passwd", ""):
        with pytest.raises(BadRequest) as refused:
            zone(bad)
        assert refused.value.keys == ["timezone"]


def test_the_aggregate_is_percent_and_milliseconds_and_absent_without_runs() -> None:
    runs = [Run(passed=True, response_time_ms=100), Run(passed=False, response_time_ms=300)]

    assert aggregate(runs) == {"successRatio": 50, "avg": 200, "p95": 300, "p99": 300}
    assert aggregate([]) is None
