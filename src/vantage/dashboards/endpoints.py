"""`/v1/dashboards`: Checkly's public dashboards, as Terraform's `checkly_dashboard` and the Go SDK
manage them. `customUrl` and `customDomain` address a dashboard publicly, so each belongs to one
dashboard of any account (a taken one is a 409); `customCSS` must stay in the safe subset
(`css.py`), else a 400 naming it.
"""

from __future__ import annotations

import secrets
from typing import Annotated, Any, Literal

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, Strict, StringConstraints, field_validator

from vantage.accounts.auth import CurrentAccount
from vantage.api.common import errors, json_body, page_headers
from vantage.api.openapi import answer, no_content, request_body
from vantage.dashboards import css
from vantage.db.tables import dashboards
from vantage.errors import Conflict, NotFound
from vantage.runtime import Runtime, get_runtime
from vantage.statuspages import viewer_keys
from vantage.statuspages.public_cache import forget_pages
from vantage.statuspages.schemas import Hostname, Slug, parse
from vantage.timeutil import iso, utcnow

router = APIRouter(tags=["Dashboards"], responses=errors(401))
RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
NOT_FOUND = "No such dashboard."
Link = Annotated[str, StringConstraints(max_length=2048, pattern=r"^(https?://\S+)?$")]


# Strict: `"showP99": 0` is a wrong type, not False (the document says boolean).
Flag = Annotated[bool, Strict()]


class DashboardBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    customUrl: Slug | None = None
    customDomain: Hostname | None = None
    logo: Link | None = None
    favicon: Link | None = None
    link: Link | None = None
    header: Annotated[str, StringConstraints(max_length=255)] = ""
    description: Annotated[str, StringConstraints(max_length=500)] | None = None
    width: Literal["FULL", "960PX"] = "FULL"
    refreshRate: Literal[60, 300, 600] = 60
    paginate: Flag = True
    paginationRate: Literal[30, 60, 300] = 60
    sortByStatus: Flag = False
    checksPerPage: Annotated[int, Field(ge=1, le=20)] | None = 15
    useTagsAndOperator: Flag | None = False
    hideTags: Flag = False
    enableIncidents: Flag = False
    expandChecks: Flag = False
    tags: list[Annotated[str, StringConstraints(max_length=255)]] = Field(
        default_factory=list, max_length=50
    )
    showHeader: Flag = True
    showCheckRunLinks: Flag = False
    showGroupNames: Flag = True
    customCSS: str | None = ""
    isPrivate: Flag = False
    showP95: Flag = True
    showP99: Flag = True
    # Read-only: what an answer carries and a client sends back.
    id: Any = None
    dashboardId: Any = None
    created_at: Any = None
    updated_at: Any = None
    keys: Any = None
    projectBindings: Any = None

    @field_validator("customCSS")
    @classmethod
    def _safe_css(cls, value: str | None) -> str | None:
        why = css.problem(value or "")
        if why is not None:
            raise ValueError(f"customCSS: {why}")
        return value


READ_ONLY = {"id", "dashboardId", "created_at", "updated_at", "keys", "projectBindings"}


class DashboardAnswer(BaseModel):
    id: int
    dashboardId: str
    created_at: str


def _wire(row: Any, runtime: Runtime) -> dict[str, Any]:
    config = {k: v for k, v in row.config.items() if k != "viewerKeys"}
    return {
        **config,
        "customUrl": row.custom_url,
        "customDomain": row.custom_domain,
        "keys": viewer_keys.wire(row.config.get("viewerKeys"), runtime.sealer.open),
        "id": row.id,
        "dashboardId": row.dashboard_id,
        "created_at": iso(row.created_at),
    }


def _values(body: DashboardBody, runtime: Runtime, held: Any = None) -> dict[str, Any]:
    config = body.model_dump(mode="json", exclude=READ_ONLY | {"customUrl", "customDomain"})
    # The viewer key is the server's to make (`keys` in a body is read-only): kept across
    # updates while the dashboard stays private, so re-applying a Terraform plan keeps it.
    config["viewerKeys"] = viewer_keys.kept(
        held.config.get("viewerKeys") if held is not None else None,
        body.isPrivate,
        utcnow(),
        runtime.sealer.seal,
    )
    return {"custom_url": body.customUrl, "custom_domain": body.customDomain, "config": config}


async def _clash(conn: Any, body: DashboardBody, except_id: int | None) -> None:
    clauses = []
    if body.customUrl:
        clauses.append(dashboards.c.custom_url == body.customUrl)
    if body.customDomain:
        clauses.append(dashboards.c.custom_domain == body.customDomain)
    if not clauses:
        return
    query = sa.select(dashboards.c.id).where(sa.or_(*clauses))
    if except_id is not None:
        query = query.where(dashboards.c.id != except_id)
    if (await conn.execute(query)).first() is not None:
        raise Conflict("The dashboard's customUrl or customDomain is taken.")


