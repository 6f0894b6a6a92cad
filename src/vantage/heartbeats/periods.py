"""Heartbeat periods in seconds (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

UNIT_SECONDS = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400}
# Checkly's bounds: a period of at least 30 seconds; period and grace of at most 365 days each.
MIN_PERIOD_SECONDS = 30
MAX_SECONDS = 365 * 86400


def seconds(amount: int, unit: str) -> int:
    return int(amount) * UNIT_SECONDS[unit]


def allowance(heartbeat: Mapping[str, Any]) -> timedelta:
    """How long after a ping (or the check's start) the next one may arrive: period + grace."""
    return timedelta(
        seconds=seconds(heartbeat["period"], heartbeat["periodUnit"])
        + seconds(heartbeat["grace"], heartbeat["graceUnit"])
    )


def deadline(heartbeat: Mapping[str, Any], since: datetime) -> datetime:
    return since + allowance(heartbeat)
