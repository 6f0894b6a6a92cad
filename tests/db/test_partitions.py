"""Which daily partitions of check_results exist, are created ahead and may be dropped (pure)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from vantage.db.partitions import (
    DAYS_AHEAD,
    DEFAULT,
    before_partition,
    bounds,
    day_partition,
    is_partition,
    parse,
    to_create,
    to_drop,
)

TODAY = date(2026, 11, 27)


def test_a_day_partition_holds_that_utc_day_and_is_read_back_from_its_name() -> None:
    day = day_partition(TODAY)
    assert day.name == "check_results_p20261127"
    assert (day.lower, day.upper) == (
        datetime(2026, 11, 27, tzinfo=UTC),
        datetime(2026, 11, 28, tzinfo=UTC),
    )
    assert parse(day.name) == day
    assert bounds(day) == (
        "FOR VALUES FROM ('2026-11-27T00:00:00+00:00') TO ('2026-11-28T00:00:00+00:00')"
    )


def test_the_old_table_holds_everything_before_its_day() -> None:
    old = before_partition(TODAY)
    assert parse("check_results_before_20261127") == old
    assert old.lower is None
    assert bounds(old) == "FOR VALUES FROM (MINVALUE) TO ('2026-11-27T00:00:00+00:00')"


def test_only_our_names_are_partitions() -> None:
    assert is_partition(DEFAULT)
    assert is_partition("check_results_p20260101")
    for name in (
        "check_results",
        "check_sessions",
        "check_results_p2026",
        "check_results_p20261399",
    ):
        assert not is_partition(name)
        assert parse(name) is None


def test_today_and_the_next_days_are_created_when_missing() -> None:
    have = [day_partition(TODAY).name, DEFAULT]
    made = to_create(have, TODAY)
    assert [p.name for p in made] == [
        f"check_results_p202611{27 + n}" for n in range(1, DAYS_AHEAD + 1)
    ]


def test_no_day_is_created_that_the_old_table_still_covers() -> None:
    """Right after migration 0016 the old table holds up to tomorrow."""
    tomorrow = date(2026, 11, 28)
    made = to_create([before_partition(tomorrow).name], TODAY)
    assert made[0] == day_partition(tomorrow)
    assert len(made) == DAYS_AHEAD


def test_a_partition_is_dropped_only_when_all_of_it_is_before_the_cutoff() -> None:
    names = [
        before_partition(date(2026, 10, 20)).name,
        day_partition(date(2026, 10, 27)).name,
        day_partition(date(2026, 10, 28)).name,
        day_partition(date(2026, 10, 29)).name,
        DEFAULT,
        "check_results_unrelated",
    ]
    cutoff = datetime(2026, 10, 29, 12, tzinfo=UTC)
    assert [p.name for p in to_drop(names, cutoff)] == [
        "check_results_before_20261020",
        "check_results_p20261027",
        "check_results_p20261028",
    ]
    assert to_drop(names, datetime(2026, 10, 29, tzinfo=UTC))[-1].name == "check_results_p20261028"
