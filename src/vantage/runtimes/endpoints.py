"""`/v1/runtimes`: what `checkly runtimes`, `test`, `deploy` and the Terraform provider read (see
`catalog.py`); and the error groups `checkly checks get` and `rca` ask for: Vantage groups no
errors yet, so every list is empty and every error group a 404."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from vantage.accounts.auth import CurrentAccount
from vantage.api.common import errors
from vantage.api.openapi import answer
from vantage.checks import service as checks
from vantage.errors import NotFound
from vantage.projects import repository as projects
from vantage.runtime import Runtime, get_runtime
from vantage.runtimes.catalog import RUNTIMES
from vantage.runtimes.responses import (
    ErrorGroup,
    ErrorGroupPatch,
    ErrorGroups,
    TestSessionErrorGroup,
)
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


# The account's error groups, which `checkly checks get --error-group` and `rca` read: none exist,
# so a list is empty and every id is a 404, as for an id of another account.

Limit = Annotated[int, Query(ge=1, le=100)]
Page = Annotated[int, Query(ge=1)]
NO_ERROR_GROUP = "No such error group."


@router.get(
    "/v1/error-groups",
    summary="Error groups of the account (none)",
    responses=answer(200, "No error groups", "ErrorGroupList", ErrorGroups),
)
async def error_groups(account: CurrentAccount, limit: Limit = 10, page: Page = 1) -> JSONResponse:
    return JSONResponse([])


@router.get(
    "/v1/test-session-error-groups",
    summary="Error groups of the account's test sessions (none)",
    responses=answer(200, "No error groups", "ErrorGroupList", ErrorGroups),
)
async def test_session_error_groups(
    account: CurrentAccount, limit: Limit = 10, page: Page = 1
) -> JSONResponse:
    return JSONResponse([])


@router.get(
    "/v1/test-session-error-groups/projects/{project_id}",
    summary="Error groups of one project's test sessions (none)",
    responses={
        **errors(404),
        **answer(200, "No error groups", "TestSessionErrorGroupList", list[TestSessionErrorGroup]),
    },
)
async def project_error_groups(
    project_id: str, account: CurrentAccount, runtime: Annotated[Runtime, Depends(get_runtime)]
) -> JSONResponse:
    """Empty for a project of the account (its id, as a check's `projectBindings` names it);
    any other id is a 404."""
    async with runtime.db.read() as conn:
        found = await projects.by_id(conn, account.id, project_id)
    if found is None:
        raise NotFound("No such project.")
    return JSONResponse([])


def _error_group(kind: str, model: type[BaseModel]) -> dict[int | str, dict[str, Any]]:
    return {**errors(404), **answer(200, "The error group", kind, model)}


@router.get(
    "/v1/error-groups/{group_id}",
    summary="An error group",
    responses=_error_group("ErrorGroup", ErrorGroup),
)
@router.get(
    "/v1/test-session-error-groups/{group_id}",
    summary="A test session's error group",
    responses=_error_group("TestSessionErrorGroup", TestSessionErrorGroup),
)
async def error_group(group_id: str, account: CurrentAccount) -> JSONResponse:
    raise NotFound(NO_ERROR_GROUP)


@router.patch(
    "/v1/error-groups/{group_id}",
    summary="Archive an error group",
    responses=_error_group("ErrorGroup", ErrorGroup),
)
@router.patch(
    "/v1/test-session-error-groups/{group_id}",
    summary="Archive a test session's error group",
    responses=_error_group("TestSessionErrorGroup", TestSessionErrorGroup),
)
async def archive_error_group(
    group_id: str, patch: ErrorGroupPatch, account: CurrentAccount
) -> JSONResponse:
    raise NotFound(NO_ERROR_GROUP)
