"""`checkly test` and `checkly trigger`: test-session endpoints, as the Checkly CLI calls them.

- `POST /v1/test-sessions/run` (gzip, chunked): the checks are in the body; 202 with the
  `sequenceIds` (keyed by logicalId) the CLI matches the results' topics against.
- `POST /next/test-sessions/trigger`: the account's deployed checks that `targetTags` /
  `checkId` name; `sequenceIds` keyed by check id.
- `GET /v1/test-sessions/scheduling/{id}/completion`: scheduling is done once `run` answered.
- `GET /v1/test-sessions`, `/{id}`, `/{id}/completion` (408 while running), `/{id}/results/{rid}`,
  `POST /{id}/cancel`, and the CLI's links under `/next/test-sessions/{id}`.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError
from sqlalchemy.ext.asyncio import AsyncConnection

from vantage import storable
from vantage.accounts.auth import CurrentAccount
from vantage.api.common import MAX_DEPTH, MAX_VALUES, errors, parse_json
from vantage.api.encoded import decoded_body
from vantage.api.openapi import answer, no_content, request_body
from vantage.checks.constructs import shared_files
from vantage.db.tables import check_sessions, jobs
from vantage.errors import BadRequest, NotFound, RequestTimeout
from vantage.results.responses import CheckResult
from vantage.results.wire import result_wire
from vantage.runtime import Runtime, get_runtime
from vantage.sessions.starting import announce
from vantage.sessions.withdrawal import cancel_sessions, withdraw_jobs
from vantage.testsessions import payloads, repository, responses, service
from vantage.testsessions.channel import ResultChannel
from vantage.testsessions.wire import (
    cancelled_message,
    link,
    list_entry,
    result_link,
    test_session_wire,
    topic,
)
from vantage.timeutil import iso, utcnow
from vantage.validation import bad_request

router = APIRouter(tags=["Test sessions"], responses=errors(401))
RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
MaxWaitSeconds = Annotated[int, Query(ge=1, le=30)]
STILL_RUNNING = "Test session is still running. Please retry."
NO_RESULT = "No such test session result."
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MAX_CURSOR = 2**53  # microseconds: past the year 2255, and exact in JavaScript


def _checked(model: type[BaseModel], doc: dict[str, Any]) -> None:
    """The body's envelope, as `/openapi.json` documents it; a 400 naming the first bad field.
    Strict: JSON types as documented (`0` is not `false`); the CLI sends nothing looser."""
    try:
        model.model_validate(doc, strict=True)
    except ValidationError as exc:
        raise bad_request(exc) from None


async def _body(request: Request) -> Any:
    """The JSON body, gzip-decoded when the CLI compressed it (`/v1/test-sessions/run`)."""
    raw = await decoded_body(request, limit=payloads.MAX_INFLATED_BYTES)
    if not raw.strip():
        raise BadRequest('"value" must be of type object', keys=["value"])
    doc = parse_json(raw)
    try:
        storable.check(doc, max_depth=MAX_DEPTH, max_values=MAX_VALUES)
    except storable.Unstorable as exc:
        raise BadRequest(exc.message, keys=[exc.path]) from None
    if not isinstance(doc, dict):
        raise BadRequest('"value" must be of type object', keys=["value"])
    return doc


def _flag(body: dict[str, Any], name: str, default: bool) -> bool:
    value = body.get(name, default)
    if not isinstance(value, bool):
        raise BadRequest(f'"{name}" must be a boolean', keys=[name])
    return value


def _name(body: dict[str, Any], default: str) -> str:
    name = body.get("name") or default
    if not isinstance(name, str):
        raise BadRequest('"name" must be a string', keys=["name"])
    return name


async def _start(
    conn: AsyncConnection,
    runtime: Runtime,
    account_id: str,
    body: dict[str, Any],
    runs: list[service.Run],
    **kw: Any,
) -> service.Started:
    """Start `runs` with what every test session's body says: where, and whether to record."""
    return await service.start(
        conn,
        account_id,
        runs,
        location=payloads.run_location(body.get("runLocation")),
        recorded=_flag(body, "shouldRecord", True),
        now=utcnow(),
        settings=runtime.settings,
        **kw,
    )


def _announce(runtime: Runtime, account_id: str, started: service.Started) -> None:
    announce(runtime, started.plans, service.RUN_SOURCE)
    row = started.test_session
    ResultChannel(runtime).runs_started(account_id, row["suite_id"], row["runs"])


