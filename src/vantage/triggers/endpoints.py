"""`/v1/triggers/checks/{checkId}` and `/v1/triggers/check-groups/{groupId}` (create, read,
delete a token, API key required), and the URLs a token opens: `/checks/{id}/trigger/{token}` and
`/check-groups/{id}/trigger/{token}` (GET, POST or HEAD, no key) start a session of the check, or of
each of the group's activated checks, as `POST /v1/check-sessions/trigger` does."""

from __future__ import annotations

import hmac
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict

from vantage.accounts.auth import CurrentAccount
from vantage.api.common import errors
from vantage.api.openapi import answer, no_content
from vantage.checks import repository as checks_repository
from vantage.checks import service as checks_service
from vantage.errors import NotFound
from vantage.groups import service as groups_service
from vantage.runtime import Runtime, get_runtime
from vantage.sessions import starting
from vantage.timeutil import iso, utcnow
from vantage.triggers import repository

router = APIRouter(tags=["Triggers (deprecated by Checkly)"], responses=errors(401))
open_router = APIRouter(tags=["Triggers (deprecated by Checkly)"])
RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
NO_TRIGGER = "No trigger for this check or group."
RUN_SOURCE = "TRIGGER_API"


class CheckTrigger(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: int
    checkId: str
    token: str
    called_at: str | None
    created_at: str
    updated_at: str | None


class GroupTrigger(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: int
    groupId: int
    token: str
    called_at: str | None
    created_at: str
    updated_at: str | None


def _wire(row: Any) -> dict[str, Any]:
    owner = {"checkId": row.check_id} if row.check_id is not None else {"groupId": row.group_id}
    return {
        "id": row.id,
        **owner,
        "token": row.token,
        "called_at": iso(row.called_at),
        "created_at": iso(row.created_at),
        "updated_at": iso(row.updated_at),
    }


async def _owner_exists(
    conn: Any, account_id: str, check_id: str | None, group_id: int | None
) -> None:
    if check_id is not None:
        await checks_service.get(conn, account_id, check_id)
    else:
        assert group_id is not None
        await groups_service.get(conn, account_id, group_id)


async def _create(
    runtime: Runtime, account_id: str, check_id: str | None = None, group_id: int | None = None
) -> JSONResponse:
    async with runtime.db.write() as conn:
        await _owner_exists(conn, account_id, check_id, group_id)
        found = await repository.find(conn, account_id, check_id=check_id, group_id=group_id)
        if found is not None:
            # One token per check or group: asking again gives the same one.
            return JSONResponse(_wire(found), status_code=200)
        row = await repository.insert(
            conn, account_id, utcnow(), check_id=check_id, group_id=group_id
        )
    return JSONResponse(_wire(row), status_code=201)


async def _get(
    runtime: Runtime, account_id: str, check_id: str | None = None, group_id: int | None = None
) -> JSONResponse:
    async with runtime.db.read() as conn:
        row = await repository.find(conn, account_id, check_id=check_id, group_id=group_id)
    if row is None:
        raise NotFound(NO_TRIGGER)
    return JSONResponse(_wire(row))


async def _delete(
    runtime: Runtime, account_id: str, check_id: str | None = None, group_id: int | None = None
) -> Response:
    async with runtime.db.write() as conn:
        if not await repository.delete(conn, account_id, check_id=check_id, group_id=group_id):
            raise NotFound(NO_TRIGGER)
    return Response(status_code=204)


CHECK = "/v1/triggers/checks/{check_id}"
GROUP = "/v1/triggers/check-groups/{group_id}"


@router.post(
    CHECK,
    status_code=201,
    summary="Create the check's trigger token",
    responses={
        **errors(404),
        **answer(201, "The new token", "CheckTrigger", CheckTrigger),
        **answer(200, "The token the check already had", "CheckTrigger", CheckTrigger),
    },
)
async def create_check_trigger(
    check_id: str, account: CurrentAccount, runtime: RuntimeDep
) -> JSONResponse:
    return await _create(runtime, account.id, check_id=check_id)


@router.get(
    CHECK,
    summary="Retrieve the check's trigger token",
    responses={**errors(404), **answer(200, "The token", "CheckTrigger", CheckTrigger)},
)
async def get_check_trigger(
    check_id: str, account: CurrentAccount, runtime: RuntimeDep
) -> JSONResponse:
    return await _get(runtime, account.id, check_id=check_id)


@router.delete(
    CHECK,
    status_code=204,
    summary="Delete the check's trigger token",
    responses={**errors(404), **no_content("Deleted")},
)
async def delete_check_trigger(
    check_id: str, account: CurrentAccount, runtime: RuntimeDep
) -> Response:
    return await _delete(runtime, account.id, check_id=check_id)


@router.post(
    GROUP,
    status_code=201,
    summary="Create the group's trigger token",
    responses={
        **errors(404),
        **answer(201, "The new token", "GroupTrigger", GroupTrigger),
        **answer(200, "The token the group already had", "GroupTrigger", GroupTrigger),
    },
)
async def create_group_trigger(
    group_id: int, account: CurrentAccount, runtime: RuntimeDep
) -> JSONResponse:
    return await _create(runtime, account.id, group_id=group_id)


@router.get(
    GROUP,
    summary="Retrieve the group's trigger token",
    responses={**errors(404), **answer(200, "The token", "GroupTrigger", GroupTrigger)},
)
async def get_group_trigger(
    group_id: int, account: CurrentAccount, runtime: RuntimeDep
) -> JSONResponse:
    return await _get(runtime, account.id, group_id=group_id)


@router.delete(
    GROUP,
    status_code=204,
    summary="Delete the group's trigger token",
    responses={**errors(404), **no_content("Deleted")},
)
async def delete_group_trigger(
    group_id: int, account: CurrentAccount, runtime: RuntimeDep
) -> Response:
    return await _delete(runtime, account.id, group_id=group_id)


async def _fire(
    runtime: Runtime, token: str, *, check_id: str | None = None, group_id: int | None = None
) -> JSONResponse:
    now = utcnow()
    async with runtime.db.write() as conn:
        row = await repository.by_token(conn, token)
        # The token must be this check's or group's; every mismatch is the same 404.
        if (
            row is None
            or not hmac.compare_digest(row.token, token)
            or (check_id is not None and row.check_id != check_id)
            or (group_id is not None and row.group_id != group_id)
        ):
            raise NotFound(NO_TRIGGER)
        rows = await checks_repository.activated(conn, row.account_id)
        rows = [
            r
            for r in rows
            if (r.id == row.check_id if check_id is not None else r.group_id == row.group_id)
            and r.check_type != "HEARTBEAT"
        ]
        await repository.mark_called(conn, row.id, now)
        plans = await starting.start_sessions(
            conn, rows, run_source=RUN_SOURCE, now=now, settings=runtime.settings
        )
    starting.announce(runtime, plans, RUN_SOURCE)
    return JSONResponse(
        {"checkSessionIds": [plan.id for plan in plans]}, status_code=200 if plans else 404
    )


@open_router.api_route(
    "/checks/{check_id}/trigger/{token}",
    methods=["GET", "POST", "HEAD"],
    include_in_schema=False,
)
async def fire_check(check_id: str, token: str, runtime: RuntimeDep) -> JSONResponse:
    return await _fire(runtime, token, check_id=check_id)


@open_router.api_route(
    "/check-groups/{group_id}/trigger/{token}",
    methods=["GET", "POST", "HEAD"],
    include_in_schema=False,
)
async def fire_group(group_id: int, token: str, runtime: RuntimeDep) -> JSONResponse:
    return await _fire(runtime, token, group_id=group_id)
