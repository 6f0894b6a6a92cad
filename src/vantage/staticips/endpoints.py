"""`/v1/static-ips…` and `/v1/static-ipv6s…`: the source addresses of check runs, which Checkly
lists per region for allowlists (Terraform's `checkly_static_ips` reads the `-by-region` ones
through the Go SDK). Vantage's runs leave from the operator's own agents, whose egress addresses
the server does not know, so every list is empty: an allowlist built from them admits nothing,
rather than addresses Vantage never uses."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse, PlainTextResponse

from vantage.accounts.auth import CurrentAccount
from vantage.api.common import errors
from vantage.api.openapi import answer

router = APIRouter(tags=["Static IPs"], responses=errors(401))

BY_REGION = answer(200, "Addresses by region (none)", "StaticIpsByRegion", dict[str, list[str]])
LIST = answer(200, "Addresses (none)", "StaticIpList", list[str])
# A text answer, but the error stays Checkly's JSON body: declared with its media type, since
# FastAPI would file a bare error model under the route's text/plain.
TEXT: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "One address a line (none)",
        "content": {"text/plain": {"schema": {"type": "string"}}},
    },
    401: {
        "description": "Checkly error body",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}},
    },
}


@router.get("/v1/static-ips-by-region", summary="IPv4 sources by region", responses=BY_REGION)
async def ipv4_by_region(account: CurrentAccount) -> JSONResponse:
    return JSONResponse({})


@router.get("/v1/static-ipv6s-by-region", summary="IPv6 sources by region", responses=BY_REGION)
async def ipv6_by_region(account: CurrentAccount) -> JSONResponse:
    return JSONResponse({})


@router.get("/v1/static-ips", summary="IPv4 sources", responses=LIST)
async def ipv4_list(account: CurrentAccount) -> JSONResponse:
    return JSONResponse([])


@router.get("/v1/static-ipv6s", summary="IPv6 sources", responses=LIST)
async def ipv6_list(account: CurrentAccount) -> JSONResponse:
    return JSONResponse([])


@router.get(
    "/v1/static-ips.txt",
    response_class=PlainTextResponse,
    summary="IPv4 sources as text",
    responses=TEXT,
)
async def ipv4_text(account: CurrentAccount) -> PlainTextResponse:
    return PlainTextResponse("")


@router.get(
    "/v1/static-ipv6s.txt",
    response_class=PlainTextResponse,
    summary="IPv6 sources as text",
    responses=TEXT,
)
async def ipv6_text(account: CurrentAccount) -> PlainTextResponse:
    return PlainTextResponse("")
