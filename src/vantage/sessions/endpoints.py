"""`/v1` and `/v2` check-session endpoints: trigger, retrieve, await completion."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Annotated, Any

import structlog
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse

from vantage.accounts.auth import CurrentAccount
from vantage.api.common import errors, json_body
from vantage.api.openapi import answer, request_body
from vantage.config import LOCAL_LOCATION
from vantage.errors import RequestTimeout
from vantage.locations import service as locations
from vantage.runtime import Runtime, get_runtime
from vantage.sessions import repository, service, starting
from vantage.sessions.responses import CheckSessionWithResults, TriggeredSessions
from vantage.sessions.state import is_terminal
from vantage.sessions.wire import session_wire

router = APIRouter(tags=["Check sessions"], responses=errors(401))
log = structlog.get_logger(__name__)

RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
# A session's status once every location has its FINAL result.
FINISHED_WITH_RESULTS = frozenset({"PASSED", "FAILED", "DEGRADED"})
NO_LIVE_AGENT = "ERR_NO_LIVE_AGENT"
STILL_RUNNING = (
    "Check session is still in progress, but maximum per-request wait time was exceeded. "
    "Please retry."
)


class _AsRow:
    """Attribute access over a freshly planned session's values, to share `session_wire`."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.__dict__.update(values)


async def _read(
    runtime: Runtime, account_id: str, session_id: str, version: int
) -> tuple[bool, dict[str, Any]]:
    # One snapshot: read apart, a result could be seen before the status it moved the session to.
    async with runtime.db.snapshot() as conn:
        row = await service.get(conn, account_id, session_id)
        results = list(await repository.results_of(conn, session_id))
        unserved = _unserved(row, results, embedded=runtime.settings.local_agent)
        silent = await locations.silent(conn, unserved) if unserved else {}
    body = session_wire(row, base_url=runtime.settings.base_url, version=version, results=results)
    if silent:
        # Not a bare time-out: the session says which locations had no agent to run it.
        body["locationErrors"] = [
            {
                "runLocation": slug,
                "errorCode": NO_LIVE_AGENT,
                "message": locations.no_live_agent(slug, silent[slug]),
            }
            for slug in unserved
            if slug in silent
        ]
    return is_terminal(row.status), body


def _unserved(row: Any, results: list[Any], *, embedded: bool) -> list[str]:
    """The session's locations still without their FINAL result, unless it ended with them all;
    `local` counts as served while this server runs its embedded agent (which sends no
    heartbeats)."""
    if row.status in FINISHED_WITH_RESULTS:
        return []
    done = {r.run_location for r in results if r.result_type == "FINAL"}
    return [
        slug
        for slug in row.run_locations
        if slug not in done and not (embedded and slug == LOCAL_LOCATION)
    ]


SESSION = answer(200, "The check session", "CheckSessionWithResults", CheckSessionWithResults)
TRIGGERED = {
    **errors(400, 404),
    **answer(201, "The sessions started", "TriggeredSessions", TriggeredSessions),
}
TRIGGER_BODY = request_body("TriggerBodyOrNull", service.TriggerBody | None, required=False)
MaxWaitSeconds = Annotated[int, Query(ge=1, le=30)]

# v1 and v2 differ only in the shape of a session (`session_wire(version=...)`): each version's
# routes are written out so `grep "/v2/check-sessions"` finds them, and share one body each.


@router.post(
    "/v1/check-sessions/trigger",
    status_code=201,
    summary="Trigger a check session for each matching check (v1 (deprecated by Checkly))",
    responses=TRIGGERED,
    openapi_extra=TRIGGER_BODY,
)
async def trigger_v1(
    request: Request, account: CurrentAccount, runtime: RuntimeDep
) -> JSONResponse:
    return await _trigger(request, account.id, runtime, version=1)


@router.get(
    "/v1/check-sessions/{check_session_id}",
    summary="Retrieve a check session with its results so far (v1 (deprecated by Checkly))",
    responses={**errors(404), **SESSION},
)
async def get_session_v1(
    check_session_id: str, account: CurrentAccount, runtime: RuntimeDep
) -> JSONResponse:
    return await _get_session(check_session_id, account.id, runtime, version=1)


@router.get(
    "/v1/check-sessions/{check_session_id}/completion",
    summary="Wait until a check session has finished (v1 (deprecated by Checkly))",
    responses={**errors(400, 404, 408), **SESSION},
)
async def await_completion_v1(
    check_session_id: str,
    account: CurrentAccount,
    runtime: RuntimeDep,
    maxWaitSeconds: MaxWaitSeconds = 30,
) -> JSONResponse:
    return await _await_completion(check_session_id, account.id, runtime, maxWaitSeconds, version=1)


@router.post(
    "/v2/check-sessions/trigger",
    status_code=201,
    summary="Trigger a check session for each matching check (v2)",
    responses=TRIGGERED,
    openapi_extra=TRIGGER_BODY,
)
async def trigger_v2(
    request: Request, account: CurrentAccount, runtime: RuntimeDep
) -> JSONResponse:
    return await _trigger(request, account.id, runtime, version=2)


@router.get(
    "/v2/check-sessions/{check_session_id}",
    summary="Retrieve a check session with its results so far (v2)",
    responses={**errors(404), **SESSION},
)
async def get_session_v2(
    check_session_id: str, account: CurrentAccount, runtime: RuntimeDep
) -> JSONResponse:
    return await _get_session(check_session_id, account.id, runtime, version=2)


@router.get(
    "/v2/check-sessions/{check_session_id}/completion",
    summary="Wait until a check session has finished (v2)",
    responses={**errors(400, 404, 408), **SESSION},
)
async def await_completion_v2(
    check_session_id: str,
    account: CurrentAccount,
    runtime: RuntimeDep,
    maxWaitSeconds: MaxWaitSeconds = 30,
) -> JSONResponse:
    return await _await_completion(check_session_id, account.id, runtime, maxWaitSeconds, version=2)


async def _trigger(
    request: Request, account_id: str, runtime: Runtime, *, version: int
) -> JSONResponse:
    body = service.parse_trigger(await json_body(request, required=False))
    settings = runtime.settings
    async with runtime.db.write() as conn:
        plans = await service.trigger(
            conn, account_id, body, run_source="TRIGGER_API", settings=settings
        )
    starting.announce(runtime, plans, "TRIGGER_API")
    log.info("sessions triggered", account_id=account_id, sessions=len(plans))
    sessions = [
        session_wire(_AsRow(plan.session), base_url=settings.base_url, version=version)
        for plan in plans
    ]
    return JSONResponse({"sessions": sessions}, status_code=201)


async def _get_session(
    session_id: str, account_id: str, runtime: Runtime, *, version: int
) -> JSONResponse:
    _, body = await _read(runtime, account_id, session_id, version)
    return JSONResponse(body)


async def _await_completion(
    session_id: str, account_id: str, runtime: Runtime, max_wait_seconds: int, *, version: int
) -> JSONResponse:
    # Registered before the first read, so an end landing in between still wakes this request.
    with runtime.signals.watch_session(session_id) as finished:
        done, body = await _read(runtime, account_id, session_id, version)
        deadline = asyncio.get_running_loop().time() + min(
            max_wait_seconds, runtime.settings.max_wait_seconds
        )
        while not done:
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                break
            wait = min(left, runtime.recheck_seconds or left)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(wait):
                    await finished.wait()
            # A wake-up is used once; later ones come from the periodic re-read.
            finished.clear()
            done, body = await _read(runtime, account_id, session_id, version)
    if not done:
        raise RequestTimeout(STILL_RUNNING)
    return JSONResponse(body)
