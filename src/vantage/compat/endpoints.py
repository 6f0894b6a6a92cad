"""Lookups Checkly's clients make that Vantage answers without a feature behind them yet.

`checkly checks get` asks for a check's error groups alongside its results and tolerates an empty
list; `checkly runtimes`, `test` and `deploy` read the runtimes. Vantage runs no JavaScript runtime,
so it lists the one it reports on accounts, with no dependencies.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from vantage.accounts.auth import CurrentAccount
from vantage.accounts.endpoints import RUNTIME_ID
from vantage.api.common import errors
from vantage.api.openapi import answer
from vantage.checks import service as checks
from vantage.compat.responses import ErrorGroups
from vantage.compat.responses import Runtime as RuntimeAnswer
from vantage.errors import NotFound
from vantage.runtime import Runtime, get_runtime

router = APIRouter(tags=["Compatibility"], responses=errors(401))

RUNTIMES: list[dict[str, Any]] = [
    {
        "name": RUNTIME_ID,
        "stage": "CURRENT",
        "runtimeEndOfLife": None,
        "default": True,
        "description": "Vantage runs API, URL, TCP and DNS checks; no JavaScript runtime yet.",
        "dependencies": {},
    }
]


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
