"""`/v1/status-pages/incidents` and their `incident-updates` (CLI `incidents create/list/update/
resolve`), and the incidents a check's `triggerIncident` opens and its recovery resolves.

An incident's status is its latest update's: the first update is part of the create; a RESOLVED
update resolves it (its duration then runs from opening to that update). An update with
`notifySubscribers` queues a mail to the verified subscribers of the pages that show one of the
incident's services.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncConnection

from vantage.accounts.auth import CurrentAccount
from vantage.api.common import errors, json_body
from vantage.api.openapi import no_content, request_body
from vantage.errors import BadRequest, NotFound
from vantage.runtime import Runtime, get_runtime
from vantage.statuspages import mail, wire
from vantage.statuspages import repository as repo
from vantage.statuspages.endpoints import _answer, paginated
from vantage.statuspages.public_cache import forget_pages
from vantage.statuspages.schemas import (
    IncidentBody,
    IncidentCreate,
    UpdateBody,
    parse,
)
from vantage.timeutil import utcnow

router = APIRouter(tags=["Status page incidents"], responses=errors(401))
RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
NO_INCIDENT = "No such incident."
NO_UPDATE = "No such incident update."


def _update_row(incident_id: str, body: UpdateBody, now: datetime) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "incident_id": incident_id,
        "description": body.description,
        "status": body.status,
        "public_at": body.publicIncidentUpdateDate or now,
        "notify_subscribers": body.notifySubscribers,
        "created_at": now,
    }


async def _known_services(
    conn: AsyncConnection, account_id: str, ids: Sequence[str], key: str = "services"
) -> dict[str, Any]:
    known = await repo.services_by_id(conn, account_id, ids)
    for i, sid in enumerate(ids):
        if sid not in known:
            raise BadRequest(f'"{key}[{i}].id" names no service of this account', keys=[key])
    return known


async def _answer_for(conn: AsyncConnection, account_id: str, incident_id: str) -> Any:
    row = await repo.incident(conn, account_id, incident_id)
    if row is None:
        raise NotFound(NO_INCIDENT)
    updates = (await repo.updates_of(conn, [row.id]))[row.id]
    known = await repo.services_by_id(conn, account_id, row.services)
    return wire.incident(row, updates, known)


async def _status_changed(
    conn: AsyncConnection, runtime: Runtime, incident_id: str, update: dict[str, Any]
) -> None:
    """The incident takes its latest update's status; a RESOLVED one resolves it."""
    now = utcnow()
    status = update["status"]
    await repo.update_incident(
        conn,
        incident_id,
        {
            "last_update_status": status,
            "updated_at": now,
            "resolved_at": update["public_at"] if status == "RESOLVED" else None,
        },
    )


async def _notify(
    conn: AsyncConnection, runtime: Runtime, account_id: str, incident_id: str, update: Any
) -> None:
    if update["notify_subscribers"]:
        row = await repo.incident(conn, account_id, incident_id)
        await mail.queue_incident_update(
            conn, row, update["status"], update["description"], utcnow()
        )


@router.get(
    "/v1/status-pages/incidents",
    summary="List the latest incidents",
    responses={**errors(400), **_answer("IncidentsPaginatedResponse", "The incidents")},
)
async def list_incidents(
    account: CurrentAccount,
    runtime: RuntimeDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    nextId: str | None = None,
) -> JSONResponse:
    async with runtime.db.read() as conn:
        rows = await repo.incidents_of(conn, account.id)
        updates = await repo.updates_of(conn, [r.id for r in rows])
        known = await repo.services_by_id(conn, account.id, {s for r in rows for s in r.services})
    entries = [wire.incident(r, updates[r.id], known) for r in rows]
    return JSONResponse(paginated(entries, limit, nextId))


