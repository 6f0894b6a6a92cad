"""The authenticated account of a request: `Authorization: Bearer <key>` plus
`X-Checkly-Account: <accountId>`, as Checkly's clients send them."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from vantage.accounts.service import Account, account_for_key
from vantage.errors import Unauthorized
from vantage.runtime import Runtime, get_runtime


async def _authenticated_account(
    request: Request, runtime: Annotated[Runtime, Depends(get_runtime)]
) -> Account:
    header = request.headers.get("authorization", "")
    scheme, _, key = header.partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        raise Unauthorized("Missing authentication: send Authorization: Bearer <api key>.")
    account_id = request.headers.get("x-checkly-account", "").strip()
    if not account_id:
        raise Unauthorized("Missing X-Checkly-Account header with your account id.")
    async with runtime.db.read() as conn:
        account = await account_for_key(conn, key.strip())
    # One message for an unknown key and for a key of another account: neither says which exists.
    if account is None or account.id != account_id:
        raise Unauthorized("Bad Token")
    return account


CurrentAccount = Annotated[Account, Depends(_authenticated_account)]
