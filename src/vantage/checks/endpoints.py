"""`/v1/checks`: Checkly's checks API for the types Vantage runs; `/v2` and `/v3` reads."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncConnection

from vantage.accounts.auth import CurrentAccount
from vantage.api.common import content_range, errors, json_body, page_links
from vantage.api.openapi import answer, component, no_content, request_body
from vantage.checks import service, versions
from vantage.checks.filtering import CheckFilter
from vantage.checks.responses import BODY_MODELS, GENERIC_ROUTE_TYPES, Check, CheckCreate
from vantage.checks.schemas import CHECK_MODELS, CHECK_TYPE_PATHS, CheckType
from vantage.errors import BadRequest, NotFound
from vantage.groups import service as groups_service
from vantage.projects import repository as projects_repository
from vantage.runtime import Runtime, get_runtime

router = APIRouter(tags=["Checks"], responses=errors(401))

RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
CHECK_TYPES = tuple(CHECK_MODELS)
# Which read shape a route answers in (vantage.checks.versions).
Shape = Literal["v1", "v2", "v3"]

ONE_CHECK = answer(200, "The check", "Check", Check)
CREATED = answer(201, "The check created", "Check", Check)
CHECK_LIST = answer(200, "A page of checks", "CheckList", list[Check])
# A PUT gives any fields of the check's type, merged into the check (`request` key by key).


def _component(check_type: str) -> str:
    """`API` -> `Api`, `MULTI_STEP` -> `MultiStep`: the type's part of its component names."""
    return check_type.title().replace("_", "")


UPDATES = {
    check_type: component(
        f"{_component(check_type)}CheckUpdate", model, "validation", partial=["request"]
    )
    for check_type, model in BODY_MODELS.items()
}
UPDATE = request_body(
    "CheckUpdate", {"anyOf": [UPDATES[check_type] for check_type in GENERIC_ROUTE_TYPES]}
)


def _type_from_path(check_type: str) -> str:
    resolved = CHECK_TYPE_PATHS.get(check_type)
    if resolved is None:
        raise NotFound(f"Vantage does not run {check_type} checks yet.")
    return resolved


ListLimit = Annotated[int, Query(ge=1, le=100)]
ListPage = Annotated[int, Query(ge=1)]
# An array, never null: a single `tag=x` is a one-item list, as an HTTP client sends it.
ListTags = Annotated[list[str], Query()]
ListType = Annotated[CheckType | None, Query()]
ListStatus = Annotated[Literal["passing", "failing", "degraded"] | None, Query()]
UrlPattern = Annotated[str | None, Query(min_length=1, max_length=2048)]


async def _listed(
    request: Request,
    account_id: str,
    runtime: Runtime,
    flt: CheckFilter,
    *,
    limit: int,
    page: int,
    apply_group_settings: bool,
    shape: Shape,
) -> JSONResponse:
    async with runtime.db.read() as conn:
        items, total = await service.list_page(conn, account_id, flt, limit=limit, page=page)
        if apply_group_settings:
            items = await groups_service.apply_group_settings(conn, account_id, items)
        owners = await _owners(conn, account_id, [item.id for item in items], shape)
    start = (page - 1) * limit
    return JSONResponse(
        [_shaped(item.wire(), owners, item.id, shape) for item in items],
        headers={
            "Content-Range": content_range(start, len(items), total),
            "Link": page_links(request, page, limit, total),
        },
    )


async def _owners(
    conn: AsyncConnection, account_id: str, check_ids: list[str], shape: Shape
) -> dict[str, Any]:
    if shape == "v1":
        return {}
    return await projects_repository.check_owners(conn, account_id, check_ids)


def _shaped(wire: dict[str, Any], owners: dict[str, Any], check_id: str, shape: Shape) -> Any:
    if shape == "v2":
        return versions.v2_wire(wire, owners.get(check_id))
    if shape == "v3":
        return versions.v3_wire(wire, owners.get(check_id))
    return wire


