"""The account lookups Checkly's CLI makes before every command (`/next/accounts/{id}`) and for
`whoami` (`/next/users/me`)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from vantage.accounts.auth import CurrentAccount
from vantage.accounts.responses import AccountAnswer, UserAnswer
from vantage.api.common import errors
from vantage.api.openapi import answer
from vantage.errors import NotFound
from vantage.runtimes.catalog import RUNTIME_ID

router = APIRouter(tags=["Accounts"], responses=errors(401))


@router.get(
    "/next/accounts/{account_id}",
    summary="The account of the API key",
    responses={**errors(404), **answer(200, "The account", "Account", AccountAnswer)},
)
async def get_account(account_id: str, account: CurrentAccount) -> JSONResponse:
    if account_id != account.id:
        raise NotFound("No such account.")
    return JSONResponse(
        {
            "id": account.id,
            "name": account.name,
            "runtimeId": RUNTIME_ID,
            "plan": "SELF_HOSTED",
            "planDisplayName": "Vantage (self-hosted)",
            "addons": {},
            "features": [],
        }
    )


@router.get(
    "/next/users/me",
    summary="The user behind the API key",
    responses=answer(200, "The account, standing in for a user", "User", UserAnswer),
)
async def get_me(account: CurrentAccount) -> JSONResponse:
    # Vantage keys belong to accounts, not people: the account stands in for the user.
    return JSONResponse({"id": account.id, "name": account.name, "email": None})