@router.post(
    "/v1/test-sessions/run",
    status_code=202,
    summary="Run the checks of a project once (`checkly test`)",
    responses={
        **errors(400, 413),
        **answer(202, "The test session started", "TestSessionStarted", responses.Started),
    },
    openapi_extra=request_body("TestSessionRun", responses.RunBody),
)
async def run(request: Request, account: CurrentAccount, runtime: RuntimeDep) -> JSONResponse:
    body = await _body(request)
    _checked(responses.RunBody, body)
    jobs_ = body.get("checkRunJobs")
    if not isinstance(jobs_, list) or not jobs_:
        raise BadRequest('"checkRunJobs" must be a non-empty array', keys=["checkRunJobs"])
    suite = payloads.suite_of(jobs_)
    files = shared_files(body.get("sharedFiles"))
    runs = service.runs_of([payloads.ad_hoc_check(job, i, files) for i, job in enumerate(jobs_)])
    async with runtime.db.write() as conn:
        started = await _start(
            conn,
            runtime,
            account.id,
            body,
            runs,
            kind="TEST",
            name=_name(body, "Test Session"),
            suite_id=suite,
            variables=[],
            stream_logs=_flag(body, "streamLogs", False),
        )
    _announce(runtime, account.id, started)
    row = started.test_session
    return JSONResponse(
        {
            "testSessionId": row["id"],
            "schedulingId": row["id"],
            "sequenceIds": {r["key"]: r["sequenceId"] for r in row["runs"]},
            "testResultIds": {r["key"]: r["checkSessionId"] for r in row["runs"]},
        },
        status_code=202,
    )


@router.post(
    "/next/test-sessions/trigger",
    summary="Run deployed checks once as a test session (`checkly trigger`)",
    responses={
        **errors(400, 403),
        **answer(200, "The test session started", "TestSessionTriggered", responses.Triggered),
    },
    openapi_extra=request_body("TestSessionTrigger", responses.TriggerBody),
)
async def trigger(request: Request, account: CurrentAccount, runtime: RuntimeDep) -> JSONResponse:
    body = await _body(request)
    _checked(responses.TriggerBody, body)
    suite = body.get("checkRunSuiteId")
    if not isinstance(suite, str) or not suite:
        raise BadRequest('"checkRunSuiteId" is required', keys=["checkRunSuiteId"])
    tags = body.get("targetTags") or []
    if not isinstance(tags, list) or not all(
        isinstance(c, list) and all(isinstance(t, str) for t in c) for c in tags
    ):
        raise BadRequest('"targetTags" must be an array of arrays of tags', keys=["targetTags"])
    check_ids = body.get("checkId")
    if check_ids is not None and (
        not isinstance(check_ids, list) or not all(isinstance(i, str) for i in check_ids)
    ):
        raise BadRequest('"checkId" must be an array of check ids', keys=["checkId"])
    retry = payloads.retry_strategy(body.get("testRetryStrategy"), ["testRetryStrategy"])
    variables = payloads.variables(body.get("environmentVariables"), ["environmentVariables"])
    async with runtime.db.write() as conn:
        runs = await service.deployed_runs(
            conn, account.id, check_ids=check_ids, target_tags=tags, retry=retry
        )
        started = await _start(
            conn,
            runtime,
            account.id,
            body,
            runs,
            kind="TRIGGER",
            name=_name(body, "Triggered Session"),
            suite_id=suite[:100],
            variables=variables,
        )
    _announce(runtime, account.id, started)
    row = started.test_session
    return JSONResponse(
        {
            "checks": [
                {"id": r["checkId"], "name": r["name"], "checkType": r["checkType"]}
                for r in row["runs"]
            ],
            "testSessionId": row["id"],
            "sequenceIds": {r["key"]: r["sequenceId"] for r in row["runs"]},
            "testResultIds": {r["key"]: r["checkSessionId"] for r in row["runs"]},
        }
    )