def _filter(
    request: Request,
    tag: list[str],
    checkType: str | None,
    search: str | None,
    status: str | None,
    apiCheckUrlFilterPattern: str | None,
) -> CheckFilter:
    # Checkly's CLI (axios) sends `tag[]=a&tag[]=b`; curl users send `tag=a&tag=b`.
    tags = [*(tag or ()), *request.query_params.getlist("tag[]")]
    return CheckFilter(
        tags=tags,
        check_type=checkType,
        search=search,
        status=status,
        url_pattern=apiCheckUrlFilterPattern,
    )


def _add_list_route(path: str, shape: Shape, responses: dict[int | str, Any]) -> None:
    @router.get(path, summary="List all checks", responses={**errors(400), **responses})
    async def list_checks(
        request: Request,
        account: CurrentAccount,
        runtime: RuntimeDep,
        limit: ListLimit = 10,
        page: ListPage = 1,
        tag: ListTags = [],  # noqa: B006 (FastAPI copies defaults)
        checkType: ListType = None,
        search: Annotated[str | None, Query()] = None,
        status: ListStatus = None,
        apiCheckUrlFilterPattern: UrlPattern = None,
        applyGroupSettings: bool = False,
    ) -> JSONResponse:
        flt = _filter(request, tag, checkType, search, status, apiCheckUrlFilterPattern)
        return await _listed(
            request,
            account.id,
            runtime,
            flt,
            limit=limit,
            page=page,
            apply_group_settings=applyGroupSettings,
            shape=shape,
        )

    list_checks.__name__ = f"list_checks_{shape}"


_add_list_route("/v1/checks", "v1", CHECK_LIST)
_add_list_route(
    "/v2/checks",
    "v2",
    answer(200, "A page of checks, with their projects", "CheckListV2", list[versions.CheckV2]),
)
_add_list_route(
    "/v3/checks",
    "v3",
    answer(200, "A page of checks, intent as constraints", "CheckListV3", list[versions.CheckV3]),
)


# Checkly's default: a new check listens to every alert channel unless its body lists its own.
AutoAssign = Annotated[bool, Query()]


async def _create(
    runtime: Runtime, account_id: str, check_type: str, payload: Any, auto_assign: bool = True
) -> JSONResponse:
    async with runtime.db.write() as conn:
        check = await service.create(
            conn,
            account_id,
            check_type,
            payload,
            seal=runtime.sealer.seal,
            base_url=runtime.settings.base_url,
            auto_assign=auto_assign,
        )
    runtime.signals.checks_changed()
    return JSONResponse(check.wire(), status_code=201)


@router.post(
    "/v1/checks",
    status_code=201,
    summary="Create a check",
    responses={**errors(400), **CREATED},
    openapi_extra=request_body("CheckCreate", CheckCreate),
)
async def create_check(
    request: Request,
    account: CurrentAccount,
    runtime: RuntimeDep,
    autoAssignAlerts: AutoAssign = True,
) -> JSONResponse:
    payload = await json_body(request)
    check_type = payload.get("checkType") if isinstance(payload, dict) else None
    if not isinstance(check_type, str) or check_type not in CHECK_MODELS:
        raise BadRequest(
            f'"checkType" must be one of [{", ".join(CHECK_TYPES)}]', keys=["checkType"]
        )
    return await _create(runtime, account.id, str(check_type), payload, autoAssignAlerts)


@router.post(
    "/v1/checks/{check_type}", status_code=201, include_in_schema=False, responses=errors(400, 404)
)
async def create_typed_check(
    check_type: str,
    request: Request,
    account: CurrentAccount,
    runtime: RuntimeDep,
    autoAssignAlerts: AutoAssign = True,
) -> JSONResponse:
    resolved = _type_from_path(check_type)
    payload = await json_body(request)
    if isinstance(payload, dict) and payload.get("checkType", resolved) != resolved:
        raise BadRequest(f'"checkType" must be [{resolved}]', keys=["checkType"])
    return await _create(runtime, account.id, resolved, payload, autoAssignAlerts)


