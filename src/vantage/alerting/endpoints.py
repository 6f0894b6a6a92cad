"""`/v1/alert-channels`: Checkly's alert channels and their subscriptions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse

from vantage.accounts.auth import CurrentAccount
from vantage.alerting import service
from vantage.alerting.responses import AlertChannelAnswer, SubscriptionAnswer
from vantage.alerting.schemas import AlertChannel, SubscriptionCreate
from vantage.api.common import content_range, errors, json_body, page_links
from vantage.api.openapi import answer, no_content, request_body
from vantage.runtime import Runtime, get_runtime

router = APIRouter(tags=["Alert channels"], responses=errors(401))

RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
ONE_CHANNEL = answer(200, "The alert channel", "AlertChannelAnswer", AlertChannelAnswer)


@router.get(
    "/v1/alert-channels",
    summary="List all alert channels",
    responses={
        **errors(400),
        **answer(200, "A page of alert channels", "AlertChannelList", list[AlertChannelAnswer]),
    },
)
async def list_channels(
    request: Request,
    account: CurrentAccount,
    runtime: RuntimeDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
) -> JSONResponse:
    async with runtime.db.read() as conn:
        items, total = await service.list_page(conn, account.id, limit=limit, page=page)
    return JSONResponse(
        [item.wire() for item in items],
        headers={
            "Content-Range": content_range((page - 1) * limit, len(items), total),
            "Link": page_links(request, page, limit, total),
        },
    )


@router.post(
    "/v1/alert-channels",
    status_code=201,
    summary="Create an alert channel",
    responses={
        **errors(400),
        **answer(201, "The alert channel created", "AlertChannelAnswer", AlertChannelAnswer),
    },
    openapi_extra=request_body("AlertChannelCreate", AlertChannel),
)
async def create_channel(
    request: Request, account: CurrentAccount, runtime: RuntimeDep
) -> JSONResponse:
    payload = await json_body(request)
    async with runtime.db.write() as conn:
        channel = await service.create(conn, account.id, payload)
    return JSONResponse(channel.wire(), status_code=201)


@router.get(
    "/v1/alert-channels/{channel_id}",
    summary="Retrieve an alert channel",
    responses={**errors(404), **ONE_CHANNEL},
)
async def get_channel(
    channel_id: int, account: CurrentAccount, runtime: RuntimeDep
) -> JSONResponse:
    async with runtime.db.read() as conn:
        channel = await service.get(conn, account.id, channel_id)
    return JSONResponse(channel.wire())


@router.put(
    "/v1/alert-channels/{channel_id}",
    summary="Update an alert channel",
    responses={**errors(400, 404), **ONE_CHANNEL},
    openapi_extra=request_body("AlertChannelCreate"),
)
async def update_channel(
    channel_id: int, request: Request, account: CurrentAccount, runtime: RuntimeDep
) -> JSONResponse:
    payload = await json_body(request)
    async with runtime.db.write() as conn:
        channel = await service.update(conn, account.id, channel_id, payload)
    return JSONResponse(channel.wire())


@router.delete(
    "/v1/alert-channels/{channel_id}",
    status_code=204,
    summary="Delete an alert channel",
    responses={**errors(404), **no_content("Deleted")},
)
async def delete_channel(channel_id: int, account: CurrentAccount, runtime: RuntimeDep) -> Response:
    async with runtime.db.write() as conn:
        await service.delete(conn, account.id, channel_id)
    return Response(status_code=204)


@router.put(
    "/v1/alert-channels/{channel_id}/subscriptions",
    summary="Subscribe a check or a group to an alert channel",
    responses={
        **errors(400, 404),
        **answer(200, "The subscription", "AlertChannelSubscriptionAnswer", SubscriptionAnswer),
    },
    openapi_extra=request_body("AlertChannelSubscriptionCreate", SubscriptionCreate),
)
async def subscribe(
    channel_id: int, request: Request, account: CurrentAccount, runtime: RuntimeDep
) -> JSONResponse:
    payload = await json_body(request)
    async with runtime.db.write() as conn:
        subscription = await service.subscribe(conn, account.id, channel_id, payload)
    return JSONResponse(subscription)
