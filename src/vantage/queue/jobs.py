"""The job row (pure): one builder for every job, the first run a session plans and each retry."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any


def new_job(
    *,
    session_id: str,
    account_id: str,
    check_id: str,
    location: str,
    location_id: str,
    config: dict[str, Any],
    run_at: datetime,
    created_at: datetime,
    attempt: int = 1,
    sequence_id: str | None = None,
    test_session_id: str | None = None,
) -> dict[str, Any]:
    """A queued job for `location`, bound to its id (never only to its slug).

    Retries pass on the chain's `sequence_id` and its first attempt's `created_at`, from which the
    retry strategy's maxDurationSeconds is counted. `test_session_id` marks an ad-hoc run
    (`checkly test`): its results stay out of the check's status, alerts and roll-ups.
    """
    return {
        "id": str(uuid.uuid4()),
        "session_id": session_id,
        "account_id": account_id,
        "check_id": check_id,
        "location": location,
        "location_id": location_id,
        "attempt": attempt,
        "sequence_id": sequence_id or str(uuid.uuid4()),
        "state": "QUEUED",
        "run_at": run_at,
        "lease_owner": None,
        "lease_expires_at": None,
        "leases": 0,
        "config": config,
        "created_at": created_at,
        "test_session_id": test_session_id,
    }
