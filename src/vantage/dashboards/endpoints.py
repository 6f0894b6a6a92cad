"""`/v1/dashboards`: Checkly's public dashboards, as Terraform's `checkly_dashboard` and the Go SDK
manage them. `customUrl` and `customDomain` address a dashboard publicly, so each belongs to one
dashboard of any account (a taken one is a 409); `customCSS` must stay in the safe subset
(`css.py`), else a 400 naming it.
"""

from __future__ import annotations

from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from vantage.accounts.auth import CurrentAccount
from vantage.api.common import errors, json_body, page_headers
from vantage.api.openapi import answer, no_content, request_body
from vantage.dashboards import service
from vantage.dashboards.service import DashboardBody
from vantage.db.tables import dashboards
from vantage.errors import NotFound
from vantage.runtime import Runtime, get_runtime
from vantage.statuspages import viewer_keys
from vantage.timeutil import iso

router = APIRouter(tags=["Dashboards"], responses=errors(401))
RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


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
    payload = await json_body(request)
    async with runtime.db.write() as conn:
        row = await service.create(conn, account.id, payload, seal=runtime.sealer.seal)
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
        row = await service.get(conn, account.id, dashboard_id)
    if row is None:
        raise NotFound(service.NOT_FOUND)
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
    payload = await json_body(request)
    async with runtime.db.write() as conn:
        row = await service.update(
            conn, account.id, dashboard_id, payload, seal=runtime.sealer.seal
        )
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
        await service.delete(conn, account.id, dashboard_id)
    return Response(status_code=204)
