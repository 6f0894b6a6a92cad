"""Heartbeats: registering a check's ping token and deadline, taking a ping, failing the checks
whose deadline passed. Each change of state writes one FINAL result in a session of its own (run
location `heartbeat`: the server, where the ping arrived or did not), and the check's status, in
the caller's transaction, with the alerts that run raises."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from vantage.alerting import evaluation as alerting
from vantage.db.tables import check_sessions, checks, heartbeat_events, heartbeats
from vantage.heartbeats.periods import allowance, deadline
from vantage.queue.intake import new_check_run_id
from vantage.results import repository as results_repository
from vantage.results.maintenance import mark as mark_maintenance
from vantage.statuses import repository as statuses_repository

LOCATION = "heartbeat"
PASSING = "PASSING"
FAILING = "FAILING"
PENDING = "PENDING"


def ping_url(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/ping/{token}"


def with_token(config: dict[str, Any], base_url: str) -> dict[str, Any]:
    """The config with its ping token (a new UUID unless the client chose one) and ping URL."""
    heartbeat = dict(config["heartbeat"])
    heartbeat["pingToken"] = heartbeat.get("pingToken") or str(uuid.uuid4())
    heartbeat["pingUrl"] = ping_url(base_url, heartbeat["pingToken"])
    return {**config, "heartbeat": heartbeat}


async def register(
    conn: AsyncConnection, account_id: str, check_id: str, config: Mapping[str, Any], now: datetime
) -> None:
    """Create or update the check's heartbeat row: its token, and a deadline counted from its last
    ping (or from now, for a new or reactivated check); none while it is deactivated."""
    heartbeat = config["heartbeat"]
    row = (
        await conn.execute(sa.select(heartbeats).where(heartbeats.c.check_id == check_id))
    ).first()
    since = row.last_ping_at if row is not None and row.last_ping_at is not None else now
    due = deadline(heartbeat, since) if config["activated"] else None
    if row is None:
        await conn.execute(
            heartbeats.insert().values(
                check_id=check_id,
                account_id=account_id,
                ping_token=heartbeat["pingToken"],
                state=PENDING,
                last_ping_at=None,
                deadline_at=due,
            )
        )
    else:
        await conn.execute(
            heartbeats.update()
            .where(heartbeats.c.check_id == check_id)
            .values(ping_token=heartbeat["pingToken"], deadline_at=due)
        )


async def token_taken(conn: AsyncConnection, token: str, check_id: str | None) -> bool:
    query = sa.select(heartbeats.c.check_id).where(heartbeats.c.ping_token == token)
    if check_id is not None:
        query = query.where(heartbeats.c.check_id != check_id)
    return (await conn.scalar(query)) is not None


def _outcome_rows(check: Any, passed: bool, now: datetime) -> tuple[dict[str, Any], ...]:
    session_id = str(uuid.uuid4())
    status = "PASSED" if passed else "FAILED"
    session = {
        "id": session_id,
        "account_id": check.account_id,
        "check_id": check.id,
        "check_type": "HEARTBEAT",
        "name": check.name,
        "status": status,
        "run_source": "SCHEDULER",
        "run_locations": [LOCATION],
        "finals": 1,
        "failed": 0 if passed else 1,
        "degraded": 0,
        "started_at": now,
        "stopped_at": now,
        "deadline_at": now,
    }
    result = {
        "id": str(uuid.uuid4()),
        "account_id": check.account_id,
        "check_id": check.id,
        "session_id": session_id,
        "job_id": None,
        "name": check.name,
        "check_type": "HEARTBEAT",
        "run_location": LOCATION,
        "result_type": "FINAL",
        "sequence_id": str(uuid.uuid4()),
        "attempts": 1,
        "has_failures": not passed,
        "has_errors": False,
        "is_degraded": False,
        "over_max_response_time": False,
        "response_time": 0.0,
        "check_run_id": new_check_run_id(),
        "started_at": now,
        "stopped_at": now,
        "created_at": now,
        "detail_key": None,
        "detail": None,
        "in_maintenance": False,
    }
    status_row = {
        "check_id": check.id,
        "account_id": check.account_id,
        "has_failures": not passed,
        "has_errors": False,
        "is_degraded": False,
        "longest_run": 0.0,
        "shortest_run": 0.0,
        "last_run_location": LOCATION,
        "last_check_run_id": result["check_run_id"],
        "last_result_at": now,
        "created_at": now,
        "updated_at": now,
        "certificate": None,
    }
    return session, result, status_row


async def _record(conn: AsyncConnection, check: Any, passed: bool, now: datetime) -> int:
    """Store the run; how many alert notifications it queued."""
    session, result, status_row = _outcome_rows(check, passed, now)
    await mark_maintenance(conn, [result])
    await conn.execute(check_sessions.insert().values(**session))
    await results_repository.insert_many(conn, [result])
    await statuses_repository.upsert(conn, [status_row])
    # The session is one run of the check, for alerting as any other: a missed ping alerts
    # through the same policy (thresholds, mute, maintenance, channels) and outbox.
    return await alerting.on_sessions_ended(conn, {session["id"]: session["status"]}, now)


_CHECK_OF = sa.select(
    heartbeats, checks.c.id, checks.c.name, checks.c.activated, checks.c.config
).join(checks, checks.c.id == heartbeats.c.check_id)


@dataclass(frozen=True)
class Ping:
    # Alert notifications the ping queued (a recovery's).
    queued: int
    # The check's next deadline; None when the ping changed none (a deactivated check).
    deadline: datetime | None


async def ping(
    conn: AsyncConnection,
    token: str,
    now: datetime,
    *,
    method: str,
    source: str | None,
    user_agent: str | None,
) -> Ping | None:
    """Take a ping: None for an unknown token. A deactivated check's pings are recorded and
    change nothing else."""
    row = (await conn.execute(_CHECK_OF.where(heartbeats.c.ping_token == token))).first()
    if row is None:
        return None
    await conn.execute(
        heartbeat_events.insert().values(
            id=str(uuid.uuid4()),
            check_id=row.check_id,
            method=method,
            source=(source or "")[:100] or None,
            user_agent=(user_agent or "")[:500] or None,
            received_at=now,
        )
    )
    if not row.activated:
        return Ping(0, None)
    values: dict[str, Any] = {
        "last_ping_at": now,
        "deadline_at": now + allowance(row.config["heartbeat"]),
        "state": PASSING,
    }
    await conn.execute(
        heartbeats.update().where(heartbeats.c.check_id == row.check_id).values(**values)
    )
    queued = await _record(conn, row, True, now) if row.state != PASSING else 0
    return Ping(queued, values["deadline_at"])


async def fail_overdue(conn: AsyncConnection, now: datetime) -> list[str]:
    """Fail every activated heartbeat whose deadline passed and that has not failed since its
    last ping; the checks failed."""
    rows = (
        await conn.execute(
            _CHECK_OF.where(
                heartbeats.c.deadline_at <= now,
                heartbeats.c.state != FAILING,
                checks.c.activated.is_(True),
            )
        )
    ).all()
    for row in rows:
        # Compare-and-set: with several replicas, only one writes the failure.
        claimed = await conn.execute(
            heartbeats.update()
            .where(heartbeats.c.check_id == row.check_id, heartbeats.c.state == row.state)
            .values(state=FAILING)
        )
        if claimed.rowcount:
            await _record(conn, row, False, now)
    return [row.check_id for row in rows]


async def next_deadline(conn: AsyncConnection, after: datetime | None = None) -> datetime | None:
    """The earliest deadline (after `after`) of a heartbeat that has not failed since its last
    ping (`ix_heartbeats_deadline`)."""
    query = sa.select(sa.func.min(heartbeats.c.deadline_at)).where(heartbeats.c.state != FAILING)
    if after is not None:
        query = query.where(heartbeats.c.deadline_at > after)
    found: datetime | None = await conn.scalar(query)
    return found


async def events(
    conn: AsyncConnection, check_id: str, start: datetime | None, end: datetime | None, limit: int
) -> list[Any]:
    query = sa.select(heartbeat_events).where(heartbeat_events.c.check_id == check_id)
    if start is not None:
        query = query.where(heartbeat_events.c.received_at >= start)
    if end is not None:
        query = query.where(heartbeat_events.c.received_at < end)
    rows = await conn.execute(query.order_by(heartbeat_events.c.received_at.desc()).limit(limit))
    return list(rows.all())


async def event(conn: AsyncConnection, check_id: str, event_id: str) -> Any | None:
    """One ping of this check; None for any other id (another check's, or not an id at all)."""
    try:
        uuid.UUID(event_id)
    except ValueError:
        return None
    query = sa.select(heartbeat_events).where(
        heartbeat_events.c.check_id == check_id, heartbeat_events.c.id == event_id
    )
    return (await conn.execute(query)).first()
