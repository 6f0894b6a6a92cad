"""A check's state as the dashboard shows it (SQL expression and ordering)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from vantage.checks.severity import STATES
from vantage.db.tables import check_statuses, checks

__all__ = ["STATES", "result_state", "severity_expression", "state_expression"]


def state_expression() -> Any:
    cs = check_statuses
    return sa.case(
        (sa.not_(checks.c.activated), "paused"),
        (cs.c.check_id.is_(None), "pending"),
        (sa.or_(cs.c.has_failures, cs.c.has_errors), "failing"),
        (cs.c.is_degraded, "degraded"),
        else_="passing",
    )


def severity_expression() -> Any:
    cs = check_statuses
    return sa.case(
        (sa.not_(checks.c.activated), 4),
        (cs.c.check_id.is_(None), 2),
        (sa.or_(cs.c.has_failures, cs.c.has_errors), 0),
        (cs.c.is_degraded, 1),
        else_=3,
    )


def result_state(has_failures: bool, has_errors: bool, is_degraded: bool) -> str:
    if has_failures or has_errors:
        return "failed"
    return "degraded" if is_degraded else "passed"
