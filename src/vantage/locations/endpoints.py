"""`/v1/locations`: where checks can run."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from vantage.accounts.auth import CurrentAccount
from vantage.api.common import errors
from vantage.locations import service
from vantage.runtime import Runtime, get_runtime

router = APIRouter(tags=["Locations"], responses=errors(401))


@router.get("/v1/locations", summary="List all run locations")
async def list_locations(
    account: CurrentAccount, runtime: Annotated[Runtime, Depends(get_runtime)]
) -> JSONResponse:
    async with runtime.db.read() as conn:
        return JSONResponse(await service.list_all(conn))
