"""Email subscriptions to a status page: `/v1/status-pages/{id}/subscriptions` (list, bulk create,
delete), and what the public page's form, confirmation link and unsubscribe link do.

Double opt-in: a new address is PENDING and gets one confirmation mail; only VERIFIED addresses
get incident updates. `autoVerify` (the account's own import) skips the confirmation. The token
in the links confirms or removes that one subscription and grants nothing else.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncConnection

from vantage.accounts.auth import CurrentAccount
from vantage.api.common import errors, json_body
from vantage.api.openapi import no_content, request_body
from vantage.db.tables import status_page_subscriptions as subs
from vantage.errors import NotFound
from vantage.runtime import Runtime, get_runtime
from vantage.statuspages import mail
from vantage.statuspages import repository as repo
from vantage.statuspages.endpoints import NO_PAGE, _answer
from vantage.statuspages.schemas import BulkSubscriptions, parse
from vantage.timeutil import iso, utcnow

router = APIRouter(tags=["Status page subscriptions"], responses=errors(401))
RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def _wire(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "type": row.type,
        "address": row.address,
        "status": row.status,
        "created_at": iso(row.created_at),
        "updated_at": iso(row.updated_at),
    }


async def subscribe(
    conn: AsyncConnection, page: Any, address: str, *, verified: bool, now: datetime
) -> bool:
    """Subscribe `address` (lower-cased) to `page`; False when it already is. A pending one gets
    its confirmation mail."""
    address = address.strip().lower()
    exists = (
        await conn.execute(
            sa.select(subs.c.id).where(subs.c.status_page_id == page.id, subs.c.address == address)
        )
    ).first()
    if exists is not None:
        return False
    token = secrets.token_urlsafe(32)
    await conn.execute(
        subs.insert().values(
            id=str(uuid.uuid4()),
            status_page_id=page.id,
            account_id=page.account_id,
            type="EMAIL",
            address=address,
            status="VERIFIED" if verified else "PENDING",
            token=token,
            created_at=now,
            updated_at=now,
        )
    )
    if not verified:
        subject, body = mail.confirmation(mail.BASE_URL, page, token)
        await mail.queue(conn, [mail.row(page.account_id, address, subject, body, now)])
    return True


async def by_token(conn: AsyncConnection, page_id: str, token: str) -> Any:
    return (
        await conn.execute(
            sa.select(subs).where(subs.c.status_page_id == page_id, subs.c.token == token)
        )
    ).first()


async def confirm(conn: AsyncConnection, page_id: str, token: str) -> bool:
    result = await conn.execute(
        subs.update()
        .where(subs.c.status_page_id == page_id, subs.c.token == token)
        .values(status="VERIFIED", updated_at=utcnow())
    )
    return bool(result.rowcount)


async def unsubscribe(conn: AsyncConnection, page_id: str, token: str) -> bool:
    result = await conn.execute(
        subs.delete().where(subs.c.status_page_id == page_id, subs.c.token == token)
    )
    return bool(result.rowcount)


async def _page(conn: AsyncConnection, account_id: str, page_id: str) -> Any:
    page = await repo.page(conn, account_id, page_id)
    if page is None:
        raise NotFound(NO_PAGE)
    return page


@router.get(
    "/v1/status-pages/{status_page_id}/subscriptions",
    summary="List a status page's subscriptions",
    responses={**errors(404), **_answer("SubscriptionsList", "The subscriptions", array=True)},
)
async def list_subscriptions(
    status_page_id: str, account: CurrentAccount, runtime: RuntimeDep
) -> JSONResponse:
    async with runtime.db.read() as conn:
        await _page(conn, account.id, status_page_id)
        rows = (
            await conn.execute(
                sa.select(subs)
                .where(subs.c.status_page_id == status_page_id)
                .order_by(subs.c.created_at, subs.c.id)
            )
        ).all()
    return JSONResponse([_wire(r) for r in rows])


@router.post(
    "/v1/status-pages/{status_page_id}/subscriptions/bulk",
    status_code=201,
    summary="Subscribe several addresses to a status page",
    responses={**errors(400, 404), **_answer("BulkCreateSubscriptionsResponse", "Counts", 201)},
    openapi_extra=request_body("BulkSubscriptions", BulkSubscriptions),
)
async def bulk_subscribe(
    status_page_id: str, request: Request, account: CurrentAccount, runtime: RuntimeDep
) -> JSONResponse:
    body = parse(BulkSubscriptions, await json_body(request))
    now = utcnow()
    created = skipped = 0
    async with runtime.db.write() as conn:
        page = await _page(conn, account.id, status_page_id)
        for item in body.subscriptions:
            if await subscribe(conn, page, item.config, verified=body.autoVerify, now=now):
                created += 1
            else:
                skipped += 1
    status = "VERIFIED" if body.autoVerify else "PENDING"
    return JSONResponse({"created": created, "skipped": skipped, "status": status}, status_code=201)


@router.delete(
    "/v1/status-pages/{status_page_id}/subscriptions/{subscription_id}",
    status_code=204,
    summary="Delete a subscription",
    responses={**errors(404), **no_content("Deleted")},
)
async def delete_subscription(
    status_page_id: str, subscription_id: str, account: CurrentAccount, runtime: RuntimeDep
) -> Response:
    async with runtime.db.write() as conn:
        await _page(conn, account.id, status_page_id)
        result = await conn.execute(
            subs.delete().where(
                subs.c.status_page_id == status_page_id, subs.c.id == subscription_id
            )
        )
        if not result.rowcount:
            raise NotFound("No such subscription.")
    return Response(status_code=204)
