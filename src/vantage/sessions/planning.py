"""What a new check session consists of (pure): its locations, deadline and one job per location.

Each job is bound to its location's id, and only to a location the check's account may use (the
operator's or its own private one). A location the check names that does not exist (deleted in a
race with the check's edit, say) gets no job: the run goes to the check's other locations, and a
run left with none is a session that ends at once as CANCELLED (v1: TIMED_OUT), so its caller sees
an ended session instead of work queued for whoever creates that slug next.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from vantage.checks.scheduling import run_locations
from vantage.locations.ref import LocationRef
from vantage.probes.runner import run_timeout_seconds
from vantage.queue.jobs import new_job
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
    # Locations the check names that do not exist or are not the account's to use.
    missing: list[str] = field(default_factory=list)

    @property
    def id(self) -> str:
        return str(self.session["id"])

    @property
    def locations(self) -> list[str]:
        return list(self.session["run_locations"])

    @property
    def queued_locations(self) -> set[str]:
        """Where work was queued: the locations whose agents to wake."""
        return {str(job["location"]) for job in self.jobs}

    @property
    def cancelled(self) -> bool:
        return bool(self.session["status"] == "CANCELLED")


def pick_locations(candidates: list[str], config: dict[str, Any], now: datetime) -> list[str]:
    """All locations at once with runParallel; otherwise one, rotating with the schedule."""
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
    places: Mapping[str, LocationRef],
) -> SessionPlan:
    """`places` holds every location by slug (vantage.locations.service.refs)."""
    session_id = str(uuid.uuid4())
    wanted = run_locations(check.config, default_location)
    usable = [s for s in wanted if s in places and places[s].usable_by(check.account_id)]
    missing = [s for s in wanted if s not in usable]
    locations = pick_locations(usable or wanted, check.config, now)
    cancelled = not usable
    run_timeout = run_timeout_seconds(check.check_type, check.config)
    budget = run_timeout + retry_budget_seconds(check.config.get("retryStrategy"), run_timeout)
    session = {
        "id": session_id,
        "account_id": check.account_id,
        "check_id": check.id,
        "check_type": check.check_type,
        "name": check.name,
        "status": "CANCELLED" if cancelled else "STARTED",
        "run_source": run_source,
        "run_locations": locations,
        "finals": 0,
        "failed": 0,
        "degraded": 0,
        "started_at": now,
        "stopped_at": now if cancelled else None,
        "deadline_at": now + timedelta(seconds=budget + deadline_slack_seconds),
        # Set by `checkly test`'s planning (vantage.testsessions); every row has every column.
        "test_session_id": None,
    }
    job_config = {**check.config, "checkType": check.check_type, "name": check.name}
    jobs = [
        new_job(
            session_id=session_id,
            account_id=check.account_id,
            check_id=check.id,
            location=location,
            location_id=places[location].id,
            config=job_config,
            run_at=now,
            created_at=now,
        )
        for location in ([] if cancelled else locations)
    ]
    return SessionPlan(session=session, jobs=jobs, missing=missing)
