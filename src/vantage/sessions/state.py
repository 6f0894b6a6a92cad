"""The check-session state machine (pure).

A session's status follows from how many locations it waits for and the FINAL results so far;
ATTEMPT results never decide it:

    STARTED -> PROGRESS | PROGRESS_FAILED | PROGRESS_DEGRADED -> PASSED | FAILED | DEGRADED

and TIMED_OUT when the deadline passes first.
"""

from __future__ import annotations

from typing import Literal

Status = Literal[
    "STARTED",
    "PROGRESS",
    "PROGRESS_FAILED",
    "PROGRESS_DEGRADED",
    "PASSED",
    "FAILED",
    "DEGRADED",
    "TIMED_OUT",
    "CANCELLED",
]

TERMINAL: frozenset[str] = frozenset({"PASSED", "FAILED", "DEGRADED", "TIMED_OUT", "CANCELLED"})


def status_for(*, expected: int, reported: int, finals: int, failed: int, degraded: int) -> Status:
    """The status after `finals` FINAL results (of which `failed` failed and `degraded` were
    degraded) out of `expected` locations; `reported` counts every result, ATTEMPTs included."""
    if finals >= expected:
        if failed:
            return "FAILED"
        if degraded:
            return "DEGRADED"
        return "PASSED"
    if failed:
        return "PROGRESS_FAILED"
    if degraded:
        return "PROGRESS_DEGRADED"
    if reported or finals:
        return "PROGRESS"
    return "STARTED"


def is_terminal(status: str) -> bool:
    return status in TERMINAL


def public_status(status: str, version: int) -> str:
    """v1 has no CANCELLED and shows it as TIMED_OUT, as Checkly does."""
    if version == 1 and status == "CANCELLED":
        return "TIMED_OUT"
    return status
