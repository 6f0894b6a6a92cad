"""SQL for each check's alert state (`check_alert_states`): created on a check's first run, locked
while a transaction feeds runs into it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from vantage.alerting.policy import AlertState
from vantage.db.dialect import claim_subquery, insert_for
from vantage.db.prepared import Prepared
from vantage.db.tables import check_alert_states as table

FIELDS = (
    "status",
    "notified",
    "consecutive_failed",
    "consecutive_degraded",
    "failing_since",
    "degraded_since",
    "episode",
    "reminders_sent",
    "next_reminder_at",
    "escalate_at",
    "announced",
)


def _row(state: AlertState) -> dict[str, Any]:
    return {name: getattr(state, name) for name in FIELDS}


def state_of(row: Any) -> AlertState:
    return AlertState(**{name: getattr(row, name) for name in FIELDS})


async def lock(
    conn: AsyncConnection, checks: Sequence[tuple[str, str]], now: datetime
) -> dict[str, AlertState]:
    """The states of these (check id, account id) pairs, created when missing, locked for the rest
    of the transaction (in check-id order, so two transactions never wait on each other in a
    circle)."""
    owners = dict(sorted(checks))
    fresh = _row(AlertState())
    await _create(conn).execute(
        conn,
        [{"check_id": c, "account_id": a, **fresh, "updated_at": now} for c, a in owners.items()],
    )
    rows = await conn.execute(
        sa.select(table)
        .where(table.c.check_id.in_(list(owners)))
        .order_by(table.c.check_id)
        .with_for_update()
    )
    return {row.check_id: state_of(row) for row in rows.all()}


async def save(conn: AsyncConnection, states: Mapping[str, AlertState], now: datetime) -> None:
    await _SAVE.execute(
        conn,
        [
            {
                "b_check_id": check_id,
                **{f"b_{k}": v for k, v in _row(state).items()},
                "b_updated_at": now,
            }
            for check_id, state in states.items()
        ],
    )


# Built once (per dialect where it differs) and `Prepared`: every batch of results that ends
# sessions runs them, one row per check.
_SAVE = Prepared(
    table.update()
    .where(table.c.check_id == sa.bindparam("b_check_id"))
    .values({name: sa.bindparam(f"b_{name}") for name in (*FIELDS, "updated_at")})
)
_CREATES: dict[str, Prepared] = {}


def _create(conn: AsyncConnection) -> Prepared:
    prepared = _CREATES.get(conn.dialect.name)
    if prepared is None:
        stmt = insert_for(conn, table).on_conflict_do_nothing(index_elements=["check_id"])
        prepared = _CREATES[conn.dialect.name] = Prepared(stmt)
    return prepared


def _timer_due(now: datetime) -> sa.ColumnElement[bool]:
    return sa.or_(table.c.next_reminder_at <= now, table.c.escalate_at <= now)


async def any_timer_due(conn: AsyncConnection, now: datetime) -> bool:
    """A cheap read first, so an idle sweep never takes SQLite's write lock: a reminder or a
    time-based escalation is due."""
    found = await conn.scalar(sa.select(table.c.check_id).where(_timer_due(now)).limit(1))
    return found is not None


async def next_timer_at(conn: AsyncConnection) -> datetime | None:
    """The soonest reminder or time-based escalation, due or not (one read of each index)."""
    reminder = sa.select(sa.func.min(table.c.next_reminder_at)).scalar_subquery()
    escalation = sa.select(sa.func.min(table.c.escalate_at)).scalar_subquery()
    row = (await conn.execute(sa.select(reminder, escalation))).one()
    return min((at for at in row if at is not None), default=None)


async def claim_due_timers(conn: AsyncConnection, now: datetime, limit: int) -> list[Any]:
    """States with a reminder or an escalation due, locked for this transaction; another replica
    skips them."""
    query = claim_subquery(
        conn, sa.select(table).where(_timer_due(now)).order_by(table.c.check_id).limit(limit)
    )
    return list((await conn.execute(query)).all())
