"""SQL for test sessions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from vantage.db.tables import check_results, check_sessions, test_sessions


async def insert(conn: AsyncConnection, row: dict[str, Any]) -> None:
    await conn.execute(test_sessions.insert(), row)


async def get(conn: AsyncConnection, account_id: str, test_session_id: str) -> Any:
    return (
        await conn.execute(
            sa.select(test_sessions).where(
                test_sessions.c.id == test_session_id, test_sessions.c.account_id == account_id
            )
        )
    ).first()


async def page(
    conn: AsyncConnection, account_id: str, *, limit: int, before: datetime | None
) -> Sequence[Any]:
    """Recorded sessions, newest first; `before`: older than that (the `nextId` cursor)."""
    query = sa.select(test_sessions).where(
        test_sessions.c.account_id == account_id, test_sessions.c.recorded.is_(True)
    )
    if before is not None:
        query = query.where(test_sessions.c.created_at < before)
    query = query.order_by(test_sessions.c.created_at.desc(), test_sessions.c.id).limit(limit)
    return (await conn.execute(query)).all()


async def check_sessions_of(conn: AsyncConnection, session_ids: Sequence[str]) -> dict[str, Any]:
    if not session_ids:
        return {}
    rows = await conn.execute(
        sa.select(check_sessions).where(check_sessions.c.id.in_(list(session_ids)))
    )
    return {row.id: row for row in rows}


async def finals_of(conn: AsyncConnection, session_ids: Sequence[str]) -> dict[str, Any]:
    """The FINAL result of each check session that has one."""
    if not session_ids:
        return {}
    rows = await conn.execute(
        sa.select(check_results)
        .where(
            check_results.c.session_id.in_(list(session_ids)),
            check_results.c.result_type == "FINAL",
        )
        .order_by(check_results.c.created_at)
    )
    return {row.session_id: row for row in rows}


async def result_with_session(conn: AsyncConnection, result_id: str) -> Any:
    """A stored result of an ad-hoc run, with its test session's topic fields."""
    return (
        await conn.execute(
            sa.select(
                check_results,
                test_sessions.c.suite_id,
                test_sessions.c.runs,
                test_sessions.c.id.label("test_session_id"),
            )
            .join(check_sessions, check_sessions.c.id == check_results.c.session_id)
            .join(test_sessions, test_sessions.c.id == check_sessions.c.test_session_id)
            .where(check_results.c.id == result_id)
        )
    ).first()


async def mark_cancelled(conn: AsyncConnection, test_session_id: str, now: datetime) -> None:
    await conn.execute(
        test_sessions.update()
        .where(test_sessions.c.id == test_session_id, test_sessions.c.cancelled_at.is_(None))
        .values(cancelled_at=now)
    )


async def ad_hoc_session(conn: AsyncConnection, session_id: str) -> Any:
    """A check session of a test session, with the test session's topic fields; None for any
    other session."""
    return (
        await conn.execute(
            sa.select(
                check_sessions.c.id,
                check_sessions.c.status,
                test_sessions.c.account_id,
                test_sessions.c.suite_id,
                test_sessions.c.runs,
            )
            .join(test_sessions, test_sessions.c.id == check_sessions.c.test_session_id)
            .where(check_sessions.c.id == session_id)
        )
    ).first()


async def check_session_page(
    conn: AsyncConnection, account_id: str, check_session_id: str
) -> tuple[str, str | None] | None:
    """What the web UI's page of one check session is named by: its check id, and its final
    result's id when it has one."""
    session = (
        await conn.execute(
            sa.select(check_sessions.c.check_id).where(
                check_sessions.c.id == check_session_id,
                check_sessions.c.account_id == account_id,
            )
        )
    ).first()
    if session is None:
        return None
    final = await conn.scalar(
        sa.select(check_results.c.id)
        .where(
            check_results.c.session_id == check_session_id,
            check_results.c.result_type == "FINAL",
        )
        .order_by(check_results.c.created_at.desc())
        .limit(1)
    )
    return str(session.check_id), final