@router.post(
    "/v1/status-pages/incidents",
    status_code=201,
    summary="Create an incident",
    responses={**errors(400), **_answer("StatusPageIncident", "The incident", 201)},
    openapi_extra=request_body("StatusPageIncidentCreate", IncidentCreate),
)
async def create_incident(
    request: Request, account: CurrentAccount, runtime: RuntimeDep
) -> JSONResponse:
    body = parse(IncidentCreate, await json_body(request))
    now = utcnow()
    incident_id = str(uuid.uuid4())
    ids = list(dict.fromkeys(s.id for s in body.services))
    async with runtime.db.write() as conn:
        await _known_services(conn, account.id, ids)
        await repo.insert_incident(
            conn,
            {
                "id": incident_id,
                "account_id": account.id,
                "name": body.name,
                "severity": body.severity,
                "services": ids,
                "last_update_status": "INVESTIGATING",
                "created_at": now,
            },
        )
        first = _update_row(incident_id, body.incidentUpdates[0], now)
        await repo.insert_updates(conn, [first])
        await _status_changed(conn, runtime, incident_id, first)
        await _notify(conn, runtime, account.id, incident_id, first)
        answer = await _answer_for(conn, account.id, incident_id)
    forget_pages()
    return JSONResponse(answer, status_code=201)


@router.get(
    "/v1/status-pages/incidents/{incident_id}",
    summary="Retrieve an incident",
    responses={**errors(404), **_answer("StatusPageIncident", "The incident")},
)
async def get_incident(
    incident_id: str, account: CurrentAccount, runtime: RuntimeDep
) -> JSONResponse:
    async with runtime.db.read() as conn:
        answer = await _answer_for(conn, account.id, incident_id)
    return JSONResponse(answer)


@router.put(
    "/v1/status-pages/incidents/{incident_id}",
    summary="Update an incident",
    responses={**errors(400, 404), **_answer("StatusPageIncident", "The incident")},
    openapi_extra=request_body("StatusPageIncidentUpdate", IncidentBody),
)
async def update_incident(
    incident_id: str, request: Request, account: CurrentAccount, runtime: RuntimeDep
) -> JSONResponse:
    body = parse(IncidentBody, await json_body(request))
    ids = list(dict.fromkeys(s.id for s in body.services))
    async with runtime.db.write() as conn:
        if await repo.incident(conn, account.id, incident_id) is None:
            raise NotFound(NO_INCIDENT)
        await _known_services(conn, account.id, ids)
        await repo.update_incident(
            conn,
            incident_id,
            {"name": body.name, "severity": body.severity, "services": ids, "updated_at": utcnow()},
        )
        answer = await _answer_for(conn, account.id, incident_id)
    forget_pages()
    return JSONResponse(answer)


@router.delete(
    "/v1/status-pages/incidents/{incident_id}",
    status_code=204,
    summary="Delete an incident",
    responses={**errors(404), **no_content("Deleted")},
)
async def delete_incident(
    incident_id: str, account: CurrentAccount, runtime: RuntimeDep
) -> Response:
    async with runtime.db.write() as conn:
        if not await repo.delete_incident(conn, account.id, incident_id):
            raise NotFound(NO_INCIDENT)
    forget_pages()
    return Response(status_code=204)


# updates


async def _owned(conn: AsyncConnection, account_id: str, incident_id: str) -> Any:
    row = await repo.incident(conn, account_id, incident_id)
    if row is None:
        raise NotFound(NO_INCIDENT)
    return row


async def _latest_to_incident(conn: AsyncConnection, runtime: Runtime, incident_id: str) -> None:
    latest = (await repo.updates_of(conn, [incident_id]))[incident_id]
    if latest:
        top = latest[0]
        await _status_changed(
            conn, runtime, incident_id, {"status": top.status, "public_at": top.public_at}
        )


@router.get(
    "/v1/status-pages/incidents/{incident_id}/incident-updates",
    summary="List an incident's latest 100 updates",
    responses={
        **errors(404),
        **_answer("IncidentUpdates", "The updates, newest first", array=True),
    },
)
async def list_updates(
    incident_id: str, account: CurrentAccount, runtime: RuntimeDep
) -> JSONResponse:
    async with runtime.db.read() as conn:
        await _owned(conn, account.id, incident_id)
        rows = (await repo.updates_of(conn, [incident_id]))[incident_id]
    return JSONResponse([wire.update(u) for u in rows[:100]])


