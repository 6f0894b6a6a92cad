"""`/v1/check-results/{checkId}/{checkResultId}/assets` and
`/v1/test-sessions/{testSessionId}/results/{testSessionResultId}/assets`: Checkly's asset manifest
of a result (what `checkly assets` lists), and each asset's download, all behind the account's
API key. A result of another account, and so its assets, is a 404."""

from __future__ import annotations

import fnmatch
import re
import uuid
from typing import Annotated, Any, get_args

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse, Response
from sqlalchemy.ext.asyncio import AsyncConnection

from vantage.accounts.auth import CurrentAccount
from vantage.api.common import errors
from vantage.api.openapi import answer
from vantage.assets import repository
from vantage.assets.extract import asset_path
from vantage.assets.responses import AssetManifest, AssetType
from vantage.errors import BadRequest, NotFound
from vantage.results import service as results
from vantage.runtime import Runtime, get_runtime
from vantage.testsessions import repository as test_session_results
from vantage.testsessions import service as test_sessions

router = APIRouter(tags=["Check results"], responses=errors(401))
RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
TYPES = get_args(AssetType)
MAX_NAME_PATTERN = 200
# The document names the values, so that a client (and schemathesis) knows them; `_types` refuses
# another one with Checkly's message naming `type`.
TypeFilter = Annotated[
    list[str], Query(json_schema_extra={"items": {"type": "string", "enum": list(TYPES)}})
]
NO_TEST_SESSION_RESULT = "No such test session result."
NO_ASSET = "No such asset."
# The names extract.py gives: nothing else is looked up.
ASSET_NAME = re.compile(r"[a-z]+-[0-9]{1,3}\.[a-z]{2,4}")


def manifest(
    base_url: str,
    result: Any,
    assets: list[Any],
    *,
    types: list[str],
    name: str | None,
    test_session_id: str | None = None,
) -> dict[str, Any]:
    """The manifest of `result`'s assets that match the filters (pure)."""
    pattern = (name or "").strip().lower()
    source: dict[str, Any] = {
        "type": "check-result" if test_session_id is None else "test-session-result",
        "checkId": result.check_id,
        "checkName": result.name,
        "checkType": result.check_type,
        "resultId": result.id,
    }
    if test_session_id is not None:
        source["testSessionId"] = test_session_id
    entries = [
        {
            "type": asset.asset_type,
            "name": asset.name,
            "url": base_url + asset_path(result.check_id, result.id, asset.name),
            "contentType": asset.content_type,
            "source": source,
        }
        for asset in assets
        if (not types or asset.asset_type in types)
        and (not pattern or fnmatch.fnmatchcase(asset.name.lower(), pattern))
    ]
    return {"assets": entries, "truncated": False}


async def _result(conn: AsyncConnection, account_id: str, check_id: str, result_id: str) -> Any:
    """The account's result (also of a `checkly test` run, whose check is not stored); 404
    otherwise, also for ids that are not UUIDs, before any query."""
    try:
        uuid.UUID(check_id)
    except ValueError:
        raise NotFound("No such check result.") from None
    return await results.get_one(conn, account_id, check_id, result_id)


def _types(raw: list[str]) -> list[str]:
    for value in raw:
        if value not in TYPES:
            raise BadRequest(
                f'"type" must be one of [{", ".join(TYPES)}]', keys=["type"], source="query"
            )
    return raw


@router.get(
    "/v1/check-results/{check_id}/{check_result_id}/assets",
    summary="Retrieve a normalized asset manifest for a check result",
    responses={
        **errors(400, 404),
        **answer(200, "The result's assets", "AssetManifest", AssetManifest),
    },
)
async def list_assets(
    check_id: str,
    check_result_id: str,
    account: CurrentAccount,
    runtime: RuntimeDep,
    type: TypeFilter = [],  # noqa: B006 (Checkly's name; FastAPI copies)
    name: Annotated[str | None, Query(max_length=MAX_NAME_PATTERN)] = None,
) -> JSONResponse:
    types = _types(type)
    async with runtime.db.read() as conn:
        result = await _result(conn, account.id, check_id, check_result_id)
        assets = await repository.of_result(conn, account.id, result.id)
    return JSONResponse(manifest(runtime.settings.base_url, result, assets, types=types, name=name))


@router.get(
    "/v1/test-sessions/{test_session_id}/results/{result_id}/assets",
    summary="Retrieve a normalized asset manifest for a test session result",
    responses={
        **errors(400, 404),
        **answer(200, "The result's assets", "AssetManifest", AssetManifest),
    },
)
async def list_test_session_assets(
    test_session_id: str,
    result_id: str,
    account: CurrentAccount,
    runtime: RuntimeDep,
    type: TypeFilter = [],  # noqa: B006 (Checkly's name; FastAPI copies)
    name: Annotated[str | None, Query(max_length=MAX_NAME_PATTERN)] = None,
) -> JSONResponse:
    types = _types(type)
    async with runtime.db.read() as conn:
        session = await test_sessions.get(conn, account.id, test_session_id)
        if result_id not in [run["checkSessionId"] for run in session.runs]:
            raise NotFound(NO_TEST_SESSION_RESULT)
        final = (await test_session_results.finals_of(conn, [result_id])).get(result_id)
        if final is None:
            raise NotFound(NO_TEST_SESSION_RESULT)
        assets = await repository.of_result(conn, account.id, final.id)
    body = manifest(
        runtime.settings.base_url,
        final,
        assets,
        types=types,
        name=name,
        test_session_id=test_session_id,
    )
    return JSONResponse(body)


@router.get(
    "/v1/check-results/{check_id}/{check_result_id}/assets/{name}",
    summary="Download one asset of a check result",
    response_class=Response,
    responses={
        **errors(404),
        200: {
            "description": "The asset's bytes",
            "content": {
                kind: {"schema": {"type": "string", "format": "binary"}}
                for kind in ("image/png", "application/zip", "video/webm")
            },
        },
    },
)
async def download_asset(
    check_id: str, check_result_id: str, name: str, account: CurrentAccount, runtime: RuntimeDep
) -> Response:
    if not ASSET_NAME.fullmatch(name):
        raise NotFound(NO_ASSET)
    async with runtime.db.read() as conn:
        result = await _result(conn, account.id, check_id, check_result_id)
        asset = await repository.one(conn, account.id, result.id, name)
    if asset is None:
        raise NotFound(NO_ASSET)
    return Response(
        content=asset.data,
        media_type=asset.content_type,
        headers={
            "Content-Disposition": f'attachment; filename="{asset.name}"',
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, max-age=3600",
        },
    )
