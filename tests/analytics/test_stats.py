"""Analytics figures and windows (pure)."""

from __future__ import annotations

from datetime import UTC, datetime

from vantage.analytics.ranges import window
from vantage.analytics.stats import Run, figures

NOW = datetime(2026, 11, 27, 15, 30, tzinfo=UTC)  # a Friday


def test_availability_is_the_share_of_passing_runs_in_percent() -> None:
    runs = [Run(True, 10), Run(True, 20), Run(False, 30), Run(True, 40)]
    assert figures(runs, ["availability"]) == {"availability": 75.0}


def test_percentiles_are_nearest_rank_over_the_runs() -> None:
    runs = [Run(True, float(ms)) for ms in range(1, 101)]
    got = figures(runs, ["responseTime_avg", "responseTime_p50", "responseTime_p95", "total_p99"])
    assert got == {
        "responseTime_avg": 50.5,
        "responseTime_p50": 50.0,
        "responseTime_p95": 95.0,
        "total_p99": 99.0,
    }


def test_a_window_without_runs_has_null_figures_and_unknown_metrics_are_left_out() -> None:
    assert figures([], ["availability", "responseTime_avg", "LCP_avg"]) == {
        "availability": None,
        "responseTime_avg": None,
    }


def test_quick_ranges_end_now_or_at_the_start_of_the_current_week_or_month() -> None:
    assert window("last24Hours", NOW) == (datetime(2026, 11, 26, 15, 30, tzinfo=UTC), NOW)
    assert window("thisWeek", NOW) == (datetime(2026, 11, 23, tzinfo=UTC), NOW)
    assert window("lastWeek", NOW) == (
        datetime(2026, 11, 16, tzinfo=UTC),
        datetime(2026, 11, 23, tzinfo=UTC),
    )
    assert window("thisMonth", NOW) == (datetime(2026, 11, 1, tzinfo=UTC), NOW)
    assert window("lastMonth", NOW) == (
        datetime(2026, 10, 1, tzinfo=UTC),
        datetime(2026, 11, 1, tzinfo=UTC),
    )
