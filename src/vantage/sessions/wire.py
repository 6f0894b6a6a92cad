"""Check sessions and their results in Checkly's JSON shape (reference §3.2)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from vantage.sessions.state import public_status
from vantage.timeutil import elapsed_ms, iso, utcnow, whole_ms


def session_link(base_url: str, account_id: str, check_id: str, session_id: str) -> str:
    return f"{base_url}/accounts/{account_id}/checks/{check_id}/check-sessions/{session_id}"


def session_wire(
    row: Any,
    *,
    base_url: str,
    version: int,
    results: list[Any] | None = None,
) -> dict[str, Any]:
    link = session_link(base_url, row.account_id, row.check_id, row.id)
    stop = row.stopped_at or utcnow()
    body: dict[str, Any] = {
        "checkSessionId": row.id,
        "checkSessionLink": link,
        "checkId": row.check_id,
        "checkType": row.check_type,
        "name": row.name,
        "status": public_status(row.status, version),
        "startedAt": iso(row.started_at),
        "stoppedAt": iso(row.stopped_at),
        "timeElapsed": elapsed_ms(row.started_at, stop),
        "runLocations": list(row.run_locations),
        "runSource": row.run_source,
    }
    if results is not None:
        body["results"] = [session_result_wire(r, link, row.stopped_at) for r in results]
    return body


def session_result_wire(
    row: Any, session_link_: str, session_stopped_at: datetime | None = None
) -> dict[str, Any]:
    """`late` (Vantage's): the result came after its session had ended (timed out while the run
    was out); it is shown, but did not change the session."""
    late = session_stopped_at is not None and row.created_at > session_stopped_at
    return {
        "checkResultId": row.id,
        "checkResultLink": f"{session_link_}/results/{row.id}",
        "checkId": row.check_id,
        "checkType": row.check_type,
        "name": row.name,
        "runLocation": row.run_location,
        "resultType": row.result_type,
        "sequenceId": row.sequence_id,
        "attempts": row.attempts,
        "hasErrors": row.has_errors,
        "hasFailures": row.has_failures,
        "isDegraded": row.is_degraded,
        "aborted": False,
        "isCancelled": False,
        "responseTime": whole_ms(row.response_time),
        "startedAt": iso(row.started_at),
        "stoppedAt": iso(row.stopped_at),
        "late": late,
        "inMaintenance": row.in_maintenance,
    }
