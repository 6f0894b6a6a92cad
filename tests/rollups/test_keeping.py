"""Which roll-up size a window can still read, once the finer ones are pruned (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from vantage.rollups.keeping import Keeping

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
MINUTE, HOUR, DAY = 60, 3600, 86400


def test_a_recent_window_reads_the_size_it_asks_for() -> None:
    keeping = Keeping()
    assert keeping.readable(MINUTE, NOW - timedelta(hours=12), NOW) == MINUTE
    assert keeping.readable(HOUR, NOW - timedelta(days=14), NOW) == HOUR


def test_a_window_older_than_its_minutes_reads_hours_and_older_than_its_hours_reads_days() -> None:
    keeping = Keeping()
    assert keeping.readable(MINUTE, NOW - timedelta(days=3), NOW) == HOUR
    assert keeping.readable(MINUTE, NOW - timedelta(days=40), NOW) == DAY
    assert keeping.readable(HOUR, NOW - timedelta(days=40), NOW) == DAY


def test_days_are_read_whatever_their_age_and_zero_keeps_a_size_forever() -> None:
    assert Keeping().readable(DAY, NOW - timedelta(days=800), NOW) == DAY
    forever = Keeping(minute_days=0)
    assert forever.readable(MINUTE, NOW - timedelta(days=900), NOW) == MINUTE
    assert forever.cutoff(MINUTE, NOW) is None
    assert Keeping().cutoff(HOUR, NOW) == NOW - timedelta(days=35)
