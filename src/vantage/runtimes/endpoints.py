"""`/v1/runtimes`: what `checkly runtimes`, `test`, `deploy` and the Terraform provider read (see
`catalog.py`); and the error groups `checkly checks get` asks for alongside a check's results,
always an empty list (Vantage groups no errors yet)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from vantage.accounts.auth import CurrentAccount
from vantage.api.common import errors
from vantage.api.openapi import answer
from vantage.checks import service as checks
from vantage.errors import NotFound
from vantage.runtime import Runtime, get_runtime
from vantage.runtimes.catalog import RUNTIMES
from vantage.runtimes.responses import ErrorGroups
from vantage.runtimes.responses import Runtime as RuntimeAnswer

router = APIRouter(tags=["Runtimes"], responses=errors(401))


@router.get(
    "/v1/runtimes",
    summary="List the supported runtimes",
    responses=answer(200, "The runtimes", "RuntimeList", list[RuntimeAnswer]),
)
async def list_runtimes(account: CurrentAccount) -> JSONResponse:
    return JSONResponse(RUNTIMES)


@router.get(
    "/v1/runtimes/{runtime_id}",
    summary="Retrieve a runtime",
    responses={**errors(404), **answer(200, "The runtime", "Runtime", RuntimeAnswer)},
)
async def get_runtime_by_id(runtime_id: str, account: CurrentAccount) -> JSONResponse:
    for runtime in RUNTIMES:
        if runtime["name"] == runtime_id:
            return JSONResponse(runtime)
    raise NotFound(f"No runtime {runtime_id}.")


@router.get(
    "/v1/error-groups/checks/{check_id}",
    summary="Error groups of a check (Vantage groups no errors yet: always empty)",
    responses={**errors(404), **answer(200, "No error groups", "ErrorGroupList", ErrorGroups)},
)
async def check_error_groups(
    check_id: str, account: CurrentAccount, runtime: Annotated[Runtime, Depends(get_runtime)]
) -> JSONResponse:
    async with runtime.db.read() as conn:
        await checks.get(conn, account.id, check_id)
    return JSONResponse([])
