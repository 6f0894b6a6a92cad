"""`/v1/status-pages` and `/v1/status-pages/services`: what Terraform's `checkly_status_page` and
`checkly_status_page_service`, the Go SDK and the CLI's `status-pages list/get` manage.

A page's `url` and `customDomain` are its public addresses (`/status/{url}`, and the host name
the operator points at Vantage), so each belongs to one page of any account: a taken one is a 409.
The services a card names must be the account's own (else a 400 naming the card's service).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse

from vantage.accounts.auth import CurrentAccount
from vantage.api.common import errors, json_body
from vantage.api.openapi import no_content, request_body
from vantage.errors import BadRequest, NotFound
from vantage.runtime import Runtime, get_runtime
from vantage.statuspages import repository as repo
from vantage.statuspages import wire, writing
from vantage.statuspages.schemas import ServiceBody, StatusPageBody

router = APIRouter(tags=["Status pages"], responses=errors(401))
RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
Limit = Annotated[int, Query(ge=1, le=100)]
NO_SERVICE = writing.NO_SERVICE
NO_PAGE = writing.NO_PAGE


def _answer(
    name: str, description: str, status: int = 200, *, array: bool = False
) -> dict[int | str, Any]:
    schema: dict[str, Any] = {"type": "object", "title": name}
    if array:
        schema = {"type": "array", "title": name, "items": {"type": "object"}}
    return {
        status: {"description": description, "content": {"application/json": {"schema": schema}}}
    }


def paginated(entries: list[dict[str, Any]], limit: int, next_id: str | None) -> dict[str, Any]:
    """Checkly's `{length, entries, nextId}`: `nextId` is the id the next page starts at."""
    start = 0
    if next_id:
        ids = [e["id"] for e in entries]
        if next_id not in ids:
            raise BadRequest('"nextId" names no entry', keys=["nextId"], source="query")
        start = ids.index(next_id)
    page = entries[start : start + limit]
    following = entries[start + limit] if start + limit < len(entries) else None
    return {"length": len(page), "entries": page, "nextId": following["id"] if following else None}


# services (before `/v1/status-pages/{id}`, which would otherwise take "services" for an id)


@router.get(
    "/v1/status-pages/services",
    summary="List the status page services",
    responses={**errors(400), **_answer("ServicesPaginatedResponse", "The services")},
)
async def list_services(
    account: CurrentAccount,
    runtime: RuntimeDep,
    limit: Limit = 20,
    nextId: str | None = None,
) -> JSONResponse:
    async with runtime.db.read() as conn:
        rows = await repo.services_of(conn, account.id)
    return JSONResponse(paginated([wire.service(r) for r in rows], limit, nextId))


@router.post(
    "/v1/status-pages/services",
    status_code=201,
    summary="Create a status page service",
    responses={**errors(400), **_answer("StatusPageService", "The service", 201)},
    openapi_extra=request_body("StatusPageServiceBody", ServiceBody),
)
async def create_service(
    request: Request, account: CurrentAccount, runtime: RuntimeDep
) -> JSONResponse:
    payload = await json_body(request)
    async with runtime.db.write() as conn:
        service_id = await writing.create_service(conn, account.id, payload)
        row = await repo.service(conn, account.id, service_id)
    return JSONResponse(wire.service(row), status_code=201)


@router.get(
    "/v1/status-pages/services/{service_id}",
    summary="Retrieve a status page service",
    responses={**errors(404), **_answer("StatusPageService", "The service")},
)
async def get_service(
    service_id: str, account: CurrentAccount, runtime: RuntimeDep
) -> JSONResponse:
    async with runtime.db.read() as conn:
        row = await repo.service(conn, account.id, service_id)
    if row is None:
        raise NotFound(NO_SERVICE)
    return JSONResponse(wire.service(row))


@router.put(
    "/v1/status-pages/services/{service_id}",
    summary="Update a status page service",
    responses={**errors(400, 404), **_answer("StatusPageService", "The service")},
    openapi_extra=request_body("StatusPageServiceBody"),
)
async def update_service(
    service_id: str, request: Request, account: CurrentAccount, runtime: RuntimeDep
) -> JSONResponse:
    payload = await json_body(request)
    async with runtime.db.write() as conn:
        await writing.update_service(conn, account.id, service_id, payload)
        row = await repo.service(conn, account.id, service_id)
    return JSONResponse(wire.service(row))


