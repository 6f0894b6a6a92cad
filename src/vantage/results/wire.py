"""Check results in Checkly's `CheckResult` shape (reference §4.3)."""

from __future__ import annotations

from typing import Any

from vantage.assets.extract import absolute
from vantage.timeutil import iso, whole_ms

# Sub-objects of Checkly's result; a result fills the one for its type and leaves the rest null.
SUB_RESULTS = (
    "apiCheckResult",
    "browserCheckResult",
    "multiStepCheckResult",
    "playwrightCheckResult",
    "agenticCheckResult",
    "tracerouteCheckResult",
    "grpcCheckResult",
    "sslCheckResult",
)

V2_FIELDS = frozenset(
    {
        "id",
        "name",
        "checkId",
        "hasFailures",
        "hasErrors",
        "isDegraded",
        "isCancelled",
        "overMaxResponseTime",
        "runLocation",
        "startedAt",
        "stoppedAt",
        "created_at",
        "createdAt",
        "responseTime",
        "checkRunId",
        "attempts",
        "resultType",
        "sequenceId",
        "traceId",
        "errorGroupIds",
        *SUB_RESULTS,
        "tcpCheckResult",
        "dnsCheckResult",
        "icmpCheckResult",
        "inMaintenance",
    }
)


def result_wire(row: Any, *, base_url: str, with_detail: bool = True) -> dict[str, Any]:
    """`base_url` makes the asset links inside the detail absolute (vantage.assets.extract)."""
    body: dict[str, Any] = {
        "id": row.id,
        "name": row.name,
        "checkId": row.check_id,
        "hasFailures": row.has_failures,
        "hasErrors": row.has_errors,
        "isDegraded": row.is_degraded,
        "overMaxResponseTime": row.over_max_response_time,
        "isCancelled": False,
        "runLocation": row.run_location,
        "startedAt": iso(row.started_at),
        "stoppedAt": iso(row.stopped_at),
        "created_at": iso(row.created_at),
        "responseTime": whole_ms(row.response_time),
        "checkRunId": row.check_run_id,
        "attempts": row.attempts,
        "resultType": row.result_type,
        "sequenceId": row.sequence_id,
        "traceId": None,
        "errorGroupIds": [],
        "checkSessionId": row.session_id,
        # Vantage's: taken while a maintenance window covered the check; in no availability.
        "inMaintenance": row.in_maintenance,
    }
    for key in SUB_RESULTS:
        body[key] = None
    if with_detail and row.detail_key:
        body[row.detail_key] = absolute(row.detail_key, row.detail, base_url)
    return body


def project(body: dict[str, Any], fields: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in fields:
        if name == "createdAt":
            out["createdAt"] = body.get("created_at")
        elif name in body:
            out[name] = body[name]
        else:
            out[name] = None
    return out
