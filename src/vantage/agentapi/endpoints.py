"""`/agent/v1`: the agent protocol (docs/agent-protocol.md). Every call takes an agent key; an
agent key works for its own location only, and only here."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel

from vantage import storable
from vantage.agentapi import service
from vantage.agentapi.auth import CurrentAgent
from vantage.agentapi.schemas import (
    ExtendAnswer,
    ExtendBody,
    HeartbeatAnswer,
    HeartbeatBody,
    LeaseAnswer,
    LeaseBody,
    ReleaseAnswer,
    ReleaseBody,
    ResultsAnswer,
    ResultsBody,
    parse,
)
from vantage.api.common import errors, json_body
from vantage.api.openapi import answer, request_body
from vantage.runtime import Runtime, get_runtime

router = APIRouter(prefix="/agent/v1", tags=["Agent protocol"], responses=errors(400, 401))

RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def _answer(model: BaseModel, *, exclude_none: bool = False) -> Response:
    """An answer model as JSON (pydantic's encoder: no intermediate dict)."""
    return Response(model.model_dump_json(exclude_none=exclude_none), media_type="application/json")


@router.post(
    "/lease",
    summary="Lease jobs of the key's location, waiting for work if none is due",
    responses=answer(
        200, "The jobs leased (none when the wait ended first)", "LeaseAnswer", LeaseAnswer
    ),
    openapi_extra=request_body("LeaseBody", LeaseBody),
)
async def lease(request: Request, agent: CurrentAgent, runtime: RuntimeDep) -> Response:
    body = parse(LeaseBody, await json_body(request))
    agent.check_location(body.location)
    # The request log is a plain ASGI middleware, so a hang-up reaches is_disconnected().
    grant = await service.lease(runtime, agent.location, body, disconnected=request.is_disconnected)
    return Response(grant.answer_json(), media_type="application/json")


@router.post(
    "/leases/extend",
    summary="Extend leases held for long runs",
    responses=answer(200, "Each lease, extended or lost", "ExtendAnswer", ExtendAnswer),
    openapi_extra=request_body("ExtendBody", ExtendBody),
)
async def extend(request: Request, agent: CurrentAgent, runtime: RuntimeDep) -> Response:
    body = parse(ExtendBody, await json_body(request))
    agent.check_location(body.location)
    return _answer(await service.extend(runtime, agent.location, body))


@router.post(
    "/release",
    summary="Hand leases back (an agent shutting down)",
    responses=answer(200, "The jobs released", "ReleaseAnswer", ReleaseAnswer),
    openapi_extra=request_body("ReleaseBody", ReleaseBody),
)
async def release(request: Request, agent: CurrentAgent, runtime: RuntimeDep) -> Response:
    body = parse(ReleaseBody, await json_body(request))
    agent.check_location(body.location)
    return _answer(await service.release(runtime, agent.location, body))


@router.post(
    "/results",
    summary="Submit a batch of results; a status per item",
    responses=answer(200, "A status per item, in order", "ResultsAnswer", ResultsAnswer),
    openapi_extra=request_body("ResultsBody", ResultsBody),
)
async def results(request: Request, agent: CurrentAgent, runtime: RuntimeDep) -> Response:
    # Unchecked here: a result that cannot be stored is `rejected` alone, item by item.
    body = parse(ResultsBody, await json_body(request, checked=False))
    agent.check_location(body.location)
    clean = storable.raw_is_clean(await request.body())  # read once, kept by Starlette
    answer = await service.submit(runtime, agent.location, body, clean=clean)
    return _answer(answer, exclude_none=True)


@router.post(
    "/heartbeat",
    summary="Report an agent alive (lastSeen, agentCount)",
    responses=answer(200, "The location's liveness", "HeartbeatAnswer", HeartbeatAnswer),
    openapi_extra=request_body("HeartbeatBody", HeartbeatBody),
)
async def heartbeat(request: Request, agent: CurrentAgent, runtime: RuntimeDep) -> Response:
    body = parse(HeartbeatBody, await json_body(request))
    agent.check_location(body.location)
    return _answer(await service.heartbeat(runtime, agent.location, body))
