"""What a new check session consists of (pure): its locations, deadline and one job per location."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from vantage.checks.service import run_locations
from vantage.probes.runner import run_timeout_seconds
from vantage.sessions.retries import retry_budget_seconds


@dataclass(frozen=True, slots=True)
class CheckToRun:
    id: str
    account_id: str
    check_type: str
    name: str
    config: dict[str, Any]


@dataclass(slots=True)
class SessionPlan:
    session: dict[str, Any]
    jobs: list[dict[str, Any]] = field(default_factory=list)

    @property
    def id(self) -> str:
        return str(self.session["id"])

    @property
    def locations(self) -> list[str]:
        return list(self.session["run_locations"])


def pick_locations(config: dict[str, Any], default_location: str, now: datetime) -> list[str]:
    """All locations at once with runParallel; otherwise one, rotating with the schedule."""
    candidates = run_locations(config, default_location)
    if config.get("runParallel") or len(candidates) == 1:
        return candidates
    interval = max(1, int(config.get("frequency") or 1) * 60)
    return [candidates[int(now.timestamp() // interval) % len(candidates)]]


def plan_session(
    check: CheckToRun,
    *,
    run_source: str,
    now: datetime,
    default_location: str,
    deadline_slack_seconds: float,
) -> SessionPlan:
    session_id = str(uuid.uuid4())
    locations = pick_locations(check.config, default_location, now)
    run_timeout = run_timeout_seconds(check.check_type, check.config)
    budget = run_timeout + retry_budget_seconds(check.config.get("retryStrategy"), run_timeout)
    session = {
        "id": session_id,
        "account_id": check.account_id,
        "check_id": check.id,
        "check_type": check.check_type,
        "name": check.name,
        "status": "STARTED",
        "run_source": run_source,
        "run_locations": locations,
        "finals": 0,
        "failed": 0,
        "degraded": 0,
        "started_at": now,
        "stopped_at": None,
        "deadline_at": now + timedelta(seconds=budget + deadline_slack_seconds),
    }
    job_config = {**check.config, "checkType": check.check_type, "name": check.name}
    jobs = [
        {
            "id": str(uuid.uuid4()),
            "session_id": session_id,
            "account_id": check.account_id,
            "check_id": check.id,
            "location": location,
            "attempt": 1,
            "sequence_id": str(uuid.uuid4()),
            "state": "QUEUED",
            "run_at": now,
            "lease_owner": None,
            "lease_expires_at": None,
            "leases": 0,
            "config": job_config,
            "created_at": now,
        }
        for location in locations
    ]
    return SessionPlan(session=session, jobs=jobs)
