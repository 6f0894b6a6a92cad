"""Checkly's account members API over Vantage's web UI users (`members`): what the CLI's
`checkly members` commands call. A key sees its own account's members only; another account's,
and a user of another account, are 404s."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse

from vantage.accounts.auth import CurrentAccount, own_account
from vantage.api.common import errors, json_body
from vantage.api.openapi import answer, no_content, request_body
from vantage.runtime import Runtime, get_runtime
from vantage.timeutil import utcnow
from vantage.users import members
from vantage.users.members import Filters, MemberUpdate
from vantage.users.responses import AccountMember, AccountMembersList

router = APIRouter(tags=["Accounts"], responses=errors(401))
RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
ME = "/v1/accounts/me/members"
BY_ID = "/v1/accounts/{account_id}/members"

Search = Annotated[str | None, Query(max_length=320)]
Type = Annotated[Literal["member", "invite"] | None, Query()]
RoleFilter = Annotated[
    Literal["OWNER", "ADMIN", "READ_WRITE", "READ_RUN", "READ_ONLY"] | None, Query()
]
Status = Annotated[Literal["ACTIVE", "PENDING", "EXPIRED"] | None, Query()]
Limit = Annotated[int | None, Query(ge=1, le=100)]
NextId = Annotated[str | None, Query(alias="nextId", min_length=1, max_length=500)]


def _filters(
    search: Search = None,
    type: Type = None,
    role: RoleFilter = None,
    status: Status = None,
    limit: Limit = None,
    next_id: NextId = None,
) -> Filters:
    return Filters(search, type, role, status, limit, next_id)


FiltersDep = Annotated[Filters, Depends(_filters)]
LIST = {**errors(400), **answer(200, "The members", "AccountMembersList", AccountMembersList)}
# an account id in the path other than the key's is a 404
LIST_BY_ID = {**errors(404), **LIST}
ONE = {**errors(400, 404), **answer(200, "The member", "AccountMember", AccountMember)}
BODY = request_body("AccountMemberUpdate", MemberUpdate)


async def _list(runtime: Runtime, account_id: str, filters: Filters) -> JSONResponse:
    async with runtime.db.read() as conn:
        page, next_id = await members.list_members(conn, account_id, filters)
    return JSONResponse({"members": page, "length": len(page), "nextId": next_id})


@router.get(ME, summary="List the account's members (its web UI users)", responses=LIST)
async def list_my_members(
    account: CurrentAccount, runtime: RuntimeDep, filters: FiltersDep
) -> JSONResponse:
    return await _list(runtime, account.id, filters)


@router.get(BY_ID, summary="List an account's members (its web UI users)", responses=LIST_BY_ID)
async def list_members(
    account_id: str, account: CurrentAccount, runtime: RuntimeDep, filters: FiltersDep
) -> JSONResponse:
    own_account(account_id, account)
    return await _list(runtime, account.id, filters)


async def _patch(runtime: Runtime, account_id: str, user_id: str, request: Request) -> JSONResponse:
    payload = await json_body(request)
    async with runtime.db.write() as conn:
        member = await members.change_role(conn, account_id, user_id, payload, utcnow())
    return JSONResponse(member)


@router.patch(
    ME + "/{user_id}", summary="Give a member another role", responses=ONE, openapi_extra=BODY
)
async def patch_my_member(
    user_id: str, request: Request, account: CurrentAccount, runtime: RuntimeDep
) -> JSONResponse:
    return await _patch(runtime, account.id, user_id, request)


@router.patch(
    BY_ID + "/{user_id}",
    summary="Give a member of an account another role",
    responses=ONE,
    openapi_extra=BODY,
)
async def patch_member(
    account_id: str, user_id: str, request: Request, account: CurrentAccount, runtime: RuntimeDep
) -> JSONResponse:
    own_account(account_id, account)
    return await _patch(runtime, account.id, user_id, request)


async def _remove(runtime: Runtime, account_id: str, user_id: str) -> Response:
    async with runtime.db.write() as conn:
        await members.remove(conn, account_id, user_id)
    return Response(status_code=204)


@router.delete(
    ME + "/{user_id}",
    status_code=204,
    summary="Remove a member (the user is deleted and logged out)",
    responses={**errors(404), **no_content("Member removed.")},
)
async def remove_my_member(user_id: str, account: CurrentAccount, runtime: RuntimeDep) -> Response:
    return await _remove(runtime, account.id, user_id)


@router.delete(
    BY_ID + "/{user_id}",
    status_code=204,
    summary="Remove a member of an account (the user is deleted and logged out)",
    responses={**errors(404), **no_content("Member removed.")},
)
async def remove_member(
    account_id: str, user_id: str, account: CurrentAccount, runtime: RuntimeDep
) -> Response:
    own_account(account_id, account)
    return await _remove(runtime, account.id, user_id)