async def _get(conn: Any, account_id: str, dashboard_id: str) -> Any:
    return (
        await conn.execute(
            sa.select(dashboards).where(
                dashboards.c.account_id == account_id, dashboards.c.dashboard_id == dashboard_id
            )
        )
    ).first()


@router.get(
    "/v1/dashboards",
    summary="List the dashboards",
    responses={
        **errors(400),
        **answer(200, "The dashboards", "DashboardList", list[DashboardAnswer]),
    },
)
async def list_dashboards(
    request: Request,
    account: CurrentAccount,
    runtime: RuntimeDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
    page: Annotated[int, Query(ge=1)] = 1,
) -> JSONResponse:
    async with runtime.db.read() as conn:
        rows = (
            await conn.execute(
                sa.select(dashboards)
                .where(dashboards.c.account_id == account.id)
                .order_by(dashboards.c.id)
            )
        ).all()
    items = rows[(page - 1) * limit : page * limit]
    return JSONResponse(
        [_wire(r, runtime) for r in items],
        headers=page_headers(request, page, limit, len(items), len(rows)),
    )


@router.post(
    "/v1/dashboards",
    status_code=201,
    summary="Create a dashboard",
    responses={**errors(400, 409), **answer(201, "The dashboard", "Dashboard", DashboardAnswer)},
    openapi_extra=request_body("DashboardBody", DashboardBody),
)
async def create_dashboard(
    request: Request, account: CurrentAccount, runtime: RuntimeDep
) -> JSONResponse:
    body = parse(DashboardBody, await json_body(request))
    dashboard_id = secrets.token_hex(4)
    async with runtime.db.write() as conn:
        await _clash(conn, body, None)
        try:
            await conn.execute(
                dashboards.insert().values(
                    dashboard_id=dashboard_id,
                    account_id=account.id,
                    created_at=utcnow(),
                    **_values(body, runtime),
                )
            )
        except sa.exc.IntegrityError:
            raise Conflict("The dashboard's customUrl or customDomain is taken.") from None
        row = await _get(conn, account.id, dashboard_id)
    forget_pages()
    return JSONResponse(_wire(row, runtime), status_code=201)


@router.get(
    "/v1/dashboards/{dashboard_id}",
    summary="Retrieve a dashboard",
    responses={**errors(404), **answer(200, "The dashboard", "Dashboard", DashboardAnswer)},
)
async def get_dashboard(
    dashboard_id: str, account: CurrentAccount, runtime: RuntimeDep
) -> JSONResponse:
    async with runtime.db.read() as conn:
        row = await _get(conn, account.id, dashboard_id)
    if row is None:
        raise NotFound(NOT_FOUND)
    return JSONResponse(_wire(row, runtime))


@router.put(
    "/v1/dashboards/{dashboard_id}",
    summary="Update a dashboard",
    responses={
        **errors(400, 404, 409),
        **answer(200, "The dashboard", "Dashboard", DashboardAnswer),
    },
    openapi_extra=request_body("DashboardBody"),
)
async def update_dashboard(
    dashboard_id: str, request: Request, account: CurrentAccount, runtime: RuntimeDep
) -> JSONResponse:
    body = parse(DashboardBody, await json_body(request))
    async with runtime.db.write() as conn:
        row = await _get(conn, account.id, dashboard_id)
        if row is None:
            raise NotFound(NOT_FOUND)
        await _clash(conn, body, row.id)
        try:
            await conn.execute(
                dashboards.update()
                .where(dashboards.c.id == row.id)
                .values(updated_at=utcnow(), **_values(body, runtime, row))
            )
        except sa.exc.IntegrityError:
            raise Conflict("The dashboard's customUrl or customDomain is taken.") from None
        row = await _get(conn, account.id, dashboard_id)
    forget_pages()
    return JSONResponse(_wire(row, runtime))


@router.delete(
    "/v1/dashboards/{dashboard_id}",
    status_code=204,
    summary="Delete a dashboard",
    responses={**errors(404), **no_content("Deleted")},
)
async def delete_dashboard(
    dashboard_id: str, account: CurrentAccount, runtime: RuntimeDep
) -> Response:
    async with runtime.db.write() as conn:
        result = await conn.execute(
            dashboards.delete().where(
                dashboards.c.account_id == account.id, dashboards.c.dashboard_id == dashboard_id
            )
        )
    if not result.rowcount:
        raise NotFound(NOT_FOUND)
    forget_pages()
    return Response(status_code=204)
