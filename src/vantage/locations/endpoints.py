"""`/v1/locations` (where checks can run) and Checkly's `/v1/private-locations`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncConnection

from vantage.accounts.auth import CurrentAccount
from vantage.api.common import errors, json_body
from vantage.api.openapi import answer, no_content, request_body
from vantage.errors import BadRequest
from vantage.locations import sampling, service
from vantage.locations.ref import LocationRef
from vantage.locations.responses import NewAgentKey, PrivateLocation, RunLocation
from vantage.locations.schemas import PrivateLocationCreate, PrivateLocationUpdate
from vantage.runtime import Runtime, get_runtime
from vantage.timeutil import iso, utcnow

router = APIRouter(tags=["Locations"], responses=errors(401))

RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
ONE = answer(200, "The private location", "PrivateLocation", PrivateLocation)


async def _with_health(
    conn: AsyncConnection, account_id: str, found: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The private locations with their agents and queue (`service.health`)."""
    refs = [LocationRef(body["id"], body["slugName"], account_id) for body in found]
    health = await service.health(conn, refs)
    return [{**body, **health[body["slugName"]]} for body in found]


@router.get(
    "/v1/locations",
    summary="List all run locations",
    responses=answer(200, "The run locations", "RunLocationList", list[RunLocation]),
)
async def list_locations(account: CurrentAccount, runtime: RuntimeDep) -> JSONResponse:
    async with runtime.db.read() as conn:
        return JSONResponse(await service.list_all(conn, account.id))


@router.get(
    "/v1/private-locations",
    summary="List the account's private locations",
    responses=answer(200, "The private locations", "PrivateLocationList", list[PrivateLocation]),
)
async def list_private_locations(account: CurrentAccount, runtime: RuntimeDep) -> JSONResponse:
    async with runtime.db.read() as conn:
        found = await service.list_private(conn, account.id, runtime.sealer.open)
        return JSONResponse(await _with_health(conn, account.id, found))


@router.post(
    "/v1/private-locations",
    status_code=201,
    summary="Create a private location (its first agent key is shown once)",
    responses={
        **errors(400, 409),
        **answer(201, "The location created", "PrivateLocation", PrivateLocation),
    },
    openapi_extra=request_body("PrivateLocationCreate", PrivateLocationCreate),
)
async def create_private_location(
    request: Request, account: CurrentAccount, runtime: RuntimeDep
) -> JSONResponse:
    payload = await json_body(request)
    reserved = service.reserved_slugs(runtime.settings.default_location)
    async with runtime.db.write() as conn:
        body = await service.create_private(
            conn, account.id, payload, reserved=reserved, seal=runtime.sealer.seal
        )
        [body] = await _with_health(conn, account.id, [body])
    return JSONResponse(body, status_code=201)


@router.get(
    "/v1/private-locations/{location_id}",
    summary="Retrieve a private location",
    responses={**errors(404), **ONE},
)
async def get_private_location(
    location_id: str, account: CurrentAccount, runtime: RuntimeDep
) -> JSONResponse:
    async with runtime.db.read() as conn:
        body = await service.get_private(conn, account.id, location_id, runtime.sealer.open)
        [body] = await _with_health(conn, account.id, [body])
    return JSONResponse(body)


@router.put(
    "/v1/private-locations/{location_id}",
    summary="Update a private location's name and icon",
    responses={**errors(400, 404), **ONE},
    openapi_extra=request_body("PrivateLocationUpdate", PrivateLocationUpdate),
)
async def update_private_location(
    location_id: str, request: Request, account: CurrentAccount, runtime: RuntimeDep
) -> JSONResponse:
    payload = await json_body(request)
    async with runtime.db.write() as conn:
        body = await service.update_private(
            conn, account.id, location_id, payload, seal=runtime.sealer.seal
        )
        [body] = await _with_health(conn, account.id, [body])
    return JSONResponse(body)


@router.delete(
    "/v1/private-locations/{location_id}",
    status_code=204,
    summary="Delete a private location that no check uses; its remaining runs are withdrawn",
    responses={**errors(404, 409), **no_content("Deleted")},
)
async def delete_private_location(
    location_id: str, account: CurrentAccount, runtime: RuntimeDep
) -> Response:
    async with runtime.db.write() as conn:
        ended = await service.delete_private(conn, account.id, location_id)
    runtime.sessions_cancelled(ended)
    return Response(status_code=204)


@router.post(
    "/v1/private-locations/{location_id}/keys",
    status_code=201,
    summary="Create an agent key for a private location (shown once)",
    responses={**errors(404), **answer(201, "The key created", "NewAgentKey", NewAgentKey)},
)
async def create_private_location_key(
    location_id: str, account: CurrentAccount, runtime: RuntimeDep
) -> JSONResponse:
    async with runtime.db.write() as conn:
        body = await service.add_key(conn, account.id, location_id)
    return JSONResponse(body, status_code=201)


@router.delete(
    "/v1/private-locations/{location_id}/keys/{key_id}",
    status_code=204,
    summary="Revoke an agent key of a private location",
    responses={**errors(404), **no_content("Revoked")},
)
async def delete_private_location_key(
    location_id: str, key_id: str, account: CurrentAccount, runtime: RuntimeDep
) -> Response:
    async with runtime.db.write() as conn:
        await service.delete_key(conn, account.id, location_id, key_id)
    return Response(status_code=204)


LAST_SECOND = 253402300799  # 9999-12-31T23:59:59Z
Moment = Annotated[int, Query(ge=0, le=LAST_SECOND)]


class LocationMetrics(BaseModel):
    timestamps: list[datetime]
    queueSize: list[int]
    oldestScheduledCheckRun: list[float]


@router.get(
    "/v1/private-locations/{location_id}/metrics",
    summary="A private location's queue over time: its size and how long its oldest due run "
    "has waited",
    responses={
        **errors(400, 404),
        **answer(200, "The metrics", "PrivateLocationMetrics", LocationMetrics),
    },
)
async def private_location_metrics(
    location_id: str,
    account: CurrentAccount,
    runtime: RuntimeDep,
    from_: Annotated[int, Query(alias="from", ge=0, le=LAST_SECOND)],
    to: Moment,
) -> JSONResponse:
    """The samples taken from `from` to `to` (UNIX seconds; vantage.locations.sampling takes one
    per location every `location_sample_seconds`), oldest first, and, when `to` is not past, one
    more taken now. `queueSize` counts the runs that are due and not leased;
    `oldestScheduledCheckRun` is how long the oldest of them has waited, in ms."""
    now = utcnow()
    since, until = datetime.fromtimestamp(from_, UTC), datetime.fromtimestamp(to, UTC)
    if since > until or since < now - sampling.window():
        raise BadRequest(
            f'"from" must be before "to" and less than {sampling.WINDOW_DAYS} days ago',
            keys=["from"],
            source="query",
        )
    async with runtime.db.read() as conn:
        location = await service.get_location(conn, account.id, location_id)
        taken = await sampling.series(conn, location.id, since, until)
        if since <= now <= until:
            queue = (await service.queues(conn, [location.ref], now))[location.slug]
            taken.append(sampling.Sample(now, queue["waiting"], round(queue["lagSeconds"] * 1000)))
            taken.sort(key=lambda sample: sample.at)
    return JSONResponse(
        {
            "timestamps": [iso(sample.at) for sample in taken],
            "queueSize": [sample.queue_size for sample in taken],
            "oldestScheduledCheckRun": [sample.oldest_wait_ms for sample in taken],
        }
    )
