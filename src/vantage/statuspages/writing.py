"""Status pages and their services as the API and a project's deploy write them. A page's `url`
and `customDomain` are its public addresses, so each belongs to one page of any account (a taken
one is a 409); the services a card names must be the account's own (else a 400 naming the card's
service). Every change forgets the cached public pages."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from vantage.errors import BadRequest, Conflict, NotFound
from vantage.statuspages import repository as repo
from vantage.statuspages import viewer_keys
from vantage.statuspages.public_cache import forget_pages
from vantage.statuspages.schemas import ServiceBody, StatusPageBody, parse
from vantage.timeutil import iso, utcnow

NO_SERVICE = "No such status page service."
NO_PAGE = "No such status page."


async def create_service(conn: AsyncConnection, account_id: str, payload: Any) -> str:
    body = parse(ServiceBody, payload)
    service_id = str(uuid.uuid4())
    await repo.insert_service(
        conn,
        {"id": service_id, "account_id": account_id, "name": body.name, "created_at": utcnow()},
    )
    return service_id


async def update_service(
    conn: AsyncConnection, account_id: str, service_id: str, payload: Any
) -> None:
    body = parse(ServiceBody, payload)
    values = {"name": body.name, "updated_at": utcnow()}
    if not await repo.update_service(conn, account_id, service_id, values):
        raise NotFound(NO_SERVICE)
    forget_pages(conn)


async def delete_service(conn: AsyncConnection, account_id: str, service_id: str) -> None:
    if not await repo.delete_service(conn, account_id, service_id):
        raise NotFound(NO_SERVICE)
    forget_pages(conn)


async def create_page(
    conn: AsyncConnection, account_id: str, payload: Any, *, seal: Callable[[str], str]
) -> str:
    body = parse(StatusPageBody, payload)
    page_id = str(uuid.uuid4())
    known = await repo.services_by_id(conn, account_id, _service_ids(body))
    await _claim(conn, body, None)
    try:
        await repo.insert_page(
            conn,
            {
                "id": page_id,
                "account_id": account_id,
                "url": body.url,
                "custom_domain": body.customDomain,
                "config": _config(body, seal),
                "cards": _cards(body, known, []),
                "created_at": utcnow(),
            },
        )
    except sa.exc.IntegrityError:
        raise Conflict("The status page url or custom domain is taken.") from None
    # A reader of its url or domain may have been answered "no such page" a moment ago, and
    # that answer is cached like any other.
    forget_pages(conn)
    return page_id


async def update_page(
    conn: AsyncConnection,
    account_id: str,
    page_id: str,
    payload: Any,
    *,
    seal: Callable[[str], str],
) -> None:
    """The page made what the body says, whole; its cards keep their ids when sent back."""
    body = parse(StatusPageBody, payload)
    row = await repo.page(conn, account_id, page_id)
    if row is None:
        raise NotFound(NO_PAGE)
    known = await repo.services_by_id(conn, account_id, _service_ids(body))
    await _claim(conn, body, page_id)
    try:
        await repo.update_page(
            conn,
            account_id,
            page_id,
            {
                "url": body.url,
                "custom_domain": body.customDomain,
                "config": _config(body, seal, row),
                "cards": _cards(body, known, list(row.cards)),
                "updated_at": utcnow(),
            },
        )
    except sa.exc.IntegrityError:
        raise Conflict("The status page url or custom domain is taken.") from None
    forget_pages(conn)


async def delete_page(conn: AsyncConnection, account_id: str, page_id: str) -> None:
    if not await repo.delete_page(conn, account_id, page_id):
        raise NotFound(NO_PAGE)
    forget_pages(conn)


def _cards(body: StatusPageBody, known: dict[str, Any], before: list[Any]) -> list[Any]:
    now = iso(utcnow())
    old = {card["id"]: card for card in before}
    cards = []
    for i, card in enumerate(body.cards):
        for j, ref in enumerate(card.services):
            if ref.id not in known:
                key = f"cards[{i}].services[{j}].id"
                raise BadRequest(f'"{key}" names no service of this account', keys=[key])
        kept = old.get(card.id) if isinstance(card.id, str) else None
        cards.append(
            {
                "id": kept["id"] if kept else str(uuid.uuid4()),
                "name": card.name,
                "services": list(dict.fromkeys(ref.id for ref in card.services)),
                "created_at": kept["created_at"] if kept else now,
                "updated_at": now if kept else None,
            }
        )
    return cards


def _config(body: StatusPageBody, seal: Callable[[str], str], held: Any = None) -> dict[str, Any]:
    config = _fields(body)
    # The viewer key is the server's to make, kept while the page stays private.
    config["viewerKeys"] = viewer_keys.kept(
        held.config.get("viewerKeys") if held is not None else None,
        body.isPrivate,
        utcnow(),
        seal,
    )
    return config


def _fields(body: StatusPageBody) -> dict[str, Any]:
    return body.model_dump(
        mode="json",
        include={
            "name",
            "description",
            "themeColors",
            "logo",
            "logoDark",
            "redirectTo",
            "favicon",
            "defaultTheme",
            "version",
            "isPrivate",
        },
    )


def _service_ids(body: StatusPageBody) -> set[str]:
    return {ref.id for card in body.cards for ref in card.services}


async def _claim(conn: Any, body: StatusPageBody, except_id: str | None) -> None:
    clash = await repo.taken(conn, body.url, body.customDomain, except_id)
    if clash == "url":
        raise Conflict(f"The status page url {body.url!r} is taken.")
    if clash:
        raise Conflict(f"The custom domain {body.customDomain!r} is taken.")
