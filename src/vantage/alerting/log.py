"""`/v1/alert-notifications`: the outbox as Checkly's notification log (what the CLI's
`alert-channels logs` reads). Secrets in `alertConfig` are masked as in channel answers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from vantage.alerting import outbox, secrets
from vantage.errors import BadRequest
from vantage.timeutil import iso

MAX_WINDOW = timedelta(hours=24)


def moment(value: int | None) -> datetime | None:
    """`from` / `to`: UNIX seconds, as Checkly's clients send them."""
    return None if value is None else datetime.fromtimestamp(value, UTC)


def window(raw_from: int | None, raw_to: int | None, now: datetime) -> tuple[datetime, datetime]:
    until = moment(raw_to) or now
    since = moment(raw_from) or until - MAX_WINDOW
    if since > until or until - since > MAX_WINDOW:
        raise BadRequest(
            '"from" must be before "to" and at most 24 hours earlier', keys=["from"], source="query"
        )
    return since, until


def wire(row: Any) -> dict[str, Any]:
    context = row.context or {}
    channel = row.channel or {}
    return {
        "id": row.id,
        "type": row.channel_type,
        "status": "IN_PROGRESS" if row.status in outbox.OPEN else row.status,
        "alertConfig": secrets.masked(row.channel_type, channel.get("config") or {}),
        "notificationResult": row.result,
        "timestamp": iso(row.sent_at or row.created_at),
        "checkType": context.get("CHECK_TYPE"),
        "checkId": row.check_id,
        "checkAlertId": context.get("_incident_key"),
        "alertChannelId": int(row.alert_channel_id),
        "checkResultId": context.get("CHECK_RESULT_ID") or None,
        "alertType": row.alert_type,
        "attempts": int(row.attempts),
    }


async def list_page(
    conn: AsyncConnection,
    account_id: str,
    *,
    raw_from: int | None,
    raw_to: int | None,
    channel_id: int | None,
    failures_only: bool,
    limit: int,
    page: int,
    now: datetime,
) -> tuple[list[dict[str, Any]], int]:
    since, until = window(raw_from, raw_to, now)
    rows, total = await outbox.list_page(
        conn,
        account_id,
        since=since,
        until=until,
        channel_id=channel_id,
        failures_only=failures_only,
        limit=limit,
        offset=(page - 1) * limit,
    )
    return [wire(r) for r in rows], total
