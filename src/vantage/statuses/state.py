"""A check's status (pure): what its latest FINAL result says, and the changes alerting consumes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

CheckStatus = Literal["passing", "failing", "degraded"]


def status_of(*, has_failures: bool, has_errors: bool, is_degraded: bool) -> CheckStatus:
    """The status a check-status row stands for; failing wins over degraded."""
    if has_failures or has_errors:
        return "failing"
    if is_degraded:
        return "degraded"
    return "passing"


@dataclass(frozen=True, slots=True)
class StatusTransition:
    """A check's status changed with a FINAL result from `location`; `old` is None for the
    check's first result."""

    check_id: str
    account_id: str
    location: str
    old: CheckStatus | None
    new: CheckStatus