@router.post(
    "/v1/test-sessions/trigger",
    status_code=201,
    summary="Run deployed checks once as a test session (Checkly's public trigger)",
    responses={
        **errors(400, 403),
        **answer(201, "The test session started", "TestSession", responses.TestSession),
    },
    openapi_extra=request_body("PublicTestSessionTrigger", responses.PublicTriggerBody),
)
async def public_trigger(
    request: Request, account: CurrentAccount, runtime: RuntimeDep
) -> JSONResponse:
    """The checks `target` names (all activated ones when it names none) start at once; the
    answer is the session as `GET /v1/test-sessions/{id}` gives it, followed by `/completion`."""
    body = await _body(request)
    _checked(responses.PublicTriggerBody, body)
    target = body.get("target") or {}
    retry = payloads.retry_strategy(body.get("retryStrategy"), ["retryStrategy"])
    variables = [
        {"key": v["key"], "value": v.get("value"), "secret": bool(v.get("secret"))}
        for v in body.get("environmentVariables") or []
    ]
    async with runtime.db.write() as conn:
        runs = await service.deployed_runs(
            conn,
            account.id,
            check_ids=target.get("checkId"),
            target_tags=target.get("matchTags") or [],
            retry=retry,
            with_deactivated=bool(target.get("allowDeactivated")),
        )
        location = await service.named_location(conn, body["runLocation"])
        started = await service.start(
            conn,
            account.id,
            runs,
            location=location,
            recorded=True,
            now=utcnow(),
            settings=runtime.settings,
            kind="TRIGGER",
            name=body["name"],
            suite_id=str(uuid.uuid4()),
            variables=variables,
        )
    _announce(runtime, account.id, started)
    answer_ = await _read(runtime, account.id, started.test_session["id"])
    answer_.pop("_row")
    return JSONResponse(answer_, status_code=201)


@router.get(
    "/v1/test-sessions/scheduling/{scheduling_id}/completion",
    summary="Wait until a test session's checks are scheduled (at once on Vantage)",
    responses={
        **errors(404),
        **answer(200, "Scheduled", "TestSessionScheduling", responses.Scheduling),
    },
)
async def scheduling(
    scheduling_id: str, account: CurrentAccount, runtime: RuntimeDep
) -> JSONResponse:
    async with runtime.db.read() as conn:
        row = await service.get(conn, account.id, scheduling_id)
    created = iso(row.created_at)
    return JSONResponse(
        {
            "schedulingId": row.id,
            "testSessionId": row.id,
            "status": "SUCCEEDED",
            "checksTotal": len(row.runs),
            "error": None,
            "createdAt": created,
            "startedAt": created,
            "endedAt": created,
        }
    )


async def _read(runtime: Runtime, account_id: str, test_session_id: str) -> dict[str, Any]:
    async with runtime.db.read() as conn:
        row = await service.get(conn, account_id, test_session_id)
        ids = [r["checkSessionId"] for r in row.runs]
        sessions = await repository.check_sessions_of(conn, ids)
        finals = await repository.finals_of(conn, ids)
    return test_session_wire(row, sessions, finals, base_url=runtime.settings.base_url) | {
        "_row": row
    }


