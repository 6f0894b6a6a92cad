"""A check's dashboard state as a number, worst first, stored on its row (`checks.severity`),
and the name key the dashboard orders by (`checks.name_key`).

The state follows from two writers' data: the check's `activated` (the checks service) and its
status row (result intake). Each of them calls `refresh` after its write, in its transaction, so
the number is always the one `expression` computes from the rows as they now are.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from vantage.db.tables import check_statuses, checks

STATES = ("failing", "degraded", "pending", "passing", "paused")
"""Worst first: a state's index is its severity."""

FAILING, DEGRADED, PENDING, PASSING, PAUSED = range(len(STATES))


def name_key(name: str) -> str:
    """A check's name as the dashboard orders it: case aside (Python's, the same on both
    databases, where SQL's lower() differs)."""
    return name.casefold()[:500]


def of_new_check(activated: bool) -> int:
    """A new check has no status row yet."""
    return PENDING if activated else PAUSED


def expression() -> Any:
    """The severity the check's rows stand for, as SQL over `checks` (its status row read by a
    subquery, so an UPDATE of `checks` can set it)."""
    cs = check_statuses
    of_status = (
        sa.select(
            sa.case(
                (sa.or_(cs.c.has_failures, cs.c.has_errors), FAILING),
                (cs.c.is_degraded, DEGRADED),
                else_=PASSING,
            )
        )
        .where(cs.c.check_id == checks.c.id)
        .scalar_subquery()
    )
    return sa.case(
        (sa.not_(checks.c.activated), PAUSED),
        else_=sa.func.coalesce(of_status, PENDING),
    )


_REFRESH = (
    checks.update()
    .where(
        checks.c.id.in_(sa.bindparam("ids", expanding=True)),
        # Only rows whose state changed are written: most results change nothing.
        checks.c.severity != expression(),
    )
    .values(severity=expression())
)


async def refresh(conn: AsyncConnection, check_ids: Collection[str]) -> None:
    """Set the severity of `check_ids` from their rows as they now are: one statement, however
    many checks (the intake runs it once per batch)."""
    if check_ids:
        await conn.execute(_REFRESH, {"ids": list(check_ids)})
