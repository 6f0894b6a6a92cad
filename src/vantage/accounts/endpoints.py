"""The account lookups Checkly's CLI makes before every command (`/next/accounts/{id}`) and for
`whoami` (`/next/users/me`), and Checkly's `GET /v1/accounts/me`, `/v1/accounts` and
`/v1/accounts/{id}` with the account's alert settings."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from vantage.accounts.auth import CurrentAccount, own_account
from vantage.accounts.responses import AccountAnswer, AccountSettingsAnswer, UserAnswer
from vantage.alerting import account_settings
from vantage.api.common import errors
from vantage.api.openapi import answer
from vantage.runtime import Runtime, get_runtime
from vantage.runtimes.catalog import RUNTIME_ID

router = APIRouter(tags=["Accounts"], responses=errors(401))
RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


@router.get(
    "/next/accounts/{account_id}",
    summary="The account of the API key",
    responses={**errors(404), **answer(200, "The account", "Account", AccountAnswer)},
)
async def get_account(account_id: str, account: CurrentAccount) -> JSONResponse:
    own_account(account_id, account)
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


async def _with_settings(runtime: Runtime, account_id: str, name: str) -> dict[str, Any]:
    async with runtime.db.read() as conn:
        alert_settings = await account_settings.read(conn, account_id)
    return {**_account(account_id, name), "settings": {}, "alertSettings": alert_settings}


@router.get(
    "/v1/accounts/me",
    summary="The account of the API key, with its alert settings",
    responses=answer(200, "The account", "AccountSettings", AccountSettingsAnswer),
)
async def get_my_account(account: CurrentAccount, runtime: RuntimeDep) -> JSONResponse:
    return JSONResponse(await _with_settings(runtime, account.id, account.name))


@router.get(
    "/v1/accounts",
    summary="The accounts of the API key (a key belongs to one account)",
    responses=answer(200, "The accounts", "AccountSettingsList", list[AccountSettingsAnswer]),
)
async def list_accounts(account: CurrentAccount, runtime: RuntimeDep) -> JSONResponse:
    return JSONResponse([await _with_settings(runtime, account.id, account.name)])


@router.get(
    "/v1/accounts/{account_id}",
    summary="An account of the API key, by id",
    responses={
        **errors(404),
        **answer(200, "The account", "AccountSettings", AccountSettingsAnswer),
    },
)
async def get_account_by_id(
    account_id: str, account: CurrentAccount, runtime: RuntimeDep
) -> JSONResponse:
    own_account(account_id, account)
    return JSONResponse(await _with_settings(runtime, account.id, account.name))


@router.get(
    "/next/users/me",
    summary="The user behind the API key",
    responses=answer(200, "The account, standing in for a user", "User", UserAnswer),
)
async def get_me(account: CurrentAccount) -> JSONResponse:
    # Vantage keys belong to accounts, not people: the account stands in for the user.
    return JSONResponse({"id": account.id, "name": account.name, "email": None})
