"""The ping URL (`/ping/{token}`: GET, POST or HEAD, no API key, as Checkly's ping host takes
them) and `/v1/checks/heartbeats/{checkId}/events[/{id}]` and `/availability`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from vantage.accounts.auth import CurrentAccount
from vantage.api.common import errors
from vantage.api.openapi import answer
from vantage.checks import service as checks_service
from vantage.db.tables import check_results
from vantage.errors import BadRequest, NotFound
from vantage.heartbeats import service
from vantage.runtime import Runtime, get_runtime
from vantage.timeutil import iso, utcnow

router = APIRouter(tags=["Heartbeats"], responses=errors(401))
ping_router = APIRouter(tags=["Heartbeats"])
RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


class HeartbeatEvents(BaseModel):
    events: list[dict[str, Any]]
    stats: dict[str, int]


class Availability(BaseModel):
    successRatio: dict[str, float | None]
    totalEntitiesCurrentPeriod: int


@ping_router.api_route("/ping/{token}", methods=["GET", "POST", "HEAD"], include_in_schema=False)
async def take_ping(token: str, request: Request, runtime: RuntimeDep) -> JSONResponse:
    async with runtime.db.write() as conn:
        taken = await service.ping(
            conn,
            token,
            utcnow(),
            method=request.method,
            source=request.client.host if request.client else None,
            user_agent=request.headers.get("user-agent"),
        )
    if taken is None:
        raise NotFound("No heartbeat check has this ping token.")
    if taken.queued:
        runtime.signals.alerts_raised()  # the recovery's notifications go out now
    if taken.deadline is not None:
        # Later than the one it replaces, unless the check had failed: the watchers then wake.
        runtime.signals.heartbeat_deadline(taken.deadline)
    return JSONResponse({"message": "OK"})


def _when(value: str | None, name: str) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        try:
            parsed = datetime.fromtimestamp(float(value), UTC)
        except (ValueError, OverflowError, OSError):
            raise BadRequest(f'"{name}" must be a date', keys=[name], source="query") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


async def _heartbeat_check(runtime: Runtime, account_id: str, check_id: str) -> None:
    async with runtime.db.read() as conn:
        check = await checks_service.get(conn, account_id, check_id)
    if check.check_type != "HEARTBEAT":
        raise NotFound(checks_service.CHECK_NOT_FOUND)


@router.get(
    "/v1/checks/heartbeats/{check_id}/events",
    summary="The pings a heartbeat check received",
    responses={**errors(400, 404), **answer(200, "The pings", "HeartbeatEvents", HeartbeatEvents)},
)
async def list_events(
    check_id: str,
    account: CurrentAccount,
    runtime: RuntimeDep,
    startTime: str | None = None,
    endTime: str | None = None,
    limit: Annotated[int, Query(ge=1, le=10)] = 10,
) -> JSONResponse:
    await _heartbeat_check(runtime, account.id, check_id)
    start, end = _when(startTime, "startTime"), _when(endTime, "endTime")
    async with runtime.db.read() as conn:
        rows = await service.events(conn, check_id, start, end, limit)
    events = [
        {
            "id": row.id,
            "checkId": row.check_id,
            "method": row.method,
            "source": row.source,
            "userAgent": row.user_agent,
            "timestamp": iso(row.received_at),
        }
        for row in rows
    ]
    return JSONResponse({"events": events, "stats": {"total": len(events)}})


class PingEvent(BaseModel):
    id: str
    # Every stored event is a ping that arrived; Vantage does not record how early or late.
    state: Literal["RECEIVED"]
    timestamp: str
    source: str | None
    userAgent: str | None


class PingEventStats(BaseModel):
    last24Hours: Availability
    last7Days: Availability


class PingEventAnswer(BaseModel):
    event: PingEvent
    stats: PingEventStats


@router.get(
    "/v1/checks/heartbeats/{check_id}/events/{event_id}",
    summary="One ping a heartbeat check received, with the check's availability",
    responses={
        **errors(404),
        **answer(200, "The ping", "HeartbeatEvent", PingEventAnswer),
    },
)
async def get_event(
    check_id: str, event_id: str, account: CurrentAccount, runtime: RuntimeDep
) -> JSONResponse:
    await _heartbeat_check(runtime, account.id, check_id)
    now = utcnow()
    async with runtime.db.read() as conn:
        row = await service.event(conn, check_id, event_id)
        if row is None:
            raise NotFound("No such heartbeat event.")
        stats = {
            name: await _availability(conn, check_id, now - span, now)
            for name, span in (("last24Hours", timedelta(days=1)), ("last7Days", timedelta(days=7)))
        }
    event = {
        "id": row.id,
        "state": "RECEIVED",
        "timestamp": iso(row.received_at),
        "source": row.source,
        "userAgent": row.user_agent,
    }
    return JSONResponse({"event": event, "stats": stats})


async def _availability(conn: Any, check_id: str, start: datetime, end: datetime) -> dict[str, Any]:
    """`/availability`'s answer for the window from `start` to `end` and the one before it."""
    current = await _ratio(conn, check_id, start, end)
    previous = await _ratio(conn, check_id, start - (end - start), start)
    return {
        "successRatio": {"currentPeriod": current[0], "previousPeriod": previous[0]},
        "totalEntitiesCurrentPeriod": current[1],
    }


@router.get(
    "/v1/checks/heartbeats/{check_id}/availability",
    summary="The share of a heartbeat check's outcomes that passed",
    responses={
        **errors(400, 404),
        **answer(200, "Availability", "HeartbeatAvailability", Availability),
    },
)
async def availability(
    check_id: str,
    account: CurrentAccount,
    runtime: RuntimeDep,
    startTime: str | None = None,
    endTime: str | None = None,
) -> JSONResponse:
    await _heartbeat_check(runtime, account.id, check_id)
    end = _when(endTime, "endTime") or utcnow()
    start = _when(startTime, "startTime") or end - timedelta(days=1)
    async with runtime.db.read() as conn:
        return JSONResponse(await _availability(conn, check_id, start, end))


async def _ratio(
    conn: Any, check_id: str, start: datetime, end: datetime
) -> tuple[float | None, int]:
    rows = (
        await conn.execute(
            sa.select(check_results.c.has_failures).where(
                check_results.c.check_id == check_id,
                check_results.c.created_at >= start,
                check_results.c.created_at < end,
                # A ping missed in a maintenance window is no outage (results/maintenance.py).
                check_results.c.in_maintenance.is_(False),
            )
        )
    ).all()
    if not rows:
        return None, 0
    passed = sum(1 for (failed,) in rows if not failed)
    return round(100 * passed / len(rows), 4), len(rows)
