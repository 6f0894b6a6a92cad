"""Prometheus metrics of one server process, on `/metrics`.

Counters and histograms are observed where things happen (leases, results, sessions, the
scheduler); what is a property of the database (queue depth, oldest queued job, agents per location)
is read when Prometheus scrapes. Each app gets its own registry, so tests can run several apps.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector
from sqlalchemy.ext.asyncio import AsyncConnection

from vantage.db.tables import check_results, check_statuses, checks, jobs, locations
from vantage.locations.service import agent_counts

if TYPE_CHECKING:
    from vantage.probes.result import ProbeResult

PROBE_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 45)
# The location label every private location is shown under on an open /metrics.
PRIVATE_LOCATION = "private"
# Samples merged under one label set add up, except these (an age is the oldest one's).
_MERGED_BY_MAX = frozenset({"vantage_queue_oldest_seconds"})


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.executions = Counter(
            "vantage_check_executions",
            "Check runs whose result was stored, by outcome",
            ["check_type", "location", "outcome"],
            registry=r,
        )
        self.probe_duration = Histogram(
            "vantage_probe_duration_seconds",
            "Response time measured by the probe",
            ["check_type", "location"],
            buckets=PROBE_BUCKETS,
            registry=r,
        )
        self.leases_taken = Counter(
            "vantage_leases_taken", "Jobs leased by agents", ["location"], registry=r
        )
        self.leases_expired = Counter(
            "vantage_leases_expired",
            "Jobs leased again because the previous lease expired",
            ["location"],
            registry=r,
        )
        self.sessions_finished = Counter(
            "vantage_check_sessions_finished",
            "Check sessions that reached a final status",
            ["status"],
            registry=r,
        )
        self.sessions_started = Counter(
            "vantage_check_sessions_started", "Check sessions started", ["run_source"], registry=r
        )
        self.slots_skipped = Counter(
            "vantage_scheduler_slots_skipped",
            "Scheduled slots not run because the check's previous scheduled run was still "
            "waiting for an agent",
            registry=r,
        )
        self.schedule_lag = Gauge(
            "vantage_schedule_lag_seconds",
            "How late the scheduler started the last due check",
            registry=r,
        )
        self.queue_depth = Gauge(
            "vantage_queue_depth", "Jobs waiting to be leased", ["location"], registry=r
        )
        self.queue_oldest = Gauge(
            "vantage_queue_oldest_seconds",
            "Age of the oldest job waiting to be leased",
            ["location"],
            registry=r,
        )
        self.agents = Gauge(
            "vantage_agents_seen", "Agents seen recently per location", ["location"], registry=r
        )
        # One series per check that has run (labels bounded by the number of checks), so an
        # alert rule can name the failing check: its status, and its last run's duration and time.
        self.check_status = Gauge(
            "vantage_check_status",
            "1 for the check's current status (passing, degraded or failing)",
            ["check_id", "check_type", "status"],
            registry=r,
        )
        self.check_last_duration = Gauge(
            "vantage_check_last_duration_seconds",
            "Response time of the check's last FINAL result",
            ["check_id", "check_type"],
            registry=r,
        )
        self.check_last_run = Gauge(
            "vantage_check_last_run_timestamp_seconds",
            "When the check's last FINAL result was stored (Unix time)",
            ["check_id", "check_type"],
            registry=r,
        )
        # The operator's locations (not an account's), as of the last refresh.
        self.operator_locations: frozenset[str] = frozenset()

    def leased(self, location: str, taken: int, expired: int) -> None:
        if taken:
            self.leases_taken.labels(location).inc(taken)
        if expired:
            self.leases_expired.labels(location).inc(expired)

    def executed(self, check_type: str, location: str, result: ProbeResult) -> None:
        outcome = (
            "error"
            if result.has_errors
            else "failed"
            if result.has_failures
            else "degraded"
            if result.is_degraded
            else "passed"
        )
        self.executions.labels(check_type, location, outcome).inc()
        self.probe_duration.labels(check_type, location).observe(result.response_time_ms / 1000)

    async def refresh(self, conn: AsyncConnection, now: datetime) -> None:
        """Read the gauges that describe the database's state."""
        rows = await conn.execute(
            sa.select(jobs.c.location, sa.func.count(), sa.func.min(jobs.c.run_at))
            .where(jobs.c.state == "QUEUED", jobs.c.run_at <= now)
            .group_by(jobs.c.location)
        )
        self.queue_depth.clear()
        self.queue_oldest.clear()
        for location, depth, oldest in rows:
            self.queue_depth.labels(location).set(depth)
            if oldest is not None:
                self.queue_oldest.labels(location).set(max(0.0, (now - oldest).total_seconds()))
        known = (await conn.execute(sa.select(locations.c.slug, locations.c.account_id))).all()
        self.operator_locations = frozenset(slug for slug, account in known if account is None)
        counts = await agent_counts(conn, [slug for slug, _ in known], now)
        self.agents.clear()
        for location, count in counts.items():
            self.agents.labels(location).set(count)
        await self._refresh_checks(conn)

    async def _refresh_checks(self, conn: AsyncConnection) -> None:
        """Each existing check's status row, and its last FINAL result's response time (one
        index probe per check on (check_id, created_at))."""
        last_duration = (
            sa.select(check_results.c.response_time)
            .where(
                check_results.c.check_id == check_statuses.c.check_id,
                check_results.c.result_type == "FINAL",
            )
            .order_by(check_results.c.created_at.desc())
            .limit(1)
            .scalar_subquery()
        )
        rows = await conn.execute(
            sa.select(
                check_statuses.c.check_id,
                checks.c.check_type,
                check_statuses.c.has_failures,
                check_statuses.c.has_errors,
                check_statuses.c.is_degraded,
                check_statuses.c.last_result_at,
                last_duration.label("last_duration_ms"),
            ).join(checks, checks.c.id == check_statuses.c.check_id)
        )
        self.check_status.clear()
        self.check_last_duration.clear()
        self.check_last_run.clear()
        for row in rows:
            self.check_status.labels(row.check_id, row.check_type, check_state(row)).set(1)
            if row.last_duration_ms is not None:
                self.check_last_duration.labels(row.check_id, row.check_type).set(
                    row.last_duration_ms / 1000
                )
            if row.last_result_at is not None:
                self.check_last_run.labels(row.check_id, row.check_type).set(
                    row.last_result_at.timestamp()
                )

    def exposition(self, *, private_locations: bool = False) -> bytes:
        """The text Prometheus scrapes. Without `private_locations`, accounts' location slugs
        are summed under location="private": an open /metrics must not list them."""
        if private_locations:
            return generate_latest(self.registry)
        return generate_latest(_PrivateLocationsSummed(self.registry, self.operator_locations))


