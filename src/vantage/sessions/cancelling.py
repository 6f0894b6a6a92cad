"""`POST /v1/check-sessions/{id}/cancel`: a running session ends as CANCELLED (v1 shows it as
TIMED_OUT) and its remaining jobs, queued, retrying or under way, are withdrawn; results already
stored stay. `sequenceId` (Checkly: cancel some runs only) is accepted; Vantage cancels the whole
session. A session that has already ended is left as it is."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from vantage.accounts.auth import CurrentAccount
from vantage.api.common import errors, json_body
from vantage.api.openapi import no_content, request_body
from vantage.db.tables import check_sessions, jobs
from vantage.runtime import Runtime, get_runtime
from vantage.sessions import service
from vantage.sessions.withdrawal import cancel_sessions, withdraw_jobs
from vantage.timeutil import utcnow
from vantage.validation import bad_request

router = APIRouter(tags=["Check sessions"], responses=errors(401))


class CancelBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sequenceId: Annotated[list[Annotated[str, Field(max_length=100)]], Field(max_length=100)] = []


def _parse(payload: Any) -> CancelBody:
    try:
        return CancelBody.model_validate(payload if payload is not None else {})
    except ValidationError as exc:
        raise bad_request(exc) from None


@router.post(
    "/v1/check-sessions/{check_session_id}/cancel",
    status_code=204,
    summary="Cancel a running check session",
    responses={**errors(400, 404), **no_content("Cancelled (or already ended)")},
    openapi_extra=request_body("CancelSession", CancelBody | None, required=False),
)
async def cancel(
    check_session_id: str,
    request: Request,
    account: CurrentAccount,
    runtime: Annotated[Runtime, Depends(get_runtime)],
) -> Response:
    _parse(await json_body(request, required=False))
    async with runtime.db.write() as conn:
        await service.get(conn, account.id, check_session_id)  # another account's: a 404
        await withdraw_jobs(conn, jobs.c.session_id == check_session_id)
        ended = await cancel_sessions(conn, check_sessions.c.id == check_session_id, utcnow())
    runtime.sessions_cancelled(ended)
    return Response(status_code=204)
