"""Roll-up arithmetic: buckets, grouping a batch, histograms and percentiles."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

from vantage.rollups.digest import (
    BINS,
    BOUNDS_MS,
    bin_of,
    bucket_start,
    percentile,
    rows_of,
    summarise,
)

AT = datetime(2026, 11, 27, 10, 42, 17, tzinfo=UTC)


def result(**fields: Any) -> dict[str, Any]:
    row = {
        "check_id": "c1",
        "account_id": "a1",
        "run_location": "local",
        "result_type": "FINAL",
        "has_failures": False,
        "has_errors": False,
        "is_degraded": False,
        "response_time": 42.0,
        "created_at": AT,
    }
    row.update(fields)
    return row


def test_buckets_start_on_the_minute_the_hour_and_the_day_in_utc() -> None:
    assert bucket_start(AT, 60) == datetime(2026, 11, 27, 10, 42, tzinfo=UTC)
    assert bucket_start(AT, 3600) == datetime(2026, 11, 27, 10, tzinfo=UTC)
    assert bucket_start(AT, 86400) == datetime(2026, 11, 27, tzinfo=UTC)


def test_a_batch_makes_one_row_per_check_location_and_bucket_not_per_result() -> None:
    batch = [
        result(),
        result(has_failures=True, response_time=900.0),
        result(is_degraded=True),
        result(result_type="ATTEMPT", has_failures=True),
        result(run_location="eu-west-1"),
    ]
    rows = rows_of(batch)
    assert len(rows) == 6  # 2 locations x 3 bucket sizes
    local_minute = next(r for r in rows if r["location"] == "local" and r["bucket_seconds"] == 60)
    assert (local_minute["finals"], local_minute["passed"]) == (3, 1)
    assert (local_minute["degraded"], local_minute["failed"], local_minute["attempts"]) == (1, 1, 1)
    assert local_minute["rt_sum"] == 42.0 + 900.0 + 42.0
    assert sum(local_minute[b] for b in BINS) == 3


def test_every_response_time_falls_in_exactly_one_bin() -> None:
    assert bin_of(0) == 0
    assert bin_of(BOUNDS_MS[0]) == 0
    assert bin_of(BOUNDS_MS[0] + 0.1) == 1
    assert bin_of(10**9) == len(BINS) - 1


def test_percentiles_come_back_within_their_bin() -> None:
    histogram = [0] * len(BINS)
    for ms in [40.0] * 90 + [800.0] * 10:
        histogram[bin_of(ms)] += 1
    p50 = percentile(histogram, 50)
    p95 = percentile(histogram, 95)
    assert p50 is not None and 30 <= p50 <= 50
    assert p95 is not None and 750 <= p95 <= 1000
    assert percentile([0] * len(BINS), 95) is None


def test_summaries_add_rows_and_leave_degraded_runs_available() -> None:
    rows = [SimpleNamespace(**r) for r in rows_of([result(), result(is_degraded=True)])]
    minute = summarise(r for r in rows if r.bucket_seconds == 60)
    assert minute.availability == 100.0
    failing = summarise(
        SimpleNamespace(**r)
        for r in rows_of([result(), result(has_errors=True)])
        if r["bucket_seconds"] == 60
    )
    assert failing.availability == 50.0
    assert failing.average == 42.0


def test_timing_phases_of_http_results_are_counted_and_summed_per_bucket() -> None:
    phases = {"wait": 1, "dns": 2, "tcp": 3, "tls": 4, "firstByte": 50, "download": 5, "total": 65}
    timed = {"response": {"timingPhases": phases}}
    rows = rows_of(
        [
            result(detail=timed),
            result(detail=timed, has_failures=True),
            result(detail={"response": {"timingPhases": None}}),  # a connection that failed
            result(result_type="ATTEMPT", detail=timed),
        ]
    )
    hour = next(r for r in rows if r["bucket_seconds"] == 3600)
    assert hour["phase_count"] == 2
    assert (hour["phase_dns"], hour["phase_first_byte"], hour["phase_tls"]) == (4.0, 100.0, 8.0)
    summary = summarise([SimpleNamespace(**hour)])
    assert summary.phases is not None
    assert summary.phases["firstByte"] == 50.0 and summary.phases["wait"] == 1.0


def test_a_summary_without_timed_results_has_no_phases() -> None:
    rows = [SimpleNamespace(**r) for r in rows_of([result()])]
    assert summarise(rows).phases is None


def test_a_final_run_in_maintenance_is_counted_apart_and_in_no_figure() -> None:
    batch = [result(), result(has_failures=True, response_time=9000.0, in_maintenance=True)]

    (day,) = (row for row in rows_of(batch) if row["bucket_seconds"] == 86400)

    assert (day["finals"], day["passed"], day["failed"], day["maintenance"]) == (1, 1, 0, 1)
    assert day["rt_sum"] == 42.0
    assert sum(day[name] for name in BINS) == 1
    assert summarise([SimpleNamespace(**day)]).availability == 100.0
