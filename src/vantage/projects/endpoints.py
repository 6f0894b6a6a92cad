"""`/v1/projects`: what `checkly deploy` and `checkly destroy` call (docs/checkly-cli.md).

A deploy is applied before its POST answers, so the deployment the CLI then follows is already
finished: its `/events` stream says so in one frame, `/completion` answers at once.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, StreamingResponse

from vantage import storable
from vantage.accounts.auth import CurrentAccount
from vantage.api.common import MAX_DEPTH, errors, parse_json
from vantage.api.encoded import decoded_body
from vantage.api.openapi import answer, request_body
from vantage.errors import BadRequest
from vantage.locations.service import reserved_slugs
from vantage.projects import service
from vantage.projects.responses import DeployBody, Deployment, DeployResult, Project
from vantage.runtime import Runtime, get_runtime

router = APIRouter(tags=["Projects"], responses=errors(401))
RESULT = answer(200, "A dry run's diff, or nothing to follow", "DeployResult", DeployResult)
STARTED = answer(202, "The deployment to follow", "Deployment", Deployment)
ONE_DEPLOYMENT = answer(200, "The deployment", "Deployment", Deployment)
EVENTS: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "`progress` frames, then one `complete` frame with the deployment",
        "content": {
            "text/event-stream": {
                # One event: its name, and its data (JSON text).
                "schema": {
                    "type": "object",
                    "properties": {
                        "event": {"type": "string", "enum": ["progress", "complete", "error"]},
                        "data": {"type": "string"},
                    },
                    "required": ["event", "data"],
                }
            }
        },
    }
}
RuntimeDep = Annotated[Runtime, Depends(get_runtime)]

# A project's whole synthesis arrives in one body: a few hundred values per construct.
MAX_PROJECT_VALUES = 200_000
# How far a deploy body may inflate, as a multiple of the (compressed) body limit.
INFLATION = 16


def _context(runtime: Runtime, account_id: str) -> service.Context:
    settings = runtime.settings
    return service.Context(
        account_id=account_id,
        base_url=settings.base_url,
        reserved=reserved_slugs(settings.default_location),
    )


def _after(runtime: Runtime, outcome: service.Outcome) -> None:
    runtime.sessions_cancelled(outcome.ended_sessions)
    runtime.signals.schedule_changed.set()


@router.post(
    "/v1/projects/deploy",
    summary="Deploy a project (checkly deploy)",
    responses={**errors(400, 409, 413), **RESULT, **STARTED},
    openapi_extra=request_body("DeployBody", DeployBody),
)
async def deploy(
    request: Request,
    account: CurrentAccount,
    runtime: RuntimeDep,
    dryRun: bool = False,
    scheduleOnDeploy: bool = True,
    preserveResources: bool = False,
) -> JSONResponse:
    raw = await decoded_body(request, limit=runtime.settings.max_body_bytes * INFLATION)
    if not raw.strip():
        raise BadRequest('"value" must be of type object', keys=["value"])
    body = parse_json(raw)
    try:
        storable.check(body, max_depth=MAX_DEPTH, max_values=MAX_PROJECT_VALUES)
    except storable.Unstorable as exc:
        raise BadRequest(exc.message, keys=[exc.path]) from None
    outcome = await service.deploy(
        runtime.db,
        _context(runtime, account.id),
        body,
        dry_run=dryRun,
        preserve=preserveResources,
    )
    if dryRun or outcome.deployment is None:
        return JSONResponse(outcome.result())
    _after(runtime, outcome)
    return JSONResponse(outcome.deployment, status_code=202)


@router.delete(
    "/v1/projects/{logical_id}",
    summary="Delete a project and its resources (checkly destroy)",
    responses={**errors(400), **RESULT, **STARTED},
)
async def destroy(
    logical_id: str,
    account: CurrentAccount,
    runtime: RuntimeDep,
    dryRun: bool = False,
    preserveResources: bool = False,
) -> JSONResponse:
    outcome = await service.destroy(
        runtime.db,
        _context(runtime, account.id),
        logical_id,
        dry_run=dryRun,
        preserve=preserveResources,
    )
    if outcome.deployment is None:
        # Nothing to follow: a dry run, or a project this account does not have (already gone).
        return JSONResponse(outcome.result())
    _after(runtime, outcome)
    return JSONResponse(outcome.deployment, status_code=202)


@router.get(
    "/next/projects/{logical_id}",
    summary="Retrieve a project",
    responses={**errors(404), **answer(200, "The project", "Project", Project)},
)
async def get_project(
    logical_id: str, account: CurrentAccount, runtime: RuntimeDep
) -> JSONResponse:
    async with runtime.db.read() as conn:
        return JSONResponse(await service.get_project(conn, account.id, logical_id))


async def _deployment(
    runtime: Runtime, account_id: str, logical_id: str, deployment_id: str
) -> dict[str, Any]:
    async with runtime.db.read() as conn:
        return await service.get_deployment(conn, account_id, logical_id, deployment_id)


@router.get(
    "/v1/projects/{logical_id}/deployments/{deployment_id}",
    summary="Retrieve a deployment",
    responses={**errors(404), **ONE_DEPLOYMENT},
)
async def get_deployment(
    logical_id: str, deployment_id: str, account: CurrentAccount, runtime: RuntimeDep
) -> JSONResponse:
    return JSONResponse(await _deployment(runtime, account.id, logical_id, deployment_id))


@router.get(
    "/v1/projects/{logical_id}/deployments/{deployment_id}/completion",
    summary="Wait for a deployment to finish",
    responses={**errors(404), **ONE_DEPLOYMENT},
)
async def deployment_completion(
    logical_id: str,
    deployment_id: str,
    account: CurrentAccount,
    runtime: RuntimeDep,
    maxWaitSeconds: Annotated[int, Query(ge=0, le=60)] = 30,
) -> JSONResponse:
    return JSONResponse(await _deployment(runtime, account.id, logical_id, deployment_id))


@router.post(
    "/v1/projects/{logical_id}/deployments/{deployment_id}/cancel",
    summary="Cancel a deployment",
    responses={**errors(404), **ONE_DEPLOYMENT},
)
async def cancel_deployment(
    logical_id: str, deployment_id: str, account: CurrentAccount, runtime: RuntimeDep
) -> JSONResponse:
    # Deployments finish before their POST answers: there is never one to cancel.
    return JSONResponse(await _deployment(runtime, account.id, logical_id, deployment_id))


def _frame(event: str, data: Any) -> bytes:
    return f"event: {event}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n".encode()


@router.get(
    "/v1/projects/{logical_id}/deployments/{deployment_id}/events",
    summary="A deployment's progress as Server-Sent Events",
    responses={**errors(404), **EVENTS},
    response_class=StreamingResponse,
)
async def deployment_events(
    logical_id: str, deployment_id: str, account: CurrentAccount, runtime: RuntimeDep
) -> StreamingResponse:
    deployment = await _deployment(runtime, account.id, logical_id, deployment_id)

    async def frames() -> AsyncIterator[bytes]:
        yield _frame("progress", {"progress": deployment["progress"]})
        yield _frame("complete", deployment)

    return StreamingResponse(
        frames(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache"},
    )
