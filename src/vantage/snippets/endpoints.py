"""`/v1/snippets`: Checkly's snippets, named scripts that checks' and groups' setup and teardown
refer to by id (Terraform's `checkly_snippet`). Vantage stores and serves them; it runs no
scripts. Read-only keys a client echoes (`id`, `created_at`, the Go SDK's `createdAt`) are
ignored; a snippet of another account is a 404."""

from __future__ import annotations

from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy.ext.asyncio import AsyncConnection

from vantage.accounts.auth import CurrentAccount
from vantage.api.common import errors, json_body, page_headers
from vantage.api.openapi import answer, no_content, request_body
from vantage.db.tables import snippets
from vantage.errors import BadRequest, NotFound
from vantage.runtime import Runtime, get_runtime
from vantage.timeutil import iso, utcnow
from vantage.validation import bad_request

router = APIRouter(tags=["Snippets"], responses=errors(401))
RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
NOT_FOUND = "No such snippet."
READ_ONLY = frozenset({"id", "created_at", "updated_at", "createdAt", "updatedAt"})
MAX_ID = 2**31 - 1
Limit = Annotated[int, Query(ge=1, le=100)]
Page = Annotated[int, Query(ge=1, le=1_000_000)]


class SnippetCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, Field(min_length=1, max_length=255)]
    script: Annotated[str, Field(min_length=1, max_length=500_000)]


class SnippetAnswer(SnippetCreate):
    id: int
    created_at: str
    updated_at: str | None


ONE = answer(200, "The snippet", "Snippet", SnippetAnswer)


def _validate(payload: Any) -> SnippetCreate:
    if not isinstance(payload, dict):
        raise BadRequest('"value" must be of type object', keys=["value"])
    try:
        return SnippetCreate.model_validate(
            {k: v for k, v in payload.items() if k not in READ_ONLY}
        )
    except ValidationError as exc:
        raise bad_request(exc) from None


def _wire(row: Any) -> dict[str, Any]:
    return {
        "id": int(row.id),
        "name": row.name,
        "script": row.script,
        "created_at": iso(row.created_at),
        "updated_at": iso(row.updated_at),
    }


async def _row(conn: AsyncConnection, account_id: str, snippet_id: int) -> Any:
    row = None
    if 1 <= snippet_id <= MAX_ID:
        row = (
            await conn.execute(
                sa.select(snippets).where(
                    snippets.c.id == snippet_id, snippets.c.account_id == account_id
                )
            )
        ).first()
    if row is None:
        raise NotFound(NOT_FOUND)
    return row


@router.get(
    "/v1/snippets",
    summary="List all snippets",
    responses={
        **errors(400),
        **answer(200, "A page of snippets", "SnippetList", list[SnippetAnswer]),
    },
)
async def list_snippets(
    request: Request,
    account: CurrentAccount,
    runtime: RuntimeDep,
    limit: Limit = 10,
    page: Page = 1,
) -> JSONResponse:
    mine = snippets.c.account_id == account.id
    async with runtime.db.read() as conn:
        total = await conn.scalar(sa.select(sa.func.count()).select_from(snippets).where(mine))
        rows = await conn.execute(
            sa.select(snippets)
            .where(mine)
            .order_by(snippets.c.id)
            .limit(limit)
            .offset((page - 1) * limit)
        )
        items = [_wire(r) for r in rows.all()]
    return JSONResponse(
        items, headers=page_headers(request, page, limit, len(items), int(total or 0))
    )


@router.post(
    "/v1/snippets",
    status_code=201,
    summary="Create a snippet",
    responses={**errors(400), **answer(201, "The snippet created", "Snippet", SnippetAnswer)},
    openapi_extra=request_body("SnippetCreate", SnippetCreate),
)
async def create_snippet(
    request: Request, account: CurrentAccount, runtime: RuntimeDep
) -> JSONResponse:
    body = _validate(await json_body(request))
    async with runtime.db.write() as conn:
        result = await conn.execute(
            snippets.insert()
            .values(account_id=account.id, name=body.name, script=body.script, created_at=utcnow())
            .returning(snippets.c.id)
        )
        row = await _row(conn, account.id, int(result.scalar_one()))
    return JSONResponse(_wire(row), status_code=201)


@router.get(
    "/v1/snippets/{snippet_id}", summary="Retrieve a snippet", responses={**errors(404), **ONE}
)
async def get_snippet(
    snippet_id: int, account: CurrentAccount, runtime: RuntimeDep
) -> JSONResponse:
    async with runtime.db.read() as conn:
        return JSONResponse(_wire(await _row(conn, account.id, snippet_id)))


@router.put(
    "/v1/snippets/{snippet_id}",
    summary="Update a snippet",
    responses={**errors(400, 404), **ONE},
    openapi_extra=request_body("SnippetCreate"),
)
async def update_snippet(
    snippet_id: int, request: Request, account: CurrentAccount, runtime: RuntimeDep
) -> JSONResponse:
    payload = await json_body(request)
    async with runtime.db.write() as conn:
        await _row(conn, account.id, snippet_id)
        body = _validate(payload)
        await conn.execute(
            snippets.update()
            .where(snippets.c.id == snippet_id)
            .values(name=body.name, script=body.script, updated_at=utcnow())
        )
        return JSONResponse(_wire(await _row(conn, account.id, snippet_id)))


@router.delete(
    "/v1/snippets/{snippet_id}",
    status_code=204,
    summary="Delete a snippet",
    responses={**errors(404), **no_content("Deleted")},
)
async def delete_snippet(snippet_id: int, account: CurrentAccount, runtime: RuntimeDep) -> Response:
    async with runtime.db.write() as conn:
        await _row(conn, account.id, snippet_id)
        await conn.execute(snippets.delete().where(snippets.c.id == snippet_id))
    return Response(status_code=204)