def check_state(row: Any) -> str:
    """passing, degraded or failing, as the check's status row says (errors count as failing)."""
    if row.has_failures or row.has_errors:
        return "failing"
    return "degraded" if row.is_degraded else "passing"


def token_matches(authorization: str, token: str) -> bool:
    """Whether an `Authorization` header is `Bearer <token>`, compared in constant time."""
    scheme, _, presented = authorization.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        presented.strip().encode(), token.encode()
    )


class _PrivateLocationsSummed(Collector):
    """The registry's metrics with every location that is not the operator's relabelled
    `private`, and the samples that then share labels merged (counts and histogram buckets add
    up). A location unknown to the last refresh (deleted since) counts as private."""

    def __init__(self, registry: CollectorRegistry, public: frozenset[str]) -> None:
        self.registry = registry
        self.public = public

    def collect(self) -> Iterable[Metric]:
        for family in self.registry.collect():
            merged: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
            for sample in family.samples:
                labels = dict(sample.labels)
                if "location" in labels and labels["location"] not in self.public:
                    labels["location"] = PRIVATE_LOCATION
                key = (sample.name, tuple(labels.items()))
                if key in merged:
                    merged[key] = _merge(family.name, sample.name)(merged[key], sample.value)
                else:
                    merged[key] = sample.value
            out = Metric(family.name, family.documentation, family.type, family.unit)
            for (name, labels_items), value in merged.items():
                out.add_sample(name, dict(labels_items), value)
            yield out


def _merge(family: str, sample: str) -> Callable[[float, float], float]:
    if sample.endswith("_created"):  # when a series started: the earliest
        return min
    if family in _MERGED_BY_MAX:
        return max
    return lambda a, b: a + b
