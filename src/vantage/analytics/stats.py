"""Figures over a check's FINAL results (pure). Availability is the percentage of results without
failures or errors; response times are milliseconds, with nearest-rank percentiles. Every figure is
null for a window with no results, as Checkly answers for a check that has not run."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

# Metric families Vantage measures: every check's run time is `responseTime` (API, URL),
# `total` (TCP, DNS) and `latencyAvg` (ICMP: the average round trip) in Checkly's names.
TIME_FAMILIES = ("responseTime", "total", "latencyAvg")
AGGREGATIONS = ("avg", "min", "max", "median", "p50", "p90", "p95", "p99", "sum", "stddev")


@dataclass(frozen=True, slots=True)
class Run:
    passed: bool
    response_time_ms: float
    # When the result was taken: `/v1/reporting` puts it in its calendar bucket.
    at: datetime | None = None


def percentile(sorted_values: Sequence[float], p: float) -> float:
    rank = max(1, math.ceil(p / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


def _aggregate(values: Sequence[float], aggregation: str) -> float:
    if aggregation == "avg":
        return sum(values) / len(values)
    if aggregation == "min":
        return values[0]
    if aggregation == "max":
        return values[-1]
    if aggregation == "sum":
        return sum(values)
    if aggregation == "stddev":
        mean = sum(values) / len(values)
        return math.sqrt(sum((v - mean) ** 2 for v in values) / len(values))
    if aggregation == "median":
        return percentile(values, 50)
    return percentile(values, float(aggregation[1:]))


def figures(runs: Sequence[Run], metrics: Sequence[str]) -> dict[str, float | None]:
    """Each requested metric Vantage knows (`availability`, `<family>_<aggregation>`); others are
    left out."""
    times = sorted(run.response_time_ms for run in runs)
    out: dict[str, float | None] = {}
    for metric in metrics:
        if metric == "availability":
            passed = sum(1 for run in runs if run.passed)
            out[metric] = round(100 * passed / len(runs), 4) if runs else None
            continue
        family, _, aggregation = metric.partition("_")
        if family in TIME_FAMILIES and aggregation in AGGREGATIONS:
            out[metric] = round(_aggregate(times, aggregation), 2) if times else None
    return out
