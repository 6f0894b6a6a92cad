"""The check overview's windows: presets, custom ranges, the bars they draw and the shifts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from vantage.errors import BadRequest
from vantage.rollups.keeping import Keeping
from vantage.ui.ranges import MAX_BARS, Window, requested, window

NOW = datetime(2026, 11, 27, 10, 42, 17, tzinfo=UTC)


def test_three_hours_read_minutes_and_draw_two_minute_bars() -> None:
    w = window("3h", NOW)
    assert w.end == datetime(2026, 11, 27, 10, 43, tzinfo=UTC)
    assert w.length == timedelta(hours=3)
    assert (w.rollup_seconds, w.bucket_seconds) == (60, 120)
    assert len(w.buckets()) == 90
    # a minute roll-up lands in the bar that starts at or before it
    assert w.bucket_of(w.start + timedelta(minutes=3)) == w.start + timedelta(minutes=2)


@pytest.mark.parametrize(
    ("preset", "rollup", "bars"),
    [("1h", 60, 60), ("24h", 3600, 24), ("7d", 3600, 168), ("30d", 86400, 30)],
)
def test_each_preset_reads_the_finest_rollup_that_keeps_its_bars_few(
    preset: str, rollup: int, bars: int
) -> None:
    w = window(preset, NOW)
    assert w.rollup_seconds == rollup and len(w.buckets()) == bars


def test_an_unknown_preset_is_the_last_24_hours() -> None:
    assert window("2y", NOW) == window("24h", NOW)


def test_a_custom_range_widens_to_whole_buckets_and_never_draws_more_than_the_limit() -> None:
    w = requested({"from": "2026-11-20T10:30", "to": "2026-11-27T09:15"}, NOW)
    assert w.preset == "custom" and w.rollup_seconds == 3600
    assert w.start == datetime(2026, 11, 20, 10, tzinfo=UTC)
    assert w.end == datetime(2026, 11, 27, 10, tzinfo=UTC)
    long = requested({"from": "2026-01-01T00:00:00Z"}, NOW)
    assert long.rollup_seconds == 86400 and len(long.buckets()) <= MAX_BARS
    assert long.end == datetime(2026, 11, 28, tzinfo=UTC)  # `to` defaults to now
    # with an offset, the time is converted to UTC
    shifted = requested({"from": "2026-11-27T11:00+02:00", "to": "2026-11-27T12:00+02:00"}, NOW)
    assert shifted.start == datetime(2026, 11, 27, 9, tzinfo=UTC)


def test_from_and_to_take_precedence_over_a_preset() -> None:
    w = requested({"range": "30d", "from": "2026-11-27T08:00", "to": "2026-11-27T09:00"}, NOW)
    assert w.preset == "custom" and w.length == timedelta(hours=1)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "yesterday"}, '"from"'),
        ({"from": "2026-11-27T08:00", "to": "soon"}, '"to"'),
        ({"from": "2026-11-27T08:00", "to": "2026-11-27T07:00"}, '"to" must be after'),
        ({"to": "2026-11-27T08:00"}, '"from" is required'),
        ({"from": "2020-01-01T00:00"}, '"from" must be at most'),
    ],
)
def test_a_bad_custom_range_is_a_400_naming_the_field(params: dict[str, str], field: str) -> None:
    with pytest.raises(BadRequest) as raised:
        requested(params, NOW)
    assert field in raised.value.message


def test_the_window_shifts_by_its_own_length() -> None:
    w = window("24h", NOW)
    assert w.shifted(-1) == (w.start - timedelta(days=1), w.start)
    assert w.shifted(1) == (w.end, w.end + timedelta(days=1))
    back = Window.spanning("custom", *w.shifted(-1))
    assert back.length == w.length and back.bucket_seconds == w.bucket_seconds
    assert w.previous.end == w.start and w.previous.length == w.length


def test_a_custom_range_older_than_the_kept_minutes_reads_hours() -> None:
    keeping = Keeping()  # minutes kept two days
    recent = {"from": "2026-11-27T00:00", "to": "2026-11-27T06:00"}
    assert requested(recent, NOW, keeping).rollup_seconds == 60
    old = {"from": "2026-11-20T00:00", "to": "2026-11-20T06:00"}
    w = requested(old, NOW, keeping)
    assert (w.rollup_seconds, w.start, w.end) == (
        3600,
        datetime(2026, 11, 20, tzinfo=UTC),
        datetime(2026, 11, 20, 6, tzinfo=UTC),
    )
    # without the keeping (no server), the finest size for the length
    assert requested(old, NOW).rollup_seconds == 60
