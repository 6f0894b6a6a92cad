"""`/v1/check-groups`: Checkly's check groups API."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse

from vantage.accounts.auth import CurrentAccount
from vantage.api.common import errors, json_body, page_headers
from vantage.api.openapi import answer, no_content, request_body
from vantage.checks.responses import Check
from vantage.groups import service
from vantage.groups.responses import GROUP_BODY, CheckGroupAnswer, CheckGroupV2Answer
from vantage.groups.schemas import CheckGroupV2
from vantage.runtime import Runtime, get_runtime

router = APIRouter(tags=["Check groups"], responses=errors(401))

RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
Limit = Annotated[int, Query(ge=1, le=100)]
Page = Annotated[int, Query(ge=1)]

ONE_GROUP = answer(200, "The check group", "CheckGroupV2Answer", CheckGroupV2Answer)


@router.get(
    "/v1/check-groups",
    summary="List all check groups",
    responses={
        **errors(400),
        **answer(200, "A page of check groups", "CheckGroupList", list[CheckGroupV2Answer]),
    },
)
async def list_groups(
    request: Request,
    account: CurrentAccount,
    runtime: RuntimeDep,
    limit: Limit = 10,
    page: Page = 1,
    # An array, never null: a single `tag=x` is a one-item list, as an HTTP client sends it.
    tag: Annotated[list[str], Query()] = [],  # noqa: B006 (FastAPI copies defaults)
    name: Annotated[str | None, Query()] = None,
) -> JSONResponse:
    tags = [*(tag or ()), *request.query_params.getlist("tag[]")]
    async with runtime.db.read() as conn:
        items, total = await service.list_page(
            conn, account.id, tags=tags, name=name, limit=limit, page=page
        )
    return JSONResponse(
        [item.wire() for item in items],
        headers=page_headers(request, page, limit, len(items), total),
    )


@router.post(
    "/v1/check-groups",
    status_code=201,
    summary="Create a check group",
    responses={
        **errors(400),
        **answer(201, "The group created", "CheckGroupAnswer", CheckGroupAnswer),
    },
    openapi_extra=request_body("CheckGroupBody", GROUP_BODY),
)
async def create_group(
    request: Request, account: CurrentAccount, runtime: RuntimeDep
) -> JSONResponse:
    payload = await json_body(request)
    async with runtime.db.write() as conn:
        group = await service.create(conn, account.id, payload, seal=runtime.sealer.seal)
    return JSONResponse(group.wire(), status_code=201)


@router.get(
    "/v1/check-groups/{group_id}",
    summary="Retrieve a check group",
    responses={**errors(404), **ONE_GROUP},
)
async def get_group(group_id: int, account: CurrentAccount, runtime: RuntimeDep) -> JSONResponse:
    async with runtime.db.read() as conn:
        group = await service.get(conn, account.id, group_id)
    return JSONResponse(group.wire())


@router.put(
    "/v1/check-groups/{group_id}",
    summary="Update a check group",
    responses={**errors(400, 404), **ONE_GROUP},
    openapi_extra=request_body("CheckGroupUpdate", GROUP_BODY, partial=["apiCheckDefaults"]),
)
async def update_group(
    group_id: int, request: Request, account: CurrentAccount, runtime: RuntimeDep
) -> JSONResponse:
    payload = await json_body(request)
    async with runtime.db.write() as conn:
        group = await service.update(conn, account.id, group_id, payload, seal=runtime.sealer.seal)
    # activation, locations and retries of the group's checks may have changed
    runtime.signals.groups_changed()
    return JSONResponse(group.wire())


@router.delete(
    "/v1/check-groups/{group_id}",
    status_code=204,
    summary="Delete a check group (refused while it has checks)",
    responses={**errors(404, 409), **no_content("Deleted")},
)
async def delete_group(group_id: int, account: CurrentAccount, runtime: RuntimeDep) -> Response:
    async with runtime.db.write() as conn:
        await service.delete(conn, account.id, group_id)
    return Response(status_code=204)


@router.get(
    "/v1/check-groups/{group_id}/checks",
    summary="List the checks of a group, with the group's settings applied",
    responses={**errors(400, 404), **answer(200, "A page of checks", "CheckList", list[Check])},
)
async def list_group_checks(
    group_id: int,
    request: Request,
    account: CurrentAccount,
    runtime: RuntimeDep,
    limit: Limit = 10,
    page: Page = 1,
) -> JSONResponse:
    async with runtime.db.read() as conn:
        items, total = await service.list_checks_page(
            conn, account.id, group_id, limit=limit, page=page
        )
    return JSONResponse(
        [item.wire() for item in items],
        headers=page_headers(request, page, limit, len(items), total),
    )


@router.get(
    "/v1/check-groups/{group_id}/checks/{check_id}",
    summary="Retrieve a check of a group, with the group's settings applied",
    responses={**errors(404), **answer(200, "The check", "Check", Check)},
)
async def get_group_check(
    group_id: int, check_id: str, account: CurrentAccount, runtime: RuntimeDep
) -> JSONResponse:
    async with runtime.db.read() as conn:
        check = await service.get_check(conn, account.id, group_id, check_id)
    return JSONResponse(check.wire())


@router.post(
    "/v2/check-groups",
    status_code=201,
    summary="Create a check group (v2: null settings are inherited)",
    responses={
        **errors(400),
        **answer(201, "The group created", "CheckGroupV2Answer", CheckGroupV2Answer),
    },
    openapi_extra=request_body("CheckGroupV2Body", CheckGroupV2),
)
async def create_group_v2(
    request: Request, account: CurrentAccount, runtime: RuntimeDep
) -> JSONResponse:
    payload = await json_body(request)
    async with runtime.db.write() as conn:
        group = await service.create(conn, account.id, payload, seal=runtime.sealer.seal, version=2)
    return JSONResponse(group.wire(), status_code=201)


@router.put(
    "/v2/check-groups/{group_id}",
    summary="Update a check group (v2: null settings are inherited)",
    responses={
        **errors(400, 404),
        **answer(200, "The group", "CheckGroupV2Answer", CheckGroupV2Answer),
    },
    openapi_extra=request_body("CheckGroupV2Update", CheckGroupV2, partial=["apiCheckDefaults"]),
)
async def update_group_v2(
    group_id: int, request: Request, account: CurrentAccount, runtime: RuntimeDep
) -> JSONResponse:
    payload = await json_body(request)
    async with runtime.db.write() as conn:
        group = await service.update(
            conn, account.id, group_id, payload, seal=runtime.sealer.seal, version=2
        )
    runtime.signals.groups_changed()
    return JSONResponse(group.wire())


@router.get(
    "/v2/check-groups/{group_id}/checks",
    summary="List the checks of a group, with the group's settings applied (v2)",
    responses={**errors(400, 404), **answer(200, "A page of checks", "CheckList", list[Check])},
)
async def list_group_checks_v2(
    group_id: int,
    request: Request,
    account: CurrentAccount,
    runtime: RuntimeDep,
    limit: Limit = 10,
    page: Page = 1,
) -> JSONResponse:
    return await list_group_checks(group_id, request, account, runtime, limit, page)


@router.get(
    "/v2/check-groups/{group_id}/checks/{check_id}",
    summary="Retrieve a check of a group, with the group's settings applied (v2)",
    responses={**errors(404), **answer(200, "The check", "Check", Check)},
)
async def get_group_check_v2(
    group_id: int, check_id: str, account: CurrentAccount, runtime: RuntimeDep
) -> JSONResponse:
    return await get_group_check(group_id, check_id, account, runtime)
