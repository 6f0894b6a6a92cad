"""Each check type's response-time limits, and the one rule for reading them from a check.

The probes judge a run against these, `runner.py` abandons a run shortly after its limit, and
`checks/schemas.py` shows them as a new check's defaults (they are Checkly's own).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class ResponseTimes:
    """`degraded_ms` and `max_ms` are the defaults; `ceiling_ms` is the most the API accepts."""

    degraded_ms: int
    max_ms: int
    ceiling_ms: int


RESPONSE_TIMES: dict[str, ResponseTimes] = {
    "API": ResponseTimes(degraded_ms=5000, max_ms=20000, ceiling_ms=45000),
    "URL": ResponseTimes(degraded_ms=3000, max_ms=5000, ceiling_ms=45000),
    "TCP": ResponseTimes(degraded_ms=3000, max_ms=5000, ceiling_ms=45000),
    "DNS": ResponseTimes(degraded_ms=500, max_ms=1000, ceiling_ms=5000),
    "ICMP": ResponseTimes(degraded_ms=10000, max_ms=20000, ceiling_ms=300000),
}


@dataclass(frozen=True, slots=True)
class Limits:
    degraded_ms: float
    max_ms: float


def response_limits(check_type: str, check: Mapping[str, Any]) -> Limits:
    """The check's `degradedResponseTime` and `maxResponseTime`.

    One rule for every type: absent or null means the type's default, anything else must be a
    number (`ValueError` if not). Stored checks always carry both, as numbers (the API fills them
    in); a check whose limits cannot be read is one the scheduler skips, not one it guesses at.
    """
    defaults = RESPONSE_TIMES.get(check_type, RESPONSE_TIMES["API"])
    return Limits(
        degraded_ms=_number(check.get("degradedResponseTime"), defaults.degraded_ms),
        max_ms=_number(check.get("maxResponseTime"), defaults.max_ms),
    )


def _number(value: Any, default: int) -> float:
    if value is None:
        return float(default)
    if not isinstance(value, bool) and isinstance(value, int | float | str):
        try:
            return float(value)
        except ValueError:
            pass
    raise ValueError(f"a response time must be a number, not {value!r}")
