"""Roll-up arithmetic (pure): which bucket a result lands in, the histogram of response times, and
percentiles read back from merged histograms.

The histogram has fixed bins (bounds below, roughly x1.5 apart), so two buckets merge by adding
their counts, across time and across locations. A percentile is interpolated inside its bin: its
error is at most the bin's width, about a third of the value.

A FINAL result taken in a maintenance window (`in_maintenance`) only adds to `maintenance`: it is
in no availability, run count or response time.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from vantage.db.tables import ROLLUP_HISTOGRAM_BINS, ROLLUP_PHASES

BUCKET_SECONDS = (60, 3600, 86400)
# Upper bounds of the bins in milliseconds; the last bin holds everything slower.
BOUNDS_MS: tuple[int, ...] = (5, 10, 20, 30, 50, 75, 100, 150, 200, 300, 500, 750, 1000, 1500)
BOUNDS_MS += (2000, 3000, 5000, 10000, 20000)
BINS = tuple(f"h{i:02d}" for i in range(ROLLUP_HISTOGRAM_BINS))
assert len(BOUNDS_MS) + 1 == ROLLUP_HISTOGRAM_BINS
# Checkly's `timingPhases` keys (plus Vantage's `tls`) and the roll-up column of each.
PHASES: tuple[tuple[str, str], ...] = tuple(
    zip(
        ("wait", "dns", "tcp", "tls", "firstByte", "download"),
        (f"phase_{name}" for name in ROLLUP_PHASES),
        strict=True,
    )
)
PHASE_COLUMNS = tuple(column for _, column in PHASES)
COUNTERS = (
    "finals",
    "passed",
    "degraded",
    "failed",
    "attempts",
    "rt_sum",
    *BINS,
    "phase_count",
    *PHASE_COLUMNS,
    "maintenance",
)


def phases_of(detail: Any) -> dict[str, float] | None:
    """A result's timing phases in ms (HTTP results that measured them), else None."""
    response = detail.get("response") if isinstance(detail, Mapping) else None
    phases = response.get("timingPhases") if isinstance(response, Mapping) else None
    if not isinstance(phases, Mapping):
        return None
    out = {}
    for key, column in PHASES:
        value = phases.get(key)
        out[column] = float(value) if isinstance(value, int | float) else 0.0
    return out


def bin_of(ms: float) -> int:
    return bisect.bisect_left(BOUNDS_MS, ms)


def bucket_start(moment: datetime, seconds: int) -> datetime:
    epoch = int(moment.timestamp())
    return datetime.fromtimestamp(epoch - epoch % seconds, UTC)


def rows_of(results: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The roll-up increments of a batch of result rows (as the intake builds them): one row per
    check x location x bucket, so the batch costs one upsert per group, not per result."""
    groups: dict[tuple[str, str, int, datetime], dict[str, Any]] = {}
    # A batch's results share the intake's clock: compute each moment's buckets once.
    starts: dict[datetime, list[tuple[int, datetime]]] = {}
    for result in results:
        moment = result["created_at"]
        buckets = starts.get(moment)
        if buckets is None:
            buckets = starts[moment] = [(s, bucket_start(moment, s)) for s in BUCKET_SECONDS]
        for seconds, start in buckets:
            key = (result["check_id"], result["run_location"], seconds, start)
            row = groups.get(key)
            if row is None:
                row = groups[key] = {
                    "check_id": key[0],
                    "location": key[1],
                    "bucket_seconds": key[2],
                    "bucket_start": key[3],
                    "account_id": result["account_id"],
                    **dict.fromkeys(COUNTERS, 0),
                }
                row["rt_sum"] = 0.0
                row.update(dict.fromkeys(PHASE_COLUMNS, 0.0))
            if result["result_type"] != "FINAL":
                row["attempts"] += 1
                continue
            if result.get("in_maintenance"):
                # A planned outage is no measure of the check: counted apart, in no figure.
                row["maintenance"] += 1
                continue
            row["finals"] += 1
            if result["has_failures"] or result["has_errors"]:
                row["failed"] += 1
            elif result["is_degraded"]:
                row["degraded"] += 1
            else:
                row["passed"] += 1
            row["rt_sum"] += float(result["response_time"])
            row[BINS[bin_of(float(result["response_time"]))]] += 1
            phases = phases_of(result.get("detail"))
            if phases is not None:
                row["phase_count"] += 1
                for column, ms in phases.items():
                    row[column] += ms
    return list(groups.values())


@dataclass(slots=True)
class Summary:
    """Roll-up rows added together: a window, a bucket of a chart, a location."""

    finals: int = 0
    passed: int = 0
    degraded: int = 0
    failed: int = 0
    attempts: int = 0
    rt_sum: float = 0.0
    histogram: list[int] = field(default_factory=lambda: [0] * ROLLUP_HISTOGRAM_BINS)
    phase_count: int = 0
    phase_sums: list[float] = field(default_factory=lambda: [0.0] * len(PHASES))

    def add(self, row: Any) -> None:
        self.finals += row.finals
        self.passed += row.passed
        self.degraded += row.degraded
        self.failed += row.failed
        self.attempts += row.attempts
        self.rt_sum += row.rt_sum
        for i, name in enumerate(BINS):
            self.histogram[i] += getattr(row, name)
        # Rows summed without the phase columns (the dashboard's) leave the phases at zero.
        count = getattr(row, "phase_count", None)
        if count:
            self.phase_count += count
            for i, column in enumerate(PHASE_COLUMNS):
                self.phase_sums[i] += getattr(row, column) or 0.0

    def add_summary(self, other: Summary) -> None:
        self.finals += other.finals
        self.passed += other.passed
        self.degraded += other.degraded
        self.failed += other.failed
        self.attempts += other.attempts
        self.rt_sum += other.rt_sum
        for i, count in enumerate(other.histogram):
            self.histogram[i] += count
        self.phase_count += other.phase_count
        for i, ms in enumerate(other.phase_sums):
            self.phase_sums[i] += ms

    @property
    def phases(self) -> dict[str, float] | None:
        """The average of each timing phase (Checkly's keys) in ms, None without any."""
        if not self.phase_count:
            return None
        return {key: self.phase_sums[i] / self.phase_count for i, (key, _) in enumerate(PHASES)}

    @property
    def availability(self) -> float | None:
        """Percent of FINAL results that did not fail (degraded ones are available)."""
        if not self.finals:
            return None
        return 100.0 * (self.finals - self.failed) / self.finals

    @property
    def retries(self) -> float | None:
        runs = self.finals + self.attempts
        return 100.0 * self.attempts / runs if runs else None

    @property
    def average(self) -> float | None:
        return self.rt_sum / self.finals if self.finals else None

    def percentile(self, p: float) -> float | None:
        return percentile(self.histogram, p)


def percentile(histogram: Sequence[int], p: float) -> float | None:
    """The p-th percentile (0-100) of a histogram, interpolated linearly inside its bin."""
    total = sum(histogram)
    if not total:
        return None
    rank = p / 100.0 * total
    seen = 0
    for i, count in enumerate(histogram):
        if count and seen + count >= rank:
            low = float(BOUNDS_MS[i - 1]) if i else 0.0
            high = float(BOUNDS_MS[i]) if i < len(BOUNDS_MS) else low * 1.5
            return low + (high - low) * max(0.0, rank - seen) / count
        seen += count
    return float(BOUNDS_MS[-1])


def summarise(rows: Iterable[Any]) -> Summary:
    summary = Summary()
    for row in rows:
        summary.add(row)
    return summary
