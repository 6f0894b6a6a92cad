"""`/v1/incidents`: Checkly's v1 incidents, shown on a dashboard (`dashboardId`, its integer id),
with their updates (`/v1/incidents/{id}/updates`). The dashboard must be the account's."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy.ext.asyncio import AsyncConnection

from vantage.accounts.auth import CurrentAccount
from vantage.api.common import errors, json_body
from vantage.api.openapi import no_content, request_body
from vantage.db.tables import dashboard_incidents as incidents
from vantage.db.tables import dashboards
from vantage.errors import NotFound
from vantage.runtime import Runtime, get_runtime
from vantage.statuspages.endpoints import _answer
from vantage.statuspages.public_cache import forget_pages
from vantage.statuspages.schemas import parse
from vantage.timeutil import iso, utcnow

router = APIRouter(tags=["Dashboard incidents"], responses=errors(401))
RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
NOT_FOUND = "No such incident."
Status = Literal["INVESTIGATING", "IDENTIFIED", "MONITORING", "RESOLVED", "MAINTENANCE"]
Text = Annotated[str, StringConstraints(min_length=1, max_length=10_000)]


class UpdateBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: Status
    description: Text


class UpdateEdit(BaseModel):
    model_config = ConfigDict(extra="forbid")

    description: Text


class IncidentEdit(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, StringConstraints(min_length=1, max_length=255)]
    impact: Literal["MAINTENANCE", "MAJOR", "MINOR"] = "MINOR"
    startedAt: datetime | None = None
    stoppedAt: datetime | None = None


# Dashboard ids are 32-bit integers from 1.
MIN_ID, MAX_ID = 1, 2**31 - 1


class IncidentCreate(IncidentEdit):
    dashboardId: int
    incidentUpdates: list[UpdateBody] = Field(min_length=1, max_length=100)


def _update(body: UpdateBody, now: datetime) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "status": body.status,
        "description": body.description,
        "created_at": iso(now),
        "updated_at": None,
    }


def _wire(row: Any, *, with_updates: bool = True) -> dict[str, Any]:
    out = {
        **row.config,
        "dashboardId": row.dashboard_id,
        "id": row.id,
        "created_at": iso(row.created_at),
        "updated_at": iso(row.updated_at),
        "incidentUpdates": list(reversed(row.updates)) if with_updates else None,
    }
    return out


def _config(body: IncidentEdit) -> dict[str, Any]:
    return {
        "name": body.name,
        "impact": body.impact,
        "startedAt": iso(body.startedAt),
        "stoppedAt": iso(body.stoppedAt),
    }


async def _get(conn: AsyncConnection, account_id: str, incident_id: str) -> Any:
    row = (
        await conn.execute(
            sa.select(incidents).where(
                incidents.c.account_id == account_id, incidents.c.id == incident_id
            )
        )
    ).first()
    if row is None:
        raise NotFound(NOT_FOUND)
    return row


@router.post(
    "/v1/incidents",
    summary="Create a dashboard incident",
    responses={**errors(400, 404), **_answer("DashboardIncident", "The incident")},
    openapi_extra=request_body("DashboardIncidentCreate", IncidentCreate),
)
async def create_incident(
    request: Request, account: CurrentAccount, runtime: RuntimeDep
) -> JSONResponse:
    body = parse(IncidentCreate, await json_body(request))
    now = utcnow()
    incident_id = str(uuid.uuid4())
    async with runtime.db.write() as conn:
        # An id past the column's 32 bits names no dashboard (PostgreSQL would refuse to bind it)
        owned = (
            MIN_ID <= body.dashboardId <= MAX_ID
            and (
                await conn.execute(
                    sa.select(dashboards.c.id).where(
                        dashboards.c.account_id == account.id, dashboards.c.id == body.dashboardId
                    )
                )
            ).first()
        )
        if not owned:
            # As for any other object the account does not have (another account's included).
            raise NotFound('"dashboardId" names no dashboard of this account')
        await conn.execute(
            incidents.insert().values(
                id=incident_id,
                account_id=account.id,
                dashboard_id=body.dashboardId,
                config=_config(body),
                updates=[_update(u, now) for u in body.incidentUpdates],
                created_at=now,
            )
        )
        row = await _get(conn, account.id, incident_id)
    forget_pages()  # the dashboard's public page shows its incidents
    return JSONResponse(_wire(row))


@router.get(
    "/v1/incidents/{incident_id}",
    summary="Retrieve a dashboard incident",
    responses={**errors(404), **_answer("DashboardIncident", "The incident")},
)
async def get_incident(
    incident_id: str, account: CurrentAccount, runtime: RuntimeDep
) -> JSONResponse:
    async with runtime.db.read() as conn:
        row = await _get(conn, account.id, incident_id)
    return JSONResponse(_wire(row))


@router.put(
    "/v1/incidents/{incident_id}",
    summary="Update a dashboard incident",
    responses={**errors(400, 404), **_answer("DashboardIncident", "The incident")},
    openapi_extra=request_body("DashboardIncidentEdit", IncidentEdit),
)
async def update_incident(
    incident_id: str, request: Request, account: CurrentAccount, runtime: RuntimeDep
) -> JSONResponse:
    body = parse(IncidentEdit, await json_body(request))
    async with runtime.db.write() as conn:
        await _get(conn, account.id, incident_id)
        await conn.execute(
            incidents.update()
            .where(incidents.c.id == incident_id)
            .values(config=_config(body), updated_at=utcnow())
        )
        row = await _get(conn, account.id, incident_id)
    forget_pages()  # the dashboard's public page shows its incidents
    return JSONResponse(_wire(row, with_updates=False))


@router.delete(
    "/v1/incidents/{incident_id}",
    status_code=204,
    summary="Delete a dashboard incident",
    responses={**errors(404), **no_content("Deleted")},
)
async def delete_incident(
    incident_id: str, account: CurrentAccount, runtime: RuntimeDep
) -> Response:
    async with runtime.db.write() as conn:
        await _get(conn, account.id, incident_id)
        await conn.execute(incidents.delete().where(incidents.c.id == incident_id))
    forget_pages()  # the dashboard's public page shows its incidents
    return Response(status_code=204)


@router.post(
    "/v1/incidents/{incident_id}/updates",
    status_code=201,
    summary="Add an update to a dashboard incident",
    responses={**errors(400, 404), **_answer("DashboardIncidentUpdate", "The update", 201)},
    openapi_extra=request_body("DashboardIncidentUpdateBody", UpdateBody),
)
async def create_update(
    incident_id: str, request: Request, account: CurrentAccount, runtime: RuntimeDep
) -> JSONResponse:
    body = parse(UpdateBody, await json_body(request))
    now = utcnow()
    update = _update(body, now)
    async with runtime.db.write() as conn:
        row = await _get(conn, account.id, incident_id)
        await conn.execute(
            incidents.update()
            .where(incidents.c.id == incident_id)
            .values(updates=[*row.updates, update], updated_at=now)
        )
    forget_pages()  # the dashboard's public page shows its incidents
    return JSONResponse({**update, "incidentId": incident_id}, status_code=201)


async def _change_update(
    runtime: Runtime, account_id: str, incident_id: str, update_id: str, description: str | None
) -> dict[str, Any]:
    """Edit (a description) or, with None, delete one update; returns the update as it was left."""
    async with runtime.db.write() as conn:
        row = await _get(conn, account_id, incident_id)
        kept: list[dict[str, Any]] = []
        found: dict[str, Any] | None = None
        for update in row.updates:
            if update["id"] == update_id:
                found = update
                if description is None:
                    continue
                update = {**update, "description": description, "updated_at": iso(utcnow())}
                found = update
            kept.append(update)
        if found is None:
            raise NotFound("No such incident update.")
        await conn.execute(
            incidents.update()
            .where(incidents.c.id == incident_id)
            .values(updates=kept, updated_at=utcnow())
        )
    return found


@router.put(
    "/v1/incidents/{incident_id}/updates/{update_id}",
    summary="Edit a dashboard incident update",
    responses={**errors(400, 404), **_answer("DashboardIncidentUpdate", "The update")},
    openapi_extra=request_body("DashboardIncidentUpdateEdit", UpdateEdit),
)
async def edit_update(
    incident_id: str,
    update_id: str,
    request: Request,
    account: CurrentAccount,
    runtime: RuntimeDep,
) -> JSONResponse:
    body = parse(UpdateEdit, await json_body(request))
    changed = await _change_update(runtime, account.id, incident_id, update_id, body.description)
    forget_pages()  # the dashboard's public page shows its incidents
    return JSONResponse(changed)


@router.delete(
    "/v1/incidents/{incident_id}/updates/{update_id}",
    status_code=204,
    summary="Delete a dashboard incident update",
    responses={**errors(404), **no_content("Deleted")},
)
async def delete_update(
    incident_id: str, update_id: str, account: CurrentAccount, runtime: RuntimeDep
) -> Response:
    await _change_update(runtime, account.id, incident_id, update_id, None)
    forget_pages()  # the dashboard's public page shows its incidents
    return Response(status_code=204)
