"""`/v1/projects`: what `checkly deploy` and `checkly destroy` call (docs/checkly-cli.md).

A deploy or destroy is a tracked operation, as at Checkly: its request records a PENDING
deployment and answers 202; a task of this process applies it (vantage.projects.tracking); the CLI
follows it over `/events` (or `/completion`). A second one of the same project meanwhile is a 409
naming the first, which the CLI waits for, or cancels with `--cancel-in-progress-deployment`.
"""

from __future__ import annotations

import asyncio
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
from vantage.errors import BadRequest, RequestTimeout
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
STILL_RUNNING = "The deployment is still in progress. Please retry."
# How often a follower re-reads a deployment another replica applies (this process's own wake
# it at once), and how often `/events` sends a comment so that proxies keep the stream open.
REREAD_SECONDS = 0.5
KEEPALIVE_SECONDS = 15.0


def _context(runtime: Runtime, account_id: str) -> service.Context:
    settings = runtime.settings
    return service.Context(
        account_id=account_id,
        base_url=settings.base_url,
        reserved=reserved_slugs(settings.default_location),
        seal=runtime.sealer.seal,
    )


async def _apply(runtime: Runtime, ctx: service.Context, job: service.Job) -> None:
    outcome = await service.run(runtime.db, ctx, job, runtime.deploys)
    if outcome is not None:
        runtime.sessions_cancelled(outcome.ended_sessions)
        runtime.signals.checks_changed()


def _start(runtime: Runtime, ctx: service.Context, job: service.Job) -> None:
    runtime.deploys.start(job.deployment_id, _apply(runtime, ctx, job))


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
    ctx = _context(runtime, account.id)
    if dryRun:
        outcome = await service.preview_deploy(runtime.db, ctx, body, preserve=preserveResources)
        return JSONResponse(outcome.result())
    deployment, job = await service.accept_deploy(
        runtime.db,
        ctx,
        body,
        preserve=preserveResources,
        schedule_on_deploy=scheduleOnDeploy,
        deployments=runtime.deploys,
    )
    _start(runtime, ctx, job)
    return JSONResponse(deployment, status_code=202)


@router.delete(
    "/v1/projects/{logical_id}",
    summary="Delete a project and its resources (checkly destroy)",
    responses={**errors(400, 409), **RESULT, **STARTED},
)
async def destroy(
    logical_id: str,
    account: CurrentAccount,
    runtime: RuntimeDep,
    dryRun: bool = False,
    preserveResources: bool = False,
) -> JSONResponse:
    ctx = _context(runtime, account.id)
    if dryRun:
        outcome = await service.preview_destroy(
            runtime.db, ctx, logical_id, preserve=preserveResources
        )
        return JSONResponse(outcome.result())
    accepted = await service.accept_destroy(
        runtime.db, ctx, logical_id, preserve=preserveResources, deployments=runtime.deploys
    )
    if accepted is None:
        # A project this account does not have is already gone: nothing to follow.
        return JSONResponse({"project": None, "diff": []})
    deployment, job = accepted
    _start(runtime, ctx, job)
    return JSONResponse(deployment, status_code=202)


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
    return await service.read_deployment(
        runtime.db, account_id, logical_id, deployment_id, runtime.deploys
    )


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
    loop = asyncio.get_running_loop()
    deadline = loop.time() + maxWaitSeconds
    while True:
        deployment = await _deployment(runtime, account.id, logical_id, deployment_id)
        if deployment["endedAt"] is not None:
            return JSONResponse(deployment)
        left = deadline - loop.time()
        if left <= 0:
            raise RequestTimeout(STILL_RUNNING)
        await runtime.deploys.wait(deployment_id, min(REREAD_SECONDS, left))


@router.post(
    "/v1/projects/{logical_id}/deployments/{deployment_id}/cancel",
    summary="Cancel a deployment",
    responses={**errors(404), **ONE_DEPLOYMENT},
)
async def cancel_deployment(
    logical_id: str, deployment_id: str, account: CurrentAccount, runtime: RuntimeDep
) -> JSONResponse:
    return JSONResponse(
        await service.cancel(runtime.db, account.id, logical_id, deployment_id, runtime.deploys)
    )


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
    loop = asyncio.get_running_loop()

    async def frames() -> AsyncIterator[bytes]:
        # The row is re-read each time: a reconnecting CLI (it does, up to 5 times) resumes
        # from the deployment's state, with no cursor.
        current, sent, quiet_since = deployment, -1, loop.time()
        while current["endedAt"] is None:
            if current["progress"] != sent:
                sent = current["progress"]
                quiet_since = loop.time()
                yield _frame("progress", {"progress": sent})
            elif loop.time() - quiet_since >= KEEPALIVE_SECONDS:
                quiet_since = loop.time()
                yield b": keep-alive\n\n"
            await runtime.deploys.wait(deployment_id, REREAD_SECONDS)
            current = await _deployment(runtime, account.id, logical_id, deployment_id)
        yield _frame("progress", {"progress": current["progress"]})
        yield _frame("complete", current)

    return StreamingResponse(
        frames(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache"},
    )
