"""The authenticated account of a request: `Authorization: Bearer <key>`, and optionally
`X-Checkly-Account: <accountId>`, as Checkly's clients send them. Every Vantage key belongs to one
account, so (as Checkly does for account keys, and Terraform's optional `account_id` relies on) the
header may be left out; when sent, it must name the key's account."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader, HTTPBearer

from vantage.accounts.keys import hash_key
from vantage.accounts.service import Account, account_for_key
from vantage.errors import NotFound, Unauthorized
from vantage.runtime import Runtime, get_runtime

# Declared as security schemes, so `/openapi.json` says what every public operation needs. They
# read nothing themselves (`auto_error=False`): the dependency below answers in Checkly's shape.
API_KEY = HTTPBearer(
    scheme_name="Bearer",
    description="An API key of the account (`vantage accounts create`, `vantage api-keys`).",
    auto_error=False,
)
ACCOUNT_HEADER = APIKeyHeader(
    name="X-Checkly-Account",
    scheme_name="AccountId",
    description=(
        "The id of the account the API key belongs to, as Checkly's clients send it; optional."
    ),
    auto_error=False,
)


async def _authenticated_account(
    request: Request,
    runtime: Annotated[Runtime, Depends(get_runtime)],
    _key: Annotated[object, Security(API_KEY)],
    _account: Annotated[object, Security(ACCOUNT_HEADER)],
) -> Account:
    return await authenticate(request, runtime, bearer_key(request))


def bearer_key(request: Request) -> str:
    """The request's API key; Unauthorized without one."""
    header = request.headers.get("authorization", "")
    scheme, _, key = header.partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        raise Unauthorized("Missing authentication: send Authorization: Bearer <api key>.")
    return key.strip()


async def authenticate(request: Request, runtime: Runtime, key: str) -> Account:
    """The account of `key` (the request's `bearer_key`), which the request's
    `X-Checkly-Account`, when sent, must name; the request counted by the rate limiter."""
    account_id = request.headers.get("x-checkly-account", "").strip()
    async with runtime.db.read() as conn:
        account = await account_for_key(conn, key)
    # One message for an unknown key and for a key of another account: neither says which exists.
    if account is None or (account_id and account.id != account_id):
        raise Unauthorized("Bad Token")
    # Counted once the key is known to be good: unknown keys would only fill the counters.
    await runtime.limiter.check(hash_key(key), _route(request))
    # A query value no database can take (vantage.api.common.storable_query), now that the
    # credentials are known good.
    problem = getattr(request.state, "query_problem", None)
    if problem is not None:
        raise problem
    return account


def authenticates(dependant: Any) -> bool:
    """Whether `_authenticated_account` is among a route's dependencies, at any depth."""
    return any(d.call is _authenticated_account or authenticates(d) for d in dependant.dependencies)


def _route(request: Request) -> str:
    """The route as `/openapi.json` names it, `GET /v1/checks/{check_id}`: every id counts alike."""
    route = request.scope.get("route")
    return f"{request.method} {getattr(route, 'path', request.url.path)}"


CurrentAccount = Annotated[Account, Depends(_authenticated_account)]


def own_account(account_id: str, account: Account) -> None:
    """A path's account id must be the key's: any other account, existing or not, is a 404 (a
    key sees its own account only)."""
    if account_id != account.id:
        raise NotFound("No such account.")
