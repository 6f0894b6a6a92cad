"""What a running server holds: settings, the database, its wake-ups, metrics and rate limiter."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property

from fastapi import Request

from vantage.config import Settings
from vantage.db.engine import Database
from vantage.limits.counters import counters_for
from vantage.limits.service import RateLimiter
from vantage.locations.keys import AgentKeyCache
from vantage.metrics import Metrics
from vantage.mqtt.broker import Hub
from vantage.projects.tracking import Deployments
from vantage.sealing import Sealer
from vantage.wakeups import Signals


@dataclass
class Runtime:
    settings: Settings
    db: Database
    signals: Signals = field(default_factory=Signals)
    metrics: Metrics = field(default_factory=Metrics)
    # The MQTT result channel's subscribers on this process (`vantage.mqtt`).
    hub: Hub = field(default_factory=Hub)
    # The project deployments this process is applying (`vantage.projects`).
    deploys: Deployments = field(default_factory=Deployments)
    # With several replicas, waiters also re-read the database this often, in case a
    # notification from another replica was lost; None when this process sees every change.
    recheck_seconds: float | None = None
    limiter: RateLimiter = field(init=False)
    # What the agent keys presented lately open (`vantage.locations.keys.AgentKeyCache`).
    agent_keys: AgentKeyCache = field(init=False)

    def __post_init__(self) -> None:
        self.agent_keys = AgentKeyCache(self.settings.agent_key_cache_seconds)
        self.limiter = RateLimiter(self.settings.limits(), counters_for(self.db))
        self.hub.max_per_account = self.settings.mqtt_max_connections_per_account

    @cached_property
    def sealer(self) -> Sealer:
        """Seals and opens secret values at rest with the operator's `secrets_key`."""
        return Sealer(self.settings.secrets_key)

    def sessions_cancelled(self, session_ids: Sequence[str]) -> None:
        """Wake the waiters of sessions a deletion ended (their check or location went)."""
        for session_id in session_ids:
            self.signals.session_finished(session_id)
        if session_ids:
            self.metrics.sessions_finished.labels("CANCELLED").inc(len(session_ids))


async def get_runtime(request: Request) -> Runtime:
    # async: FastAPI runs a plain `def` dependency in its thread pool, a thread hop per request
    runtime: Runtime = request.app.state.runtime
    return runtime
