"""A stand-in for `POST /next/checkly-storage/upload-code-bundle`, which `checkly test` always
calls first (an empty archive for API-only projects). It reads the archive and answers its
content hash as the key, storing nothing: no check that runs here reads a bundle yet.

The code-bundle slice of the project-deploy work replaces this module; with both routers
installed, the first one registered answers.
"""

from __future__ import annotations

import hashlib

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from vantage.accounts.auth import CurrentAccount
from vantage.api.common import errors

router = APIRouter(tags=["Test sessions"], responses=errors(401))


@router.post(
    "/next/checkly-storage/upload-code-bundle",
    summary="Accept a code bundle (not stored yet)",
    include_in_schema=False,  # the code-bundle slice documents it
)
async def upload_code_bundle(request: Request, account: CurrentAccount) -> JSONResponse:
    digest = hashlib.sha256()
    async for chunk in request.stream():
        digest.update(chunk)
    return JSONResponse({"key": f"{account.id}/{digest.hexdigest()}"})
