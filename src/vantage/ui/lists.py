"""Reads of the account-wide lists: check sessions (newest first, keyset pages) and alerting
(channels, the notification log, alert events). Each reads one short indexed range."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from vantage.alerting import log as notification_log
from vantage.alerting import secrets
from vantage.db.tables import (
    alert_channel_subscriptions,
    alert_channels,
    alert_notifications,
    check_alerts,
    check_sessions,
    checks,
    test_sessions,
)
from vantage.errors import NotFound
from vantage.sessions.state import public_status
from vantage.sessions.wire import session_link
from vantage.timeutil import elapsed_ms, iso
from vantage.ui.queries import decode_cursor, encode_cursor

PAGE_SIZE = 50
ALERTS_SHOWN = 50


async def sessions_list(
    conn: AsyncConnection,
    account_id: str,
    *,
    cursor: str,
    now: datetime,
    test_session_id: str | None = None,
) -> dict[str, Any]:
    """The account's check sessions; or only a test session's (a `checkly test` or `trigger`
    run: the page its CLI prints), headed by the test session's name."""
    cs = check_sessions
    heading, only = None, None
    if test_session_id is not None:
        heading, only = await _test_session(conn, account_id, test_session_id)
    query = sa.select(
        cs.c.id,
        cs.c.check_id,
        cs.c.name,
        cs.c.check_type,
        cs.c.status,
        cs.c.run_source,
        cs.c.run_locations,
        cs.c.finals,
        cs.c.failed,
        cs.c.degraded,
        cs.c.started_at,
        cs.c.stopped_at,
    ).where(cs.c.account_id == account_id)
    if only is not None:
        # The test session names its check sessions: read by id, no index on test_session_id.
        query = query.where(cs.c.id.in_(only))
    after = decode_cursor(cursor) if cursor else None
    if after is not None:
        at, last_id = after
        # The plain bound lets the index (account, started, id) stop at the cursor.
        query = query.where(cs.c.started_at <= at, sa.or_(cs.c.started_at < at, cs.c.id < last_id))
    rows = (
        await conn.execute(
            query.order_by(cs.c.started_at.desc(), cs.c.id.desc()).limit(PAGE_SIZE + 1)
        )
    ).all()
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    return {
        "accountId": account_id,
        "heading": heading,
        "sessions": [
            {
                "id": r.id,
                "checkId": r.check_id,
                "name": r.name,
                "checkType": r.check_type,
                "status": public_status(r.status, 2),
                "ended": r.stopped_at is not None,
                "runSource": r.run_source,
                "runLocations": list(r.run_locations or []),
                "finals": r.finals,
                "failed": r.failed,
                "degraded": r.degraded,
                "startedAt": iso(r.started_at),
                "stoppedAt": iso(r.stopped_at),
                "timeElapsed": elapsed_ms(r.started_at, r.stopped_at or now),
                "link": session_link("", account_id, r.check_id, r.id),
            }
            for r in rows
        ],
        "next": encode_cursor(rows[-1].started_at, rows[-1].id) if more and rows else None,
    }


async def _test_session(
    conn: AsyncConnection, account_id: str, test_session_id: str
) -> tuple[str, list[str]]:
    """A test session's name and its check sessions' ids; another account's is a 404."""
    try:
        uuid.UUID(test_session_id)
    except ValueError:
        raise NotFound("No such test session.") from None
    row = (
        await conn.execute(
            sa.select(test_sessions.c.name, test_sessions.c.runs).where(
                test_sessions.c.id == test_session_id, test_sessions.c.account_id == account_id
            )
        )
    ).first()
    if row is None:
        raise NotFound("No such test session.")
    return str(row.name), [str(run["checkSessionId"]) for run in row.runs]


def _channel_target(channel_type: str, config: dict[str, Any]) -> str:
    """What a channel names as its destination, with secrets masked as the API masks them."""
    shown = secrets.masked(channel_type, config)
    for key in ("name", "address", "channel", "url", "number", "phoneNumber", "serviceKey"):
        value = shown.get(key)
        if isinstance(value, str) and value:
            return value
    return ""


async def alerts_page(conn: AsyncConnection, account_id: str) -> dict[str, Any]:
    ac, subs = alert_channels, alert_channel_subscriptions
    counts = (
        sa.select(subs.c.alert_channel_id, sa.func.count().label("n"))
        .where(subs.c.account_id == account_id)
        .group_by(subs.c.alert_channel_id)
        .subquery()
    )
    channels = (
        await conn.execute(
            sa.select(ac, sa.func.coalesce(counts.c.n, 0).label("subscriptions"))
            .select_from(ac.outerjoin(counts, counts.c.alert_channel_id == ac.c.id))
            .where(ac.c.account_id == account_id)
            .order_by(ac.c.id)
        )
    ).all()
    an = alert_notifications
    notifications = (
        await conn.execute(
            sa.select(an)
            .where(an.c.account_id == account_id)
            .order_by(an.c.created_at.desc(), an.c.seq.desc())
            .limit(ALERTS_SHOWN)
        )
    ).all()
    ca = check_alerts
    events = (
        await conn.execute(
            sa.select(ca)
            .where(ca.c.account_id == account_id)
            .order_by(ca.c.created_at.desc(), ca.c.id.desc())
            .limit(ALERTS_SHOWN)
        )
    ).all()
    names: dict[str, str] = {}
    check_ids = {r.check_id for r in notifications}
    if check_ids:
        for cid, name in await conn.execute(
            sa.select(checks.c.id, checks.c.name).where(
                checks.c.id.in_(check_ids), checks.c.account_id == account_id
            )
        ):
            names[cid] = name
    return {
        "accountId": account_id,
        "channels": [
            {
                "id": int(c.id),
                "type": c.type,
                "target": _channel_target(c.type, dict(c.config or {})),
                "sendFailure": c.send_failure,
                "sendDegraded": c.send_degraded,
                "sendRecovery": c.send_recovery,
                "sslExpiry": c.ssl_expiry,
                "subscriptions": int(c.subscriptions),
            }
            for c in channels
        ],
        "notifications": [
            {**notification_log.wire(n), "checkName": names.get(n.check_id)} for n in notifications
        ],
        "alerts": [
            {
                "id": e.id,
                "checkId": e.check_id,
                "name": e.name,
                "alertType": e.alert_type,
                "runLocation": e.run_location,
                "responseTime": e.response_time,
                "error": e.error,
                "statusCode": e.status_code,
                "createdAt": iso(e.created_at),
            }
            for e in events
        ],
    }
