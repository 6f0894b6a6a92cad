"""The account lookups Checkly's CLI makes before every command (`/next/accounts/{id}`) and for
`whoami` (`/next/users/me`), and Checkly's `GET /v1/accounts/me` with the account's alert
settings."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from vantage.accounts.auth import CurrentAccount
from vantage.accounts.responses import AccountAnswer, AccountSettingsAnswer, UserAnswer
from vantage.alerting import account_settings
from vantage.api.common import errors
from vantage.api.openapi import answer
from vantage.errors import NotFound
from vantage.runtime import Runtime, get_runtime
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
    return JSONResponse(_account(account.id, account.name))


def _account(account_id: str, name: str) -> dict[str, Any]:
    return {
        "id": account_id,
        "name": name,
        "runtimeId": RUNTIME_ID,
        "plan": "SELF_HOSTED",
        "planDisplayName": "Vantage (self-hosted)",
        "addons": {},
        "features": [],
    }


@router.get(
    "/v1/accounts/me",
    summary="The account of the API key, with its alert settings",
    responses=answer(200, "The account", "AccountSettings", AccountSettingsAnswer),
)
async def get_my_account(
    account: CurrentAccount, runtime: Annotated[Runtime, Depends(get_runtime)]
) -> JSONResponse:
    async with runtime.db.read() as conn:
        alert_settings = await account_settings.read(conn, account.id)
    return JSONResponse(
        {**_account(account.id, account.name), "settings": {}, "alertSettings": alert_settings}
    )


@router.get(
    "/next/users/me",
    summary="The user behind the API key",
    responses=answer(200, "The account, standing in for a user", "User", UserAnswer),
)
async def get_me(account: CurrentAccount) -> JSONResponse:
    # Vantage keys belong to accounts, not people: the account stands in for the user.
    return JSONResponse({"id": account.id, "name": account.name, "email": None})
