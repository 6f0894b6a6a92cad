"""`/v1/analytics`: what `checkly checks stats` (`POST /v1/analytics/checks`) and `checks get`
(`GET /v1/analytics/{type}/{id}`) show, and `GET /v1/reporting` (every check, `reporting.py`).
Figures come from the checks' FINAL results in the window (`stats.py`); metrics Vantage does not
measure are left out."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from vantage.accounts.auth import CurrentAccount
from vantage.analytics import reporting, repository
from vantage.analytics.ranges import QuickRange, window
from vantage.analytics.responses import BatchItem, BatchRequest, CheckAnalytics, ReportEntry
from vantage.analytics.stats import AGGREGATIONS, figures
from vantage.api.common import errors, json_body
from vantage.api.openapi import answer, request_body
from vantage.checks import repository as checks_repository
from vantage.checks import service as checks_service
from vantage.errors import BadRequest, NotFound
from vantage.runtime import Runtime, get_runtime
from vantage.timeutil import iso, utcnow
from vantage.validation import bad_request

router = APIRouter(tags=["Analytics"], responses=errors(401))
RuntimeDep = Annotated[Runtime, Depends(get_runtime)]

BATCH_METRICS = (
    "availability",
    "responseTime_avg",
    "responseTime_p50",
    "responseTime_p95",
    "responseTime_p99",
)
# Checkly's path segment per check type.
TYPE_PATHS = {
    "api-checks": "API",
    "url-monitors": "URL",
    "tcp-checks": "TCP",
    "dns": "DNS",
    "icmp": "ICMP",
    "heartbeat-checks": "HEARTBEAT",
}
DEFAULT_METRICS = {
    "API": BATCH_METRICS,
    "URL": BATCH_METRICS,
    "TCP": ("availability", "total_avg", "total_p50", "total_p95", "total_p99"),
    "DNS": ("availability", "total_avg", "total_p50", "total_p95", "total_p99"),
    "ICMP": (
        "availability",
        "latencyAvg_avg",
        "latencyAvg_p50",
        "latencyAvg_p95",
        "latencyAvg_p99",
    ),
    "HEARTBEAT": ("availability",),
}


@router.post(
    "/v1/analytics/checks",
    summary="Availability and response times of up to 100 checks",
    responses={
        **errors(400),
        **answer(200, "One item per check", "AnalyticsBatch", list[BatchItem]),
    },
    openapi_extra=request_body("AnalyticsBatchRequest", BatchRequest),
)
async def batch(
    request: Request,
    account: CurrentAccount,
    runtime: RuntimeDep,
    quickRange: QuickRange = "last24Hours",
) -> JSONResponse:
    try:
        body = BatchRequest.model_validate(await json_body(request))
    except ValidationError as exc:
        raise bad_request(exc) from None
    wanted = set(body.checkIds)
    start, end = window(quickRange, utcnow())
    async with runtime.db.read() as conn:
        checks = [
            row for row in await checks_repository.list_all(conn, account.id) if row.id in wanted
        ]
        runs = await repository.runs_of(conn, account.id, [c.id for c in checks], start, end)
    items = []
    for check in checks:
        # Every type's run time is its response time here, as `checkly checks stats` shows it.
        items.append(
            {
                "checkId": check.id,
                "checkType": check.check_type,
                **figures(runs.get(check.id, []), BATCH_METRICS),
            }
        )
    return JSONResponse(items)


def _metrics(request: Request, check_type: str) -> list[str]:
    # Comma-separated (Checkly's CLI) or repeated (`metrics=a&metrics=b`).
    sent = [m for value in request.query_params.getlist("metrics") for m in value.split(",") if m]
    return sent or list(DEFAULT_METRICS.get(check_type, ("availability",)))


def _unit(metric: str) -> dict[str, Any]:
    if metric == "availability":
        return {"unit": "percentage", "label": "Availability"}
    family, _, aggregation = metric.partition("_")
    label = {"responseTime": "Response time", "latencyAvg": "Average latency"}.get(
        family, "Total time"
    )
    return {"unit": "milliseconds", "label": label, "aggregation": aggregation}


def _bound(value: float | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value, UTC)


async def one_check(
    check_type_path: str,
    check_id: str,
    request: Request,
    account: CurrentAccount,
    runtime: RuntimeDep,
    quickRange: QuickRange = "last24Hours",
    from_: float | None = None,
    to: float | None = None,
    groupBy: str | None = None,
    limit: int = 10,
    page: int = 1,
) -> JSONResponse:
    check_type = TYPE_PATHS[check_type_path]
    start, end = window(quickRange, utcnow())
    start = _bound(from_) or start
    end = _bound(to) or end
    async with runtime.db.read() as conn:
        check = await checks_service.get(conn, account.id, check_id)
        if check.check_type != check_type:
            raise NotFound(checks_service.CHECK_NOT_FOUND)
        runs = (await repository.runs_of(conn, account.id, [check_id], start, end)).get(
            check_id, []
        )
    metrics = [
        m
        for m in _metrics(request, check_type)
        if m == "availability" or m.partition("_")[2] in AGGREGATIONS
    ]
    data = figures(runs, metrics)
    return JSONResponse(
        {
            "checkId": check.id,
            "name": check.config["name"],
            "checkType": check.check_type,
            "activated": check.config["activated"],
            "muted": check.config["muted"],
            "frequency": check.config["frequency"],
            "tags": check.config["tags"],
            "from": iso(start),
            "to": iso(end),
            "series": [{"data": [data]}],
            "pagination": {"page": page, "limit": limit},
            "metadata": {m: _unit(m) for m in data},
        }
    )


def _add_route(segment: str) -> None:
    """One literal path per type, as in Checkly's API (`/v1/analytics/api-checks/{id}`)."""

    @router.get(
        f"/v1/analytics/{segment}/{{check_id}}",
        summary=f"Availability and run times of one check ({TYPE_PATHS[segment]})",
        responses={
            **errors(400, 404),
            **answer(200, "The check's figures", "CheckAnalytics", CheckAnalytics),
        },
        name=f"analytics_{segment}",
    )
    async def figures_of(
        check_id: str,
        request: Request,
        account: CurrentAccount,
        runtime: RuntimeDep,
        quickRange: QuickRange = "last24Hours",
        from_: Annotated[float | None, Query(alias="from", ge=0, le=4_102_444_800)] = None,
        to: Annotated[float | None, Query(ge=0, le=4_102_444_800)] = None,
        groupBy: Annotated[str | None, Query(pattern="^(runLocation|statusCode)$")] = None,
        limit: Annotated[int, Query(ge=1, le=100)] = 10,
        page: Annotated[int, Query(ge=1)] = 1,
    ) -> JSONResponse:
        return await one_check(
            segment,
            check_id,
            request,
            account,
            runtime,
            quickRange,
            from_,
            to,
            groupBy,
            limit,
            page,
        )


