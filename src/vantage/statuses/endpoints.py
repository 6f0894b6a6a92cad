"""`/v1/check-statuses`: each check's latest state, read from its status row, never from results."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from vantage.accounts.auth import CurrentAccount
from vantage.api.common import errors
from vantage.api.openapi import answer
from vantage.errors import NotFound
from vantage.probes.certificate import days_left, stored_timestamp
from vantage.runtime import Runtime, get_runtime
from vantage.statuses import repository
from vantage.statuses.responses import CheckStatus
from vantage.timeutil import iso, utcnow, whole_ms

router = APIRouter(tags=["Check statuses"], responses=errors(401))
RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def _wire(row: Any) -> dict[str, Any]:
    return {
        "name": row.name,
        "checkId": row.check_id,
        "hasFailures": row.has_failures,
        "hasErrors": row.has_errors,
        "isDegraded": row.is_degraded,
        "longestRun": whole_ms(row.longest_run),
        "shortestRun": whole_ms(row.shortest_run),
        "lastRunLocation": row.last_run_location,
        "lastCheckRunId": (None if row.last_check_run_id is None else str(row.last_check_run_id)),
        "sslDaysRemaining": ssl_days_remaining(row.certificate),
        "created_at": iso(row.created_at),
        "updated_at": iso(row.updated_at),
    }


def ssl_days_remaining(certificate: Any) -> int | None:
    """Whole days until the certificate the check's latest HTTPS run was served expires (negative
    once it has); None for a check whose runs saw none."""
    try:
        return days_left(stored_timestamp(certificate["notAfter"]), utcnow())
    except (KeyError, TypeError, ValueError):
        return None


@router.get(
    "/v1/check-statuses",
    summary="List the latest status of every check",
    responses=answer(200, "Every check's status", "CheckStatusList", list[CheckStatus]),
)
async def list_statuses(account: CurrentAccount, runtime: RuntimeDep) -> JSONResponse:
    async with runtime.db.read() as conn:
        rows = await repository.list_for_account(conn, account.id)
    return JSONResponse([_wire(row) for row in rows])


@router.get(
    "/v1/check-statuses/{check_id}",
    summary="Retrieve the latest status of one check",
    responses={**errors(404), **answer(200, "The check's status", "CheckStatus", CheckStatus)},
)
async def get_status(check_id: str, account: CurrentAccount, runtime: RuntimeDep) -> JSONResponse:
    async with runtime.db.read() as conn:
        row = await repository.get(conn, account.id, check_id)
    if row is None:
        raise NotFound("No status for this check: it does not exist or has not run yet.")
    return JSONResponse(_wire(row))
