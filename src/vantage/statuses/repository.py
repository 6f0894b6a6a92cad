"""SQL for check statuses: each check's latest state in one row, so reads never scan results."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from vantage.db.dialect import greatest, insert_for, least, qualified
from vantage.db.prepared import Prepared
from vantage.db.tables import check_statuses, checks

_REPLACED = (
    "has_failures",
    "has_errors",
    "is_degraded",
    "last_run_location",
    "last_check_run_id",
    "last_result_at",
    "updated_at",
)


async def upsert(conn: AsyncConnection, rows: Sequence[dict[str, Any]]) -> None:
    """Write one status row per check, in one statement: the latest result's fields replace the
    old ones, the run-time extremes widen, a certificate replaces the one stored (None keeps it;
    every row names `certificate`)."""
    await _upsert(conn).execute(conn, rows)


_UPSERTS: dict[str, Prepared] = {}


def _upsert(conn: AsyncConnection) -> Prepared:
    # Built once per dialect: every intake runs it, and building costs more than running it.
    prepared = _UPSERTS.get(conn.dialect.name)
    if prepared is None:
        stmt = insert_for(conn, check_statuses)
        stmt = stmt.on_conflict_do_update(
            index_elements=["check_id"],
            set_={
                **{name: stmt.excluded[name] for name in _REPLACED},
                "longest_run": greatest(
                    conn, check_statuses.c.longest_run, stmt.excluded.longest_run
                ),
                "shortest_run": least(
                    conn, check_statuses.c.shortest_run, stmt.excluded.shortest_run
                ),
                # A run that brings no certificate (it failed before TLS) keeps the last one.
                "certificate": sa.func.coalesce(
                    stmt.excluded.certificate, check_statuses.c.certificate
                ),
            },
        )
        prepared = _UPSERTS[conn.dialect.name] = Prepared(stmt)
    return prepared


def status_of_check(check_id: sa.ColumnElement[str]) -> sa.Label[Any]:
    """The stored status of `check_id` (None before its first result), as a scalar subquery that
    a statement over other tables can return: the intake reads it with the jobs it takes, which
    spares a statement per batch. Mirrors `state.status_of`."""
    status = (
        sa.select(
            sa.case(
                (sa.or_(check_statuses.c.has_failures, check_statuses.c.has_errors), "failing"),
                (check_statuses.c.is_degraded, "degraded"),
                else_="passing",
            )
        )
        .where(check_statuses.c.check_id == check_id)
        .scalar_subquery()
    )
    # Qualified: the intake returns it from a DELETE ... RETURNING (vantage.db.dialect.qualified).
    return qualified(status).label("check_status")


def _of_account(account_id: str) -> sa.Select[Any]:
    return (
        sa.select(check_statuses, checks.c.name)
        .join(checks, checks.c.id == check_statuses.c.check_id)
        .where(check_statuses.c.account_id == account_id)
    )


async def list_for_account(conn: AsyncConnection, account_id: str) -> Sequence[Any]:
    """The account's status rows with their check's name, oldest check first."""
    rows: Sequence[Any] = (
        await conn.execute(_of_account(account_id).order_by(checks.c.created_at))
    ).all()
    return rows


async def get(conn: AsyncConnection, account_id: str, check_id: str) -> Any:
    return (await conn.execute(_of_account(account_id).where(checks.c.id == check_id))).first()


async def delete_of_check(conn: AsyncConnection, check_id: str) -> None:
    await conn.execute(check_statuses.delete().where(check_statuses.c.check_id == check_id))
