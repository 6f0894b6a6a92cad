"""ProbeResult as JSON, for the trip from a remote agent to the server (and its on-disk outbox).

Timestamps travel as ISO-8601 with microseconds and an explicit offset, so a result read back is
equal to the one written. `from_json` checks every field: a malformed item is refused on its own
instead of failing the batch it came in.
"""

from __future__ import annotations

import dataclasses
import math
from datetime import UTC, datetime
from typing import Any

from vantage import storable
from vantage.probes import certificate
from vantage.probes.result import ProbeResult

_BOOLS = ("hasFailures", "hasErrors", "isDegraded", "overMaxResponseTime", "networkError")


def to_json(result: ProbeResult) -> dict[str, Any]:
    return {
        "checkType": result.check_type,
        "startedAt": result.started_at.astimezone(UTC).isoformat(),
        "stoppedAt": result.stopped_at.astimezone(UTC).isoformat(),
        "responseTimeMs": result.response_time_ms,
        "hasFailures": result.has_failures,
        "hasErrors": result.has_errors,
        "isDegraded": result.is_degraded,
        "overMaxResponseTime": result.over_max_response_time,
        "networkError": result.network_error,
        "detailKey": result.detail_key,
        "detail": result.detail,
        "error": result.error,
        # Optional (an older agent sends none): what the run's TLS handshake was served.
        **({} if result.certificate is None else {"certificate": result.certificate.to_json()}),
    }


def from_json(data: Any, *, clean: bool = False) -> ProbeResult:
    """The ProbeResult `to_json` wrote; ValueError naming the first bad field otherwise. `clean`:
    the JSON it came from was seen to hold no NUL or lone surrogate, so nothing needs scrubbing."""
    if not isinstance(data, dict):
        raise ValueError("a result must be an object")
    for name in _BOOLS:
        if not isinstance(data.get(name), bool):
            raise ValueError(f'"{name}" must be a boolean')
    for name in ("checkType", "detailKey"):
        if not isinstance(data.get(name), str) or not data[name]:
            raise ValueError(f'"{name}" must be a non-empty string')
    response_time = data.get("responseTimeMs")
    if isinstance(response_time, bool) or not isinstance(response_time, int | float):
        raise ValueError('"responseTimeMs" must be a number')
    if response_time < 0:
        raise ValueError('"responseTimeMs" must not be negative')
    detail = data.get("detail", {})
    if not isinstance(detail, dict):
        raise ValueError('"detail" must be an object')
    error = data.get("error")
    if error is not None and not isinstance(error, str):
        raise ValueError('"error" must be a string or null')
    try:
        response_time = float(response_time)
    except OverflowError:
        response_time = math.inf
    if not math.isfinite(response_time):
        raise ValueError('"responseTimeMs" must be a finite number')
    for name in ("checkType", "detailKey"):
        if len(data[name]) > 40 or storable.scrub(data[name]) != data[name]:
            raise ValueError(f'"{name}" must be a short text')
    peer = certificate.from_json(data.get("certificate"))
    result = _result(data, response_time, detail, error)
    if peer is not None:
        result.certificate = peer
    return result if clean else storable_result(result)


def storable_result(result: ProbeResult) -> ProbeResult:
    """The result with what it saw made storable: a NUL (from a binary body, or a JSON one's
    `\u0000`) cannot go into PostgreSQL, a lone surrogate cannot be echoed as UTF-8."""
    try:
        detail, error = storable.scrub(result.detail), storable.scrub(result.error)
    except RecursionError:  # a parsed response nested nearly as deep as json allows
        detail, error = {}, "The result's detail is nested too deeply to store."
    if detail is result.detail and error is result.error:
        return result
    return dataclasses.replace(result, detail=detail, error=error)


def _result(data: dict[str, Any], response_time: float, detail: Any, error: Any) -> ProbeResult:
    return ProbeResult(
        check_type=data["checkType"],
        started_at=_timestamp(data, "startedAt"),
        stopped_at=_timestamp(data, "stoppedAt"),
        response_time_ms=response_time,
        has_failures=data["hasFailures"],
        has_errors=data["hasErrors"],
        is_degraded=data["isDegraded"],
        over_max_response_time=data["overMaxResponseTime"],
        network_error=data["networkError"],
        detail_key=data["detailKey"],
        detail=detail,
        error=error,
    )


def _timestamp(data: dict[str, Any], name: str) -> datetime:
    value = data.get(name)
    if not isinstance(value, str):
        raise ValueError(f'"{name}" must be an ISO-8601 timestamp')
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f'"{name}" must be an ISO-8601 timestamp') from None
    if parsed.tzinfo is None:
        raise ValueError(f'"{name}" must carry its UTC offset')
    try:
        return parsed.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00:00+01:00 is before the year 1 in UTC
        raise ValueError(f'"{name}" is out of range') from None
