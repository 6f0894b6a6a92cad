"""Prometheus metrics of one server process, on `/metrics`.

Counters and histograms are observed where things happen (leases, results, sessions, the
scheduler); what is a property of the database (queue depth, oldest queued job, agents per location)
is read when Prometheus scrapes. Each app gets its own registry, so tests can run several apps.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from sqlalchemy.ext.asyncio import AsyncConnection

from vantage.db.tables import jobs, locations
from vantage.locations.service import agent_counts

if TYPE_CHECKING:
    from vantage.probes.result import ProbeResult

PROBE_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 45)


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
        slugs = list(await conn.scalars(sa.select(locations.c.slug)))
        counts = await agent_counts(conn, slugs, now)
        self.agents.clear()
        for location, count in counts.items():
            self.agents.labels(location).set(count)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)