def _add_get_route(path: str, shape: Shape, responses: dict[int | str, Any]) -> None:
    @router.get(path, summary="Retrieve a check", responses={**errors(404), **responses})
    async def get_check(
        check_id: str,
        account: CurrentAccount,
        runtime: RuntimeDep,
        applyGroupSettings: bool = False,
        includeDependencies: bool = False,
    ) -> JSONResponse:
        async with runtime.db.read() as conn:
            check = await service.get(conn, account.id, check_id)
            if applyGroupSettings:
                [check] = await groups_service.apply_group_settings(conn, account.id, [check])
            owners = await _owners(conn, account.id, [check.id], shape)
        return JSONResponse(_shaped(check.wire(), owners, check.id, shape))

    get_check.__name__ = f"get_check_{shape}"


_add_get_route("/v1/checks/{check_id}", "v1", ONE_CHECK)
_add_get_route(
    "/v2/checks/{check_id}",
    "v2",
    answer(200, "The check, with its projects", "CheckV2", versions.CheckV2),
)
_add_get_route(
    "/v3/checks/{check_id}",
    "v3",
    answer(200, "The check, intent as constraints", "CheckV3", versions.CheckV3),
)


async def _update(
    runtime: Runtime, account_id: str, check_id: str, payload: Any, check_type: str | None
) -> JSONResponse:
    async with runtime.db.write() as conn:
        check = await service.update(
            conn,
            account_id,
            check_id,
            payload,
            seal=runtime.sealer.seal,
            check_type=check_type,
            base_url=runtime.settings.base_url,
        )
    runtime.signals.checks_changed()
    return JSONResponse(check.wire())


@router.put(
    "/v1/checks/{check_id}",
    summary="Update a check",
    responses={**errors(400, 404), **ONE_CHECK},
    openapi_extra=UPDATE,
)
async def update_check(
    check_id: str, request: Request, account: CurrentAccount, runtime: RuntimeDep
) -> JSONResponse:
    return await _update(runtime, account.id, check_id, await json_body(request), None)


@router.put(
    "/v1/checks/{check_type}/{check_id}", include_in_schema=False, responses=errors(400, 404)
)
async def update_typed_check(
    check_type: str,
    check_id: str,
    request: Request,
    account: CurrentAccount,
    runtime: RuntimeDep,
) -> JSONResponse:
    resolved = _type_from_path(check_type)
    return await _update(runtime, account.id, check_id, await json_body(request), resolved)


@router.delete(
    "/v1/checks/{check_id}",
    status_code=204,
    summary="Delete a check",
    responses={**errors(404), **no_content("Deleted")},
)
async def delete_check(check_id: str, account: CurrentAccount, runtime: RuntimeDep) -> Response:
    async with runtime.db.write() as conn:
        ended = await service.delete(conn, account.id, check_id)
    runtime.sessions_cancelled(ended)
    return Response(status_code=204)


def _add_typed_routes(slug: str, check_type: str) -> None:
    """`/v1/checks/api`, `/v1/checks/api/{check_id}`...: one documented path per type, as in
    Checkly's API; other types reach the `{check_type}` routes above, and their 404."""
    name = _component(check_type)
    article = "an" if check_type == "API" else "a"

    @router.post(
        f"/v1/checks/{slug}",
        status_code=201,
        summary=f"Create {article} {check_type} check",
        responses={**errors(400), **CREATED},
        openapi_extra=request_body(f"{name}CheckBody", BODY_MODELS[check_type]),
        name=f"create_{slug}_check",
    )
    async def create(
        request: Request,
        account: CurrentAccount,
        runtime: RuntimeDep,
        autoAssignAlerts: AutoAssign = True,
    ) -> JSONResponse:
        return await create_typed_check(slug, request, account, runtime, autoAssignAlerts)

    @router.put(
        f"/v1/checks/{slug}/{{check_id}}",
        summary=f"Update {article} {check_type} check",
        responses={**errors(400, 404), **ONE_CHECK},
        openapi_extra=request_body(f"{name}CheckUpdate"),
        name=f"update_{slug}_check",
    )
    async def update(
        check_id: str, request: Request, account: CurrentAccount, runtime: RuntimeDep
    ) -> JSONResponse:
        return await update_typed_check(slug, check_id, request, account, runtime)


for _slug, _check_type in CHECK_TYPE_PATHS.items():
    _add_typed_routes(_slug, _check_type)