for _segment in TYPE_PATHS:
    _add_route(_segment)


@router.get(
    "/v1/reporting",
    summary="Success ratio and response times of every check over a window",
    responses={
        **errors(400),
        **answer(200, "One entry per check", "ReportingList", list[ReportEntry]),
    },
)
async def report(
    request: Request,
    account: CurrentAccount,
    runtime: RuntimeDep,
    quickRange: reporting.QuickRange = "last24Hrs",
    from_: Annotated[float | None, Query(alias="from", ge=0, le=4_102_444_800)] = None,
    to: Annotated[float | None, Query(ge=0, le=4_102_444_800)] = None,
    filterByTags: Annotated[list[str], Query()] = [],  # noqa: B006 (FastAPI copies defaults)
    deactivated: bool | None = None,
    granularity: reporting.Granularity | None = None,
    timezone: Annotated[
        str | None, Query(max_length=100, json_schema_extra={"enum": sorted(reporting.ZONES)})
    ] = None,
) -> JSONResponse:
    """`from`/`to` override the quick range's bounds; `filterByTags` keeps checks with any of
    the tags (repeated or `filterByTags[]`); `deactivated` keeps only (de)activated checks."""
    start, end = window("last24Hours" if quickRange == "last24Hrs" else quickRange, utcnow())
    start = _bound(from_) or start
    end = _bound(to) or end
    if start >= end:
        raise BadRequest('"from" must be before "to"', keys=["from"], source="query")
    tz = reporting.zone(timezone)
    tags = {*filterByTags, *request.query_params.getlist("filterByTags[]")}
    async with runtime.db.read() as conn:
        checks = [
            row
            for row in await checks_repository.list_all(conn, account.id)
            if (deactivated is None or row.activated is not deactivated)
            and (not tags or tags & set(row.tags or ()))
        ]
        runs = await repository.runs_of(conn, account.id, [c.id for c in checks], start, end)
    return JSONResponse(
        [
            reporting.entry(check, runs.get(check.id, []), (start, end), granularity, tz)
            for check in checks
        ]
    )
