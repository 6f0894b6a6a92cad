"""Checkly's alerting API: `/v1/alert-channels` and their subscriptions, the notification log
`/v1/alert-notifications`, the alert events `/v1/check-alerts`, and `/v1/maintenance-windows`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.responses import JSONResponse

from vantage.accounts.auth import CurrentAccount
from vantage.alerting import events, log, maintenances, service, windows
from vantage.alerting.maintenances import MaintenanceEdit, UpdateCreate, UpdateEdit
from vantage.alerting.responses import (
    AlertChannelAnswer,
    AlertNotificationAnswer,
    CheckAlertAnswer,
    MaintenanceAnswer,
    MaintenanceUpdateAnswer,
    MaintenanceWindowAnswer,
    SubscriptionAnswer,
)
from vantage.alerting.schemas import CHANNEL_BODY, SubscriptionCreate
from vantage.alerting.windows import MaintenanceWindow
from vantage.api.common import errors, json_body, page_headers
from vantage.api.openapi import answer, no_content, request_body
from vantage.runtime import Runtime, get_runtime
from vantage.timeutil import utcnow

router = APIRouter(tags=["Alert channels"], responses=errors(401))

RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
ONE_CHANNEL = answer(200, "The alert channel", "AlertChannelAnswer", AlertChannelAnswer)
ONE_WINDOW = answer(
    200, "The maintenance window", "MaintenanceWindowAnswer", MaintenanceWindowAnswer
)
Limit = Annotated[int, Query(ge=1, le=100)]


# `from` / `to`: UNIX seconds (up to the year 5000), as the CLI sends them.
LAST_SECOND = 95_617_584_000
From = Annotated[int | None, Query(alias="from", ge=0, le=LAST_SECOND)]
To = Annotated[int | None, Query(ge=0, le=LAST_SECOND)]


Page = Annotated[int, Query(ge=1, le=1_000_000)]


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
    limit: Limit = 10,
    page: Page = 1,
) -> JSONResponse:
    async with runtime.db.read() as conn:
        items, total = await service.list_page(conn, account.id, limit=limit, page=page)
    return JSONResponse(
        [item.wire() for item in items],
        headers=page_headers(request, page, limit, len(items), total),
    )


@router.post(
    "/v1/alert-channels",
    status_code=201,
    summary="Create an alert channel",
    responses={
        **errors(400),
        **answer(201, "The alert channel created", "AlertChannelAnswer", AlertChannelAnswer),
    },
    openapi_extra=request_body("AlertChannelCreate", CHANNEL_BODY),
)
async def create_channel(
    request: Request, account: CurrentAccount, runtime: RuntimeDep
) -> JSONResponse:
    payload = await json_body(request)
    async with runtime.db.write() as conn:
        channel = await service.create(conn, account.id, payload)
    # On a server that had no channel, this starts the delivery process (on every replica)
    # before the channel's first alert, not at its next look (alerting/delivery_process.py).
    runtime.signals.alerts_raised()
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


@router.get(
    "/v1/alert-notifications",
    tags=["Alert notifications"],
    summary="List the notifications sent (at most 24 hours at a time, newest first)",
    responses={
        **errors(400),
        **answer(
            200, "A page of notifications", "AlertNotificationList", list[AlertNotificationAnswer]
        ),
    },
)
async def list_notifications(
    request: Request,
    account: CurrentAccount,
    runtime: RuntimeDep,
    limit: Limit = 10,
    page: Page = 1,
    from_: From = None,
    to: To = None,
    alertChannelId: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    hasFailures: bool = False,
) -> JSONResponse:
    async with runtime.db.read() as conn:
        items, total = await log.list_page(
            conn,
            account.id,
            raw_from=from_,
            raw_to=to,
            channel_id=alertChannelId,
            failures_only=hasFailures,
            limit=limit,
            page=page,
            now=utcnow(),
        )
    return JSONResponse(items, headers=page_headers(request, page, limit, len(items), total))


@router.get(
    "/v1/maintenance-windows",
    tags=["Maintenance windows"],
    summary="List all maintenance windows",
    responses={
        **errors(400),
        **answer(
            200,
            "A page of maintenance windows",
            "MaintenanceWindowList",
            list[MaintenanceWindowAnswer],
        ),
    },
)
async def list_windows(
    request: Request,
    account: CurrentAccount,
    runtime: RuntimeDep,
    limit: Limit = 10,
    page: Page = 1,
) -> JSONResponse:
    async with runtime.db.read() as conn:
        items, total = await windows.list_page(conn, account.id, limit=limit, page=page)
    return JSONResponse(items, headers=page_headers(request, page, limit, len(items), total))


@router.post(
    "/v1/maintenance-windows",
    tags=["Maintenance windows"],
    status_code=201,
    summary="Create a maintenance window",
    responses={
        **errors(400),
        **answer(201, "The window created", "MaintenanceWindowAnswer", MaintenanceWindowAnswer),
    },
    openapi_extra=request_body("MaintenanceWindowCreate", MaintenanceWindow),
)
async def create_window(
    request: Request, account: CurrentAccount, runtime: RuntimeDep
) -> JSONResponse:
    payload = await json_body(request)
    async with runtime.db.write() as conn:
        created = await windows.create(conn, account.id, payload)
    return JSONResponse(created, status_code=201)


@router.get(
    "/v1/maintenance-windows/{window_id}",
    tags=["Maintenance windows"],
    summary="Retrieve a maintenance window",
    responses={**errors(404), **ONE_WINDOW},
)
async def get_window(window_id: int, account: CurrentAccount, runtime: RuntimeDep) -> JSONResponse:
    async with runtime.db.read() as conn:
        return JSONResponse(await windows.get(conn, account.id, window_id))


@router.put(
    "/v1/maintenance-windows/{window_id}",
    tags=["Maintenance windows"],
    summary="Update a maintenance window",
    responses={**errors(400, 404), **ONE_WINDOW},
    openapi_extra=request_body("MaintenanceWindowCreate"),
)
async def update_window(
    window_id: int, request: Request, account: CurrentAccount, runtime: RuntimeDep
) -> JSONResponse:
    payload = await json_body(request)
    async with runtime.db.write() as conn:
        return JSONResponse(await windows.update(conn, account.id, window_id, payload))


@router.delete(
    "/v1/maintenance-windows/{window_id}",
    tags=["Maintenance windows"],
    status_code=204,
    summary="Delete a maintenance window",
    responses={**errors(404), **no_content("Deleted")},
)
async def delete_window(window_id: int, account: CurrentAccount, runtime: RuntimeDep) -> Response:
    async with runtime.db.write() as conn:
        await windows.delete(conn, account.id, window_id)
    return Response(status_code=204)


MaintenanceLimit = Annotated[int, Query(ge=1, le=50)]

ONE_MAINTENANCE = answer(200, "The maintenance", "MaintenanceAnswer", MaintenanceAnswer)
MAINTENANCE = "/v1/maintenance-windows/{window_id}/maintenances/{maintenance_id}"


@router.get(
    "/v1/maintenance-windows/{window_id}/maintenances",
    tags=["Maintenance windows"],
    summary="List the occurrences of a maintenance window",
    responses={
        **errors(400, 404),
        **answer(200, "A page of maintenances", "MaintenanceList", list[MaintenanceAnswer]),
    },
)
async def list_maintenances(
    window_id: int,
    request: Request,
    account: CurrentAccount,
    runtime: RuntimeDep,
    limit: MaintenanceLimit = 10,
    page: Page = 1,
) -> JSONResponse:
    async with runtime.db.read() as conn:
        items, total = await maintenances.list_page(
            conn, account.id, window_id, utcnow(), limit=limit, page=page
        )
    return JSONResponse(items, headers=page_headers(request, page, limit, len(items), total))


@router.get(
    MAINTENANCE,
    tags=["Maintenance windows"],
    summary="Retrieve an occurrence of a maintenance window",
    responses={**errors(404), **ONE_MAINTENANCE},
)
async def get_maintenance(
    window_id: int, maintenance_id: str, account: CurrentAccount, runtime: RuntimeDep
) -> JSONResponse:
    async with runtime.db.read() as conn:
        return JSONResponse(
            await maintenances.get(conn, account.id, window_id, maintenance_id, utcnow())
        )


@router.delete(
    MAINTENANCE,
    tags=["Maintenance windows"],
    status_code=204,
    summary="Delete one occurrence of a maintenance window (the others stay)",
    responses={**errors(404), **no_content("Deleted")},
)
async def delete_maintenance(
    window_id: int, maintenance_id: str, account: CurrentAccount, runtime: RuntimeDep
) -> Response:
    async with runtime.db.write() as conn:
        await maintenances.delete(conn, account.id, window_id, maintenance_id, utcnow())
    return Response(status_code=204)


@router.patch(
    MAINTENANCE,
    tags=["Maintenance windows"],
    summary="Move one occurrence of a maintenance window (its startsAt and endsAt)",
    responses={**errors(400, 404), **ONE_MAINTENANCE},
    openapi_extra=request_body("MaintenanceEdit", MaintenanceEdit),
)
async def move_maintenance(
    window_id: int,
    maintenance_id: str,
    request: Request,
    account: CurrentAccount,
    runtime: RuntimeDep,
) -> JSONResponse:
    payload = await json_body(request)
    async with runtime.db.write() as conn:
        moved = await maintenances.move(
            conn, account.id, window_id, maintenance_id, payload, utcnow()
        )
    return JSONResponse(moved)


def _one_update(status: int, description: str) -> dict[int | str, Any]:
    return answer(status, description, "MaintenanceUpdateAnswer", MaintenanceUpdateAnswer)


@router.post(
    MAINTENANCE + "/updates",
    tags=["Maintenance windows"],
    status_code=201,
    summary="Post a status update on an occurrence of a maintenance window",
    responses={**errors(400, 404), **_one_update(201, "The update posted")},
    openapi_extra=request_body("MaintenanceUpdateCreate", UpdateCreate),
)
async def create_maintenance_update(
    window_id: int,
    maintenance_id: str,
    request: Request,
    account: CurrentAccount,
    runtime: RuntimeDep,
) -> JSONResponse:
    payload = await json_body(request)
    async with runtime.db.write() as conn:
        update = await maintenances.add_update(
            conn, account.id, window_id, maintenance_id, payload, utcnow()
        )
    return JSONResponse(update, status_code=201)


@router.put(
    MAINTENANCE + "/updates/{update_id}",
    tags=["Maintenance windows"],
    summary="Edit a status update of an occurrence of a maintenance window",
    responses={**errors(400, 404), **_one_update(200, "The update")},
    openapi_extra=request_body("MaintenanceUpdateEdit", UpdateEdit),
)
async def edit_maintenance_update(
    window_id: int,
    maintenance_id: str,
    update_id: str,
    request: Request,
    account: CurrentAccount,
    runtime: RuntimeDep,
) -> JSONResponse:
    payload = await json_body(request)
    async with runtime.db.write() as conn:
        edited = await maintenances.edit_update(
            conn, account.id, window_id, maintenance_id, update_id, payload, utcnow()
        )
    return JSONResponse(edited)


@router.delete(
    MAINTENANCE + "/updates/{update_id}",
    tags=["Maintenance windows"],
    status_code=204,
    summary="Delete a status update of an occurrence of a maintenance window",
    responses={**errors(404), **no_content("Deleted")},
)
async def delete_maintenance_update(
    window_id: int,
    maintenance_id: str,
    update_id: str,
    account: CurrentAccount,
    runtime: RuntimeDep,
) -> Response:
    async with runtime.db.write() as conn:
        await maintenances.delete_update(
            conn, account.id, window_id, maintenance_id, update_id, utcnow()
        )
    return Response(status_code=204)


CHECK_ALERTS = answer(200, "A page of alerts", "CheckAlertList", list[CheckAlertAnswer])


async def _check_alerts(
    request: Request,
    account_id: str,
    runtime: Runtime,
    check_id: str | None,
    limit: int,
    page: int,
    raw_from: int | None,
    raw_to: int | None,
) -> JSONResponse:
    async with runtime.db.read() as conn:
        items, total = await events.list_page(
            conn,
            account_id,
            check_id=check_id,
            raw_from=raw_from,
            raw_to=raw_to,
            limit=limit,
            page=page,
            now=utcnow(),
        )
    return JSONResponse(items, headers=page_headers(request, page, limit, len(items), total))


@router.get(
    "/v1/check-alerts",
    tags=["Check alerts"],
    summary="List the alerts checks raised (at most 6 hours at a time, newest first)",
    responses={**errors(400), **CHECK_ALERTS},
)
async def list_check_alerts(
    request: Request,
    account: CurrentAccount,
    runtime: RuntimeDep,
    limit: Limit = 10,
    page: Page = 1,
    from_: From = None,
    to: To = None,
) -> JSONResponse:
    return await _check_alerts(request, account.id, runtime, None, limit, page, from_, to)


@router.get(
    "/v1/check-alerts/{check_id}",
    tags=["Check alerts"],
    summary="List the alerts one check raised",
    responses={**errors(400, 404), **CHECK_ALERTS},
)
async def list_alerts_of_check(
    check_id: Annotated[str, Path(max_length=36)],
    request: Request,
    account: CurrentAccount,
    runtime: RuntimeDep,
    limit: Limit = 10,
    page: Page = 1,
    from_: From = None,
    to: To = None,
) -> JSONResponse:
    return await _check_alerts(request, account.id, runtime, check_id, limit, page, from_, to)
