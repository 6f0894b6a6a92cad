"""`/agent/v1`: the agent protocol (docs/agent-protocol.md). Every call takes an agent key; an
agent key works for its own location only, and only here."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from vantage.agentapi import service
from vantage.agentapi.auth import CurrentAgent
from vantage.agentapi.schemas import (
    ExtendBody,
    HeartbeatBody,
    LeaseBody,
    ReleaseBody,
    ResultsBody,
    parse,
)
from vantage.api.common import errors, json_body
from vantage.runtime import Runtime, get_runtime

router = APIRouter(prefix="/agent/v1", tags=["Agent protocol"], responses=errors(400, 401))

RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


@router.post("/lease", summary="Lease jobs of the key's location, waiting for work if none is due")
async def lease(request: Request, agent: CurrentAgent, runtime: RuntimeDep) -> JSONResponse:
    body = parse(LeaseBody, await json_body(request))
    agent.check_location(body.location)
    async with _hang_up_watch(request) as disconnected:
        grant = await service.lease(runtime, agent.location, body, disconnected=disconnected)
    return JSONResponse(grant.wire())


@contextlib.asynccontextmanager
async def _hang_up_watch(request: Request) -> AsyncIterator[Callable[[], Awaitable[bool]]]:
    """Whether the agent hung up on its long-poll, so jobs claimed for it go back at once.

    Not `Request.is_disconnected()`: behind a `BaseHTTPMiddleware` (the app's request log) it
    never reports a disconnect, because it polls `receive()` under an already-cancelled scope and
    the middleware's receive wrapper loses the message to that cancellation. Once the body is read,
    the next ASGI message is `http.disconnect`; a task waiting for it sees the hang-up.
    """

    async def next_message() -> str:
        message = await request.receive()
        return str(message.get("type"))

    watcher = asyncio.create_task(next_message())

    async def disconnected() -> bool:
        if not watcher.done() or watcher.cancelled() or watcher.exception() is not None:
            return False
        return watcher.result() == "http.disconnect"

    try:
        yield disconnected
    finally:
        watcher.cancel()
        await asyncio.gather(watcher, return_exceptions=True)


@router.post("/leases/extend", summary="Extend leases held for long runs")
async def extend(request: Request, agent: CurrentAgent, runtime: RuntimeDep) -> JSONResponse:
    body = parse(ExtendBody, await json_body(request))
    agent.check_location(body.location)
    return JSONResponse(await service.extend(runtime, agent.location, body))


@router.post("/release", summary="Hand leases back (an agent shutting down)")
async def release(request: Request, agent: CurrentAgent, runtime: RuntimeDep) -> JSONResponse:
    body = parse(ReleaseBody, await json_body(request))
    agent.check_location(body.location)
    return JSONResponse(await service.release(runtime, agent.location, body))


@router.post("/results", summary="Submit a batch of results; a status per item")
async def results(request: Request, agent: CurrentAgent, runtime: RuntimeDep) -> JSONResponse:
    body = parse(ResultsBody, await json_body(request))
    agent.check_location(body.location)
    return JSONResponse(await service.submit(runtime, agent.location, body))


@router.post("/heartbeat", summary="Report an agent alive (lastSeen, agentCount)")
async def heartbeat(request: Request, agent: CurrentAgent, runtime: RuntimeDep) -> JSONResponse:
    body = parse(HeartbeatBody, await json_body(request))
    agent.check_location(body.location)
    return JSONResponse(await service.heartbeat(runtime, agent.location, body))
