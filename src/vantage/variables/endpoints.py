"""`/v1/variables`: the account's environment variables (what `checkly env ls/add/update/rm/pull`
and Terraform's `checkly_environment_variable` manage). The key names a variable and cannot
change; a duplicate key is a 409. A secret variable's value is sealed at rest and, once set, is
returned as null (only the answer to the request that sent it echoes it); it stays secret."""

from __future__ import annotations

from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from vantage.accounts.auth import CurrentAccount
from vantage.api.common import content_range, errors, json_body
from vantage.api.openapi import answer, no_content, request_body
from vantage.errors import BadRequest, Conflict, NotFound
from vantage.runtime import Runtime, get_runtime
from vantage.timeutil import utcnow
from vantage.validation import bad_request
from vantage.variables import repository

router = APIRouter(tags=["Environment variables"], responses=errors(401))
RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
NOT_FOUND = "No such environment variable."
Key = Annotated[str, Field(min_length=1, max_length=255)]
Value = Annotated[str, Field(max_length=10_000)]


class VariableCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: Key
    value: Value
    locked: bool = False
    secret: bool = False


class VariableUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # The key is the path's; a body may repeat it, never change it.
    key: Key | None = None
    value: Value
    locked: bool = False
    secret: bool = False


class VariableAnswer(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: str
    value: str | None
    locked: bool
    secret: bool


def _wire(row: Any) -> dict[str, Any]:
    return {
        "key": row.key,
        "value": None if row.secret else row.value,
        "locked": row.locked,
        "secret": row.secret,
    }


def _parse(model: type[BaseModel], payload: Any) -> Any:
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        raise bad_request(exc) from None


@router.get(
    "/v1/variables",
    summary="List the account's environment variables",
    responses={**errors(400), **answer(200, "The variables", "VariableList", list[VariableAnswer])},
)
async def list_variables(
    account: CurrentAccount,
    runtime: RuntimeDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 100,
    page: Annotated[int, Query(ge=1)] = 1,
) -> JSONResponse:
    async with runtime.db.read() as conn:
        rows = await repository.list_of(conn, account.id)
    start = (page - 1) * limit
    items = rows[start : start + limit]
    return JSONResponse(
        [_wire(row) for row in items],
        headers={"Content-Range": content_range(start, len(items), len(rows))},
    )


@router.post(
    "/v1/variables",
    status_code=201,
    summary="Create an environment variable",
    responses={
        **errors(400, 409),
        **answer(201, "The variable as sent", "VariableCreated", VariableAnswer),
    },
    openapi_extra=request_body("VariableCreate", VariableCreate),
)
async def create_variable(
    request: Request, account: CurrentAccount, runtime: RuntimeDep
) -> JSONResponse:
    body: VariableCreate = _parse(VariableCreate, await json_body(request))
    stored = runtime.sealer.seal(body.value) if body.secret else body.value
    async with runtime.db.write() as conn:
        if await repository.get(conn, account.id, body.key) is not None:
            raise Conflict(f"An environment variable with the key {body.key!r} already exists.")
        try:
            await repository.insert(
                conn,
                {
                    "account_id": account.id,
                    "key": body.key,
                    "value": stored,
                    "locked": body.locked,
                    "secret": body.secret,
                    "created_at": utcnow(),
                },
            )
        except sa.exc.IntegrityError:
            raise Conflict(
                f"An environment variable with the key {body.key!r} already exists."
            ) from None
    return JSONResponse(body.model_dump(), status_code=201)


@router.get(
    "/v1/variables/{key}",
    summary="Retrieve an environment variable",
    responses={**errors(404), **answer(200, "The variable", "Variable", VariableAnswer)},
)
async def get_variable(key: str, account: CurrentAccount, runtime: RuntimeDep) -> JSONResponse:
    async with runtime.db.read() as conn:
        row = await repository.get(conn, account.id, key)
    if row is None:
        raise NotFound(NOT_FOUND)
    return JSONResponse(_wire(row))


@router.put(
    "/v1/variables/{key}",
    summary="Update an environment variable",
    responses={
        **errors(400, 404),
        **answer(200, "The variable as sent", "VariableUpdated", VariableAnswer),
    },
    openapi_extra=request_body("VariableUpdate", VariableUpdate),
)
async def update_variable(
    key: str, request: Request, account: CurrentAccount, runtime: RuntimeDep
) -> JSONResponse:
    body: VariableUpdate = _parse(VariableUpdate, await json_body(request))
    if body.key is not None and body.key != key:
        raise BadRequest('"key" cannot be changed', keys=["key"])
    async with runtime.db.write() as conn:
        row = await repository.get(conn, account.id, key)
        if row is None:
            raise NotFound(NOT_FOUND)
        # Once secret, always secret (Checkly: "its value cannot be unlocked").
        secret = body.secret or bool(row.secret)
        await repository.update(
            conn,
            account.id,
            key,
            {
                "value": runtime.sealer.seal(body.value) if secret else body.value,
                "locked": body.locked,
                "secret": secret,
                "updated_at": utcnow(),
            },
        )
    return JSONResponse({"key": key, "value": body.value, "locked": body.locked, "secret": secret})


@router.delete(
    "/v1/variables/{key}",
    status_code=204,
    summary="Delete an environment variable",
    responses={**errors(404), **no_content("Deleted")},
)
async def delete_variable(key: str, account: CurrentAccount, runtime: RuntimeDep) -> Response:
    async with runtime.db.write() as conn:
        if not await repository.delete(conn, account.id, key):
            raise NotFound(NOT_FOUND)
    return Response(status_code=204)