@router.delete(
    "/v1/status-pages/services/{service_id}",
    status_code=204,
    summary="Delete a status page service",
    responses={**errors(404), **no_content("Deleted")},
)
async def delete_service(service_id: str, account: CurrentAccount, runtime: RuntimeDep) -> Response:
    async with runtime.db.write() as conn:
        await writing.delete_service(conn, account.id, service_id)
    return Response(status_code=204)


# pages


async def _page_answer(conn: Any, runtime: Runtime, account_id: str, row: Any) -> Any:
    ids = {sid for card in row.cards for sid in card.get("services", [])}
    known = await repo.services_by_id(conn, account_id, ids)
    return wire.page(row, known, runtime.sealer.open)


@router.get(
    "/v1/status-pages",
    summary="List the status pages",
    responses={**errors(400), **_answer("StatusPagesPaginatedResponse", "The status pages")},
)
async def list_pages(
    account: CurrentAccount,
    runtime: RuntimeDep,
    limit: Limit = 20,
    nextId: str | None = None,
) -> JSONResponse:
    async with runtime.db.read() as conn:
        rows = await repo.pages_of(conn, account.id)
        ids = {sid for row in rows for card in row.cards for sid in card.get("services", [])}
        known = await repo.services_by_id(conn, account.id, ids)
    return JSONResponse(
        paginated(
            [wire.page(row, known, runtime.sealer.open, listed=True) for row in rows],
            limit,
            nextId,
        )
    )


@router.post(
    "/v1/status-pages",
    status_code=201,
    summary="Create a status page",
    responses={**errors(400, 409), **_answer("StatusPage", "The status page", 201)},
    openapi_extra=request_body("StatusPageBody", StatusPageBody),
)
async def create_page(
    request: Request, account: CurrentAccount, runtime: RuntimeDep
) -> JSONResponse:
    payload = await json_body(request)
    async with runtime.db.write() as conn:
        page_id = await writing.create_page(conn, account.id, payload, seal=runtime.sealer.seal)
        answer = await _page_answer(
            conn, runtime, account.id, await repo.page(conn, account.id, page_id)
        )
    return JSONResponse(answer, status_code=201)


@router.get(
    "/v1/status-pages/{status_page_id}",
    summary="Retrieve a status page",
    responses={**errors(404), **_answer("StatusPage", "The status page")},
)
async def get_page(
    status_page_id: str, account: CurrentAccount, runtime: RuntimeDep
) -> JSONResponse:
    async with runtime.db.read() as conn:
        row = await repo.page(conn, account.id, status_page_id)
        if row is None:
            raise NotFound(NO_PAGE)
        answer = await _page_answer(conn, runtime, account.id, row)
    return JSONResponse(answer)


@router.put(
    "/v1/status-pages/{status_page_id}",
    summary="Update a status page",
    responses={**errors(400, 404, 409), **_answer("StatusPage", "The status page")},
    openapi_extra=request_body("StatusPageBody"),
)
async def update_page(
    status_page_id: str, request: Request, account: CurrentAccount, runtime: RuntimeDep
) -> JSONResponse:
    payload = await json_body(request)
    async with runtime.db.write() as conn:
        await writing.update_page(
            conn, account.id, status_page_id, payload, seal=runtime.sealer.seal
        )
        answer = await _page_answer(
            conn, runtime, account.id, await repo.page(conn, account.id, status_page_id)
        )
    return JSONResponse(answer)


@router.delete(
    "/v1/status-pages/{status_page_id}",
    status_code=204,
    summary="Delete a status page",
    responses={**errors(404), **no_content("Deleted")},
)
async def delete_page(
    status_page_id: str, account: CurrentAccount, runtime: RuntimeDep
) -> Response:
    async with runtime.db.write() as conn:
        await writing.delete_page(conn, account.id, status_page_id)
    return Response(status_code=204)