@router.post(
    "/v1/status-pages/incidents/{incident_id}/incident-updates",
    summary="Add an update to an incident",
    responses={**errors(400, 404), **_answer("IncidentUpdate", "The update")},
    openapi_extra=request_body("IncidentUpdateBody", UpdateBody),
)
async def create_update(
    incident_id: str, request: Request, account: CurrentAccount, runtime: RuntimeDep
) -> JSONResponse:
    body = parse(UpdateBody, await json_body(request))
    now = utcnow()
    async with runtime.db.write() as conn:
        await _owned(conn, account.id, incident_id)
        row = _update_row(incident_id, body, now)
        await repo.insert_updates(conn, [row])
        await _latest_to_incident(conn, runtime, incident_id)
        await _notify(conn, runtime, account.id, incident_id, row)
        stored = [
            u
            for u in (await repo.updates_of(conn, [incident_id]))[incident_id]
            if u.id == row["id"]
        ]
    forget_pages()
    return JSONResponse(wire.update(stored[0]))


async def _one_update(conn: AsyncConnection, incident_id: str, update_id: str) -> Any:
    for row in (await repo.updates_of(conn, [incident_id]))[incident_id]:
        if row.id == update_id:
            return row
    raise NotFound(NO_UPDATE)


@router.get(
    "/v1/status-pages/incidents/{incident_id}/incident-updates/{incident_update_id}",
    summary="Retrieve an incident update",
    responses={**errors(404), **_answer("IncidentUpdate", "The update")},
)
async def get_update(
    incident_id: str, incident_update_id: str, account: CurrentAccount, runtime: RuntimeDep
) -> JSONResponse:
    async with runtime.db.read() as conn:
        await _owned(conn, account.id, incident_id)
        row = await _one_update(conn, incident_id, incident_update_id)
    return JSONResponse(wire.update(row))


@router.put(
    "/v1/status-pages/incidents/{incident_id}/incident-updates/{incident_update_id}",
    summary="Update an incident update",
    responses={**errors(400, 404), **_answer("IncidentUpdate", "The update")},
    openapi_extra=request_body("IncidentUpdateBody"),
)
async def update_update(
    incident_id: str,
    incident_update_id: str,
    request: Request,
    account: CurrentAccount,
    runtime: RuntimeDep,
) -> JSONResponse:
    body = parse(UpdateBody, await json_body(request))
    async with runtime.db.write() as conn:
        await _owned(conn, account.id, incident_id)
        old = await _one_update(conn, incident_id, incident_update_id)
        values: dict[str, Any] = {
            "description": body.description,
            "status": body.status,
            "notify_subscribers": body.notifySubscribers,
            "public_at": body.publicIncidentUpdateDate or old.public_at,
            "updated_at": utcnow(),
        }
        await repo.update_update(conn, incident_id, incident_update_id, values)
        await _latest_to_incident(conn, runtime, incident_id)
        row = await _one_update(conn, incident_id, incident_update_id)
    forget_pages()
    return JSONResponse(wire.update(row))


@router.delete(
    "/v1/status-pages/incidents/{incident_id}/incident-updates/{incident_update_id}",
    status_code=204,
    summary="Delete an incident update",
    responses={**errors(404), **no_content("Deleted")},
)
async def delete_update(
    incident_id: str, incident_update_id: str, account: CurrentAccount, runtime: RuntimeDep
) -> Response:
    async with runtime.db.write() as conn:
        await _owned(conn, account.id, incident_id)
        if not await repo.delete_update(conn, incident_id, incident_update_id):
            raise NotFound(NO_UPDATE)
        await _latest_to_incident(conn, runtime, incident_id)
    forget_pages()
    return Response(status_code=204)
