"""`/v1/check-alerts`: the alerts checks raised (whoever heard them), newest first, at most six
hours at a time."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from vantage.alerting import log
from vantage.db.tables import check_alerts, checks
from vantage.errors import BadRequest, NotFound
from vantage.timeutil import iso

MAX_WINDOW = timedelta(hours=6)


def window(raw_from: int | None, raw_to: int | None, now: datetime) -> tuple[datetime, datetime]:
    until = log.moment(raw_to) or now
    since = log.moment(raw_from) or until - MAX_WINDOW
    if since > until or until - since > MAX_WINDOW:
        raise BadRequest(
            '"from" must be before "to" and at most 6 hours earlier', keys=["from"], source="query"
        )
    return since, until


def wire(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "checkId": row.check_id,
        "alertType": row.alert_type,
        "checkType": row.check_type,
        "runLocation": row.run_location,
        "responseTime": row.response_time,
        "error": row.error,
        "statusCode": row.status_code,
        "created_at": iso(row.created_at),
        "startedAt": iso(row.started_at),
    }


async def list_page(
    conn: AsyncConnection,
    account_id: str,
    *,
    check_id: str | None,
    raw_from: int | None,
    raw_to: int | None,
    limit: int,
    page: int,
    now: datetime,
) -> tuple[list[dict[str, Any]], int]:
    since, until = window(raw_from, raw_to, now)
    if check_id is not None:
        mine = await conn.scalar(
            sa.select(checks.c.id).where(checks.c.id == check_id, checks.c.account_id == account_id)
        )
        if mine is None:
            raise NotFound("No such check.")
    where = [
        check_alerts.c.account_id == account_id,
        check_alerts.c.created_at >= since,
        check_alerts.c.created_at <= until,
    ]
    if check_id is not None:
        where.append(check_alerts.c.check_id == check_id)
    total = await conn.scalar(sa.select(sa.func.count()).select_from(check_alerts).where(*where))
    rows = await conn.execute(
        sa.select(check_alerts)
        .where(*where)
        .order_by(check_alerts.c.created_at.desc(), check_alerts.c.id)
        .limit(limit)
        .offset((page - 1) * limit)
    )
    return [wire(r) for r in rows.all()], int(total or 0)
