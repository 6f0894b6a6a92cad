"""Check results in Checkly's `CheckResult` shape (reference §4.3)."""

from __future__ import annotations

from typing import Any

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
    }
)


def result_wire(row: Any, *, with_detail: bool = True) -> dict[str, Any]:
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
    }
    for key in SUB_RESULTS:
        body[key] = None
    if with_detail and row.detail_key:
        body[row.detail_key] = row.detail
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
