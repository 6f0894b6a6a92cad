"""`/v1/status-pages` and `/v1/status-pages/services`: what Terraform's `checkly_status_page` and
`checkly_status_page_service`, the Go SDK and the CLI's `status-pages list/get` manage.

A page's `url` and `customDomain` are its public addresses (`/status/{url}`, and the host name
the operator points at Vantage), so each belongs to one page of any account: a taken one is a 409.
The services a card names must be the account's own (else a 400 naming the card's service).
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse

from vantage.accounts.auth import CurrentAccount
from vantage.api.common import errors, json_body
from vantage.api.openapi import no_content, request_body
from vantage.errors import BadRequest, Conflict, NotFound
from vantage.runtime import Runtime, get_runtime
from vantage.statuspages import repository as repo
from vantage.statuspages import viewer_keys, wire
from vantage.statuspages.public_cache import forget_pages
from vantage.statuspages.schemas import ServiceBody, StatusPageBody, parse
from vantage.timeutil import iso, utcnow

router = APIRouter(tags=["Status pages"], responses=errors(401))
RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
Limit = Annotated[int, Query(ge=1, le=100)]
NO_SERVICE = "No such status page service."
NO_PAGE = "No such status page."


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
    body = parse(ServiceBody, await json_body(request))
    service_id = str(uuid.uuid4())
    async with runtime.db.write() as conn:
        await repo.insert_service(
            conn,
            {"id": service_id, "account_id": account.id, "name": body.name, "created_at": utcnow()},
        )
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
    body = parse(ServiceBody, await json_body(request))
    async with runtime.db.write() as conn:
        values = {"name": body.name, "updated_at": utcnow()}
        if not await repo.update_service(conn, account.id, service_id, values):
            raise NotFound(NO_SERVICE)
        row = await repo.service(conn, account.id, service_id)
    forget_pages()
    return JSONResponse(wire.service(row))


@router.delete(
    "/v1/status-pages/services/{service_id}",
    status_code=204,
    summary="Delete a status page service",
    responses={**errors(404), **no_content("Deleted")},
)
async def delete_service(service_id: str, account: CurrentAccount, runtime: RuntimeDep) -> Response:
    async with runtime.db.write() as conn:
        if not await repo.delete_service(conn, account.id, service_id):
            raise NotFound(NO_SERVICE)
    forget_pages()
    return Response(status_code=204)


# pages


def _cards(body: StatusPageBody, known: dict[str, Any], before: list[Any]) -> list[Any]:
    now = iso(utcnow())
    old = {card["id"]: card for card in before}
    cards = []
    for i, card in enumerate(body.cards):
        for j, ref in enumerate(card.services):
            if ref.id not in known:
                key = f"cards[{i}].services[{j}].id"
                raise BadRequest(f'"{key}" names no service of this account', keys=[key])
        kept = old.get(card.id) if isinstance(card.id, str) else None
        cards.append(
            {
                "id": kept["id"] if kept else str(uuid.uuid4()),
                "name": card.name,
                "services": list(dict.fromkeys(ref.id for ref in card.services)),
                "created_at": kept["created_at"] if kept else now,
                "updated_at": now if kept else None,
            }
        )
    return cards


def _config(body: StatusPageBody, runtime: Runtime, held: Any = None) -> dict[str, Any]:
    config = _fields(body)
    # the viewer key is the server's to make, kept while the page stays private
    config["viewerKeys"] = viewer_keys.kept(
        held.config.get("viewerKeys") if held is not None else None,
        body.isPrivate,
        utcnow(),
        runtime.sealer.seal,
    )
    return config


def _fields(body: StatusPageBody) -> dict[str, Any]:
    return body.model_dump(
        mode="json",
        include={
            "name",
            "description",
            "themeColors",
            "logo",
            "logoDark",
            "redirectTo",
            "favicon",
            "defaultTheme",
            "version",
            "isPrivate",
        },
    )


def _service_ids(body: StatusPageBody) -> set[str]:
    return {ref.id for card in body.cards for ref in card.services}


async def _page_answer(conn: Any, runtime: Runtime, account_id: str, row: Any) -> Any:
    ids = {sid for card in row.cards for sid in card.get("services", [])}
    known = await repo.services_by_id(conn, account_id, ids)
    return wire.page(row, known, runtime.sealer.open)


async def _claim(conn: Any, body: StatusPageBody, except_id: str | None) -> None:
    clash = await repo.taken(conn, body.url, body.customDomain, except_id)
    if clash == "url":
        raise Conflict(f"The status page url {body.url!r} is taken.")
    if clash:
        raise Conflict(f"The custom domain {body.customDomain!r} is taken.")


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
    body = parse(StatusPageBody, await json_body(request))
    page_id = str(uuid.uuid4())
    async with runtime.db.write() as conn:
        known = await repo.services_by_id(conn, account.id, _service_ids(body))
        await _claim(conn, body, None)
        try:
            await repo.insert_page(
                conn,
                {
                    "id": page_id,
                    "account_id": account.id,
                    "url": body.url,
                    "custom_domain": body.customDomain,
                    "config": _config(body, runtime),
                    "cards": _cards(body, known, []),
                    "created_at": utcnow(),
                },
            )
        except sa.exc.IntegrityError:
            raise Conflict("The status page url or custom domain is taken.") from None
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
    body = parse(StatusPageBody, await json_body(request))
    async with runtime.db.write() as conn:
        row = await repo.page(conn, account.id, status_page_id)
        if row is None:
            raise NotFound(NO_PAGE)
        known = await repo.services_by_id(conn, account.id, _service_ids(body))
        await _claim(conn, body, status_page_id)
        try:
            await repo.update_page(
                conn,
                account.id,
                status_page_id,
                {
                    "url": body.url,
                    "custom_domain": body.customDomain,
                    "config": _config(body, runtime, row),
                    "cards": _cards(body, known, list(row.cards)),
                    "updated_at": utcnow(),
                },
            )
        except sa.exc.IntegrityError:
            raise Conflict("The status page url or custom domain is taken.") from None
        answer = await _page_answer(
            conn, runtime, account.id, await repo.page(conn, account.id, status_page_id)
        )
    forget_pages()
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
        if not await repo.delete_page(conn, account.id, status_page_id):
            raise NotFound(NO_PAGE)
    forget_pages()
    return Response(status_code=204)
