"""`/v1/check-results` and `/v2/check-results`: stored results of a check."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse

from vantage.accounts.auth import CurrentAccount
from vantage.api.common import errors
from vantage.api.openapi import answer
from vantage.errors import BadRequest
from vantage.results import service
from vantage.results.responses import RESULTS_PAGE, CheckResult
from vantage.results.wire import V2_FIELDS, project, result_wire
from vantage.runtime import Runtime, get_runtime
from vantage.timeutil import utcnow

router = APIRouter(tags=["Check results"], responses=errors(401))

RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
ResultType = Literal["FINAL", "ATTEMPT", "ALL"]
# `fields`: names of V2_FIELDS, comma-separated, in one value or many.
_FIELD = "|".join(sorted(V2_FIELDS))
FIELDS_SCHEMA: dict[str, Any] = {
    "items": {"type": "string", "pattern": rf"^\s*({_FIELD})?\s*(,\s*({_FIELD})?\s*)*$"}
}


@router.get(
    "/v1/check-results/{check_id}",
    summary="List check results (page-based, at most 6 hours)",
    responses={
        **errors(400, 404),
        **answer(200, "A page of results", "CheckResultList", list[CheckResult]),
    },
)
async def list_results_v1(
    check_id: str,
    account: CurrentAccount,
    runtime: RuntimeDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
    page: Annotated[int, Query(ge=1, le=service.MAX_PAGE)] = 1,
    from_: Annotated[int | None, Query(alias="from", ge=0, le=service.MAX_TIMESTAMP)] = None,
    to: Annotated[int | None, Query(ge=0, le=service.MAX_TIMESTAMP)] = None,
    location: str | None = None,
    hasFailures: bool | None = None,
    resultType: ResultType = "FINAL",
) -> JSONResponse:
    start, end = service.v1_window(from_, to, utcnow())
    flt = service.ResultFilter(start, end, location, hasFailures, resultType)
    async with runtime.db.read() as conn:
        await service.ensure_check(conn, account.id, check_id)
        rows = await service.page(conn, account.id, check_id, flt, limit=limit, page=page)
    return JSONResponse([result_wire(row, base_url=runtime.settings.base_url) for row in rows])


def _projection(raw: list[str] | None) -> list[str] | None:
    """`fields`, given comma-separated or repeated, checked against Checkly's list."""
    if not raw:
        return None
    fields = [f.strip() for item in raw for f in item.split(",") if f.strip()]
    unknown = [f for f in fields if f not in V2_FIELDS]
    if unknown:
        raise BadRequest(
            f'"fields" must be one of [{", ".join(sorted(V2_FIELDS))}]: unknown {unknown[0]}',
            keys=["fields"],
            source="query",
        )
    return fields


@router.get(
    "/v2/check-results/{check_id}",
    summary="List check results (cursor-based, newest first)",
    responses={
        **errors(400, 404),
        **answer(200, "Results and the next cursor", "CheckResultsPage", RESULTS_PAGE),
    },
)
async def list_results_v2(
    check_id: str,
    account: CurrentAccount,
    runtime: RuntimeDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
    nextId: str | None = None,
    from_: Annotated[int | None, Query(alias="from", ge=0, le=service.MAX_TIMESTAMP)] = None,
    to: Annotated[int | None, Query(ge=0, le=service.MAX_TIMESTAMP)] = None,
    location: str | None = None,
    hasFailures: bool | None = None,
    resultType: ResultType = "FINAL",
    fields: Annotated[
        list[str],
        Query(description="comma-separated projection", json_schema_extra=FIELDS_SCHEMA),
    ] = [],  # noqa: B006 (FastAPI copies defaults)
) -> JSONResponse:
    projection = _projection(fields)
    flt = service.ResultFilter(
        service.moment(from_),
        service.moment(to),
        location,
        hasFailures,
        resultType,
    )
    async with runtime.db.read() as conn:
        await service.ensure_check(conn, account.id, check_id)
        rows, cursor = await service.cursor_page(
            conn, account.id, check_id, flt, limit=limit, next_id=nextId
        )
    entries = [result_wire(row, base_url=runtime.settings.base_url) for row in rows]
    if projection is not None:
        entries = [project(entry, projection) for entry in entries]
    return JSONResponse({"length": len(entries), "entries": entries, "nextId": cursor})


@router.get(
    "/v1/check-results/{check_id}/{check_result_id}",
    summary="Retrieve one check result with its full detail",
    responses={**errors(404), **answer(200, "The result", "CheckResult", CheckResult)},
)
async def get_result(
    check_id: str, check_result_id: str, account: CurrentAccount, runtime: RuntimeDep
) -> JSONResponse:
    async with runtime.db.read() as conn:
        await service.ensure_check(conn, account.id, check_id)
        row = await service.get_one(conn, account.id, check_id, check_result_id)
    return JSONResponse(result_wire(row, base_url=runtime.settings.base_url))