def _cursor(created_at: datetime) -> str:
    return str((created_at - EPOCH) // timedelta(microseconds=1))


@router.get(
    "/v1/test-sessions",
    summary="List recorded test sessions, newest first",
    responses={
        **errors(400),
        **answer(200, "A page of test sessions", "TestSessionPage", responses.TestSessionPage),
    },
)
async def list_sessions(
    account: CurrentAccount,
    runtime: RuntimeDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    # The cursor: the previous page's last creation time, in microseconds since the epoch (any
    # such number is a valid bound).
    nextId: Annotated[int | None, Query(ge=0, le=MAX_CURSOR)] = None,
) -> JSONResponse:
    before = None if nextId is None else EPOCH + timedelta(microseconds=nextId)
    async with runtime.db.read() as conn:
        rows = await repository.page(conn, account.id, limit=limit, before=before)
    entries = []
    for row in rows:
        body = await _read(runtime, account.id, row.id)
        body.pop("_row")
        entries.append(list_entry(body, row))
    next_id = _cursor(rows[-1].created_at) if len(rows) == limit else None
    return JSONResponse({"length": len(entries), "entries": entries, "nextId": next_id})


@router.get(
    "/v1/test-sessions/{test_session_id}",
    summary="Retrieve a test session with its checks' results",
    responses={
        **errors(404),
        **answer(200, "The test session", "TestSession", responses.TestSession),
    },
)
async def get_session(
    test_session_id: str, account: CurrentAccount, runtime: RuntimeDep
) -> JSONResponse:
    body = await _read(runtime, account.id, test_session_id)
    body.pop("_row")
    return JSONResponse(body)


@router.get(
    "/v1/test-sessions/{test_session_id}/completion",
    summary="Wait until a test session has finished",
    responses={
        **errors(400, 404, 408),
        **answer(200, "The test session", "TestSession", responses.TestSession),
    },
)
async def completion(
    test_session_id: str,
    account: CurrentAccount,
    runtime: RuntimeDep,
    maxWaitSeconds: MaxWaitSeconds = 30,
) -> JSONResponse:
    # The operator's limit (VANTAGE_MAX_WAIT_SECONDS) caps the client's, as for check sessions.
    wait = min(maxWaitSeconds, runtime.settings.max_wait_seconds)
    deadline = asyncio.get_running_loop().time() + wait
    while True:
        body = await _read(runtime, account.id, test_session_id)
        body.pop("_row")
        if body["status"] != "RUNNING":
            return JSONResponse(body)
        left = deadline - asyncio.get_running_loop().time()
        if left <= 0:
            raise RequestTimeout(STILL_RUNNING)
        # Each check session wakes its own waiters; a second is the re-read's pace meanwhile.
        await asyncio.sleep(min(1.0, left))


@router.get(
    "/v1/test-sessions/{test_session_id}/results/{result_id}",
    summary="Retrieve the final result of one check of a test session",
    responses={**errors(404), **answer(200, "The result", "CheckResult", CheckResult)},
)
async def get_result(
    test_session_id: str, result_id: str, account: CurrentAccount, runtime: RuntimeDep
) -> JSONResponse:
    async with runtime.db.read() as conn:
        row = await service.get(conn, account.id, test_session_id)
        ids = [r["checkSessionId"] for r in row.runs]
        if result_id not in ids:
            raise NotFound(NO_RESULT)
        final = (await repository.finals_of(conn, [result_id])).get(result_id)
    if final is None:
        raise NotFound(NO_RESULT)
    return JSONResponse(result_wire(final, base_url=runtime.settings.base_url))


@router.get(
    "/next/test-sessions/{test_session_id}/link",
    summary="The link the CLI prints for a test session",
    responses={**errors(404), **answer(200, "The link", "TestSessionLink", responses.Link)},
)
async def session_link(
    test_session_id: str, account: CurrentAccount, runtime: RuntimeDep
) -> JSONResponse:
    async with runtime.db.read() as conn:
        row = await service.get(conn, account.id, test_session_id)
    return JSONResponse({"link": link(runtime.settings.base_url, account.id, row.id)})


@router.get(
    "/next/test-sessions/{test_session_id}/results/{result_id}/links",
    summary="The links the CLI prints for a failed check of a test session",
    responses={
        **errors(404),
        **answer(200, "The links", "TestResultLinks", responses.ResultLinks),
    },
)
async def result_links(
    test_session_id: str, result_id: str, account: CurrentAccount, runtime: RuntimeDep
) -> JSONResponse:
    async with runtime.db.read() as conn:
        row = await service.get(conn, account.id, test_session_id)
        if result_id not in [r["checkSessionId"] for r in row.runs]:
            raise NotFound(NO_RESULT)
        target = await repository.check_session_page(conn, account.id, result_id)
    if target is None:
        raise NotFound(NO_RESULT)
    check_id, final_id = target
    return JSONResponse(
        {
            "testResultLink": result_link(
                runtime.settings.base_url, account.id, check_id, result_id, final_id
            ),
            "testTraceLinks": [],
            "videoLinks": [],
            "screenshotLinks": [],
        }
    )


@router.post(
    "/v1/test-sessions/{test_session_id}/cancel",
    status_code=204,
    summary="Cancel a test session's runs still going (Ctrl-C in the CLI)",
    responses={**errors(404), **no_content("Cancelled (or already ended)")},
)
async def cancel(test_session_id: str, account: CurrentAccount, runtime: RuntimeDep) -> Response:
    """Ctrl-C in the CLI: the runs still going end as CANCELLED, their jobs withdrawn, and each
    gets a cancelled FINAL on the result channel (the CLI keeps waiting for one per check)."""
    now = utcnow()
    async with runtime.db.write() as conn:
        row = await service.get(conn, account.id, test_session_id)
        await withdraw_jobs(conn, jobs.c.test_session_id == row.id)
        ended = await cancel_sessions(conn, check_sessions.c.test_session_id == row.id, now)
        await repository.mark_cancelled(conn, row.id, now)
    runtime.sessions_cancelled(ended)
    channel = ResultChannel(runtime)
    for run in row.runs:
        if run["checkSessionId"] in ended:
            channel.publish(
                topic(account.id, row.suite_id, run, "result"),
                cancelled_message(run, row.run_location, now),
            )
    return Response(status_code=204)
