"""`/next/checkly-storage/upload-code-bundle` (the CLI's `checkly test` and `deploy` with Playwright
files) and `peek-code-bundle` (is a key stored, and what is its checksum)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from vantage.accounts.auth import CurrentAccount
from vantage.api.common import errors, json_body
from vantage.api.openapi import answer, request_body
from vantage.bundles import service
from vantage.bundles.responses import PeekedBundle, PeekRequest, StoredBundle
from vantage.errors import BadRequest
from vantage.runtime import Runtime, get_runtime

router = APIRouter(tags=["Code bundles"], responses=errors(401))
RuntimeDep = Annotated[Runtime, Depends(get_runtime)]

# The largest archive accepted (its own body limit in vantage.app): Playwright projects with
# fixtures run to tens of MB.
MAX_BUNDLE_BYTES = 64 * 1024 * 1024


@router.post(
    "/next/checkly-storage/upload-code-bundle",
    summary="Upload a code bundle",
    responses={
        **errors(400, 413),
        **answer(200, "Where it is stored", "StoredBundle", StoredBundle),
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
            },
        }
    },
)
async def upload_code_bundle(
    request: Request, account: CurrentAccount, runtime: RuntimeDep
) -> JSONResponse:
    data = await request.body()
    async with runtime.db.write() as conn:
        return JSONResponse(await service.store(conn, account.id, data))


@router.post(
    "/next/checkly-storage/peek-code-bundle",
    summary="Look up a code bundle by key",
    responses={**errors(400, 404), **answer(200, "The bundle", "PeekedBundle", PeekedBundle)},
    openapi_extra=request_body("PeekRequest", PeekRequest),
)
async def peek_code_bundle(
    request: Request, account: CurrentAccount, runtime: RuntimeDep
) -> JSONResponse:
    body = await json_body(request)
    if not isinstance(body, dict):
        raise BadRequest('"value" must be of type object', keys=["value"])
    async with runtime.db.read() as conn:
        return JSONResponse(await service.peek(conn, account.id, body.get("key")))
