"""SQL for services, status pages, incidents and their updates. Every read and write of an
account's object names the account, so another account's id reads as missing."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from vantage.db.tables import (
    status_page_incident_updates as updates,
)
from vantage.db.tables import (
    status_page_incidents as incidents,
)
from vantage.db.tables import (
    status_page_services as services,
)
from vantage.db.tables import (
    status_pages as pages,
)


async def _rows(conn: AsyncConnection, query: sa.Select[Any]) -> list[Any]:
    return list((await conn.execute(query)).all())


# services


async def services_of(conn: AsyncConnection, account_id: str) -> list[Any]:
    return await _rows(
        conn,
        sa.select(services)
        .where(services.c.account_id == account_id)
        .order_by(services.c.created_at, services.c.id),
    )


async def services_by_id(
    conn: AsyncConnection, account_id: str, ids: Collection[str]
) -> dict[str, Any]:
    if not ids:
        return {}
    rows = await _rows(
        conn,
        sa.select(services).where(
            services.c.account_id == account_id, services.c.id.in_(sorted(ids))
        ),
    )
    return {row.id: row for row in rows}


async def service(conn: AsyncConnection, account_id: str, service_id: str) -> Any:
    found = await services_by_id(conn, account_id, [service_id])
    return found.get(service_id)


async def insert_service(conn: AsyncConnection, values: dict[str, Any]) -> None:
    await conn.execute(services.insert().values(**values))


async def update_service(
    conn: AsyncConnection, account_id: str, service_id: str, values: dict[str, Any]
) -> bool:
    result = await conn.execute(
        services.update()
        .where(services.c.account_id == account_id, services.c.id == service_id)
        .values(**values)
    )
    return bool(result.rowcount)


async def delete_service(conn: AsyncConnection, account_id: str, service_id: str) -> bool:
    result = await conn.execute(
        services.delete().where(services.c.account_id == account_id, services.c.id == service_id)
    )
    return bool(result.rowcount)


# pages


async def pages_of(conn: AsyncConnection, account_id: str) -> list[Any]:
    return await _rows(
        conn,
        sa.select(pages)
        .where(pages.c.account_id == account_id)
        .order_by(pages.c.created_at, pages.c.id),
    )


async def page(conn: AsyncConnection, account_id: str, page_id: str) -> Any:
    return (
        await conn.execute(
            sa.select(pages).where(pages.c.account_id == account_id, pages.c.id == page_id)
        )
    ).first()


async def public_page(
    conn: AsyncConnection, *, url: str | None = None, domain: str | None = None
) -> Any:
    where = pages.c.url == url if url is not None else pages.c.custom_domain == domain
    return (await conn.execute(sa.select(pages).where(where))).first()


async def taken(
    conn: AsyncConnection, url: str, domain: str | None, except_id: str | None
) -> str | None:
    """Which of the page's public addresses another page has: "url", "customDomain" or None."""
    clauses = [pages.c.url == url]
    if domain:
        clauses.append(pages.c.custom_domain == domain)
    query = sa.select(pages.c.url, pages.c.custom_domain).where(sa.or_(*clauses))
    if except_id is not None:
        query = query.where(pages.c.id != except_id)
    for row in (await conn.execute(query)).all():
        return "url" if row.url == url else "customDomain"
    return None


async def insert_page(conn: AsyncConnection, values: dict[str, Any]) -> None:
    await conn.execute(pages.insert().values(**values))


async def update_page(
    conn: AsyncConnection, account_id: str, page_id: str, values: dict[str, Any]
) -> bool:
    result = await conn.execute(
        pages.update()
        .where(pages.c.account_id == account_id, pages.c.id == page_id)
        .values(**values)
    )
    return bool(result.rowcount)


async def delete_page(conn: AsyncConnection, account_id: str, page_id: str) -> bool:
    result = await conn.execute(
        pages.delete().where(pages.c.account_id == account_id, pages.c.id == page_id)
    )
    return bool(result.rowcount)


# incidents


async def incidents_of(
    conn: AsyncConnection, account_id: str, *, since: datetime | None = None
) -> list[Any]:
    query = sa.select(incidents).where(incidents.c.account_id == account_id)
    if since is not None:
        query = query.where(
            sa.or_(incidents.c.resolved_at.is_(None), incidents.c.created_at >= since)
        )
    return await _rows(conn, query.order_by(incidents.c.created_at.desc(), incidents.c.id))


async def incident(conn: AsyncConnection, account_id: str, incident_id: str) -> Any:
    return (
        await conn.execute(
            sa.select(incidents).where(
                incidents.c.account_id == account_id, incidents.c.id == incident_id
            )
        )
    ).first()


async def open_incidents_of_checks(conn: AsyncConnection, check_ids: Collection[str]) -> list[Any]:
    return await _rows(
        conn,
        sa.select(incidents).where(
            incidents.c.check_id.in_(sorted(check_ids)), incidents.c.resolved_at.is_(None)
        ),
    )


async def insert_incident(conn: AsyncConnection, values: dict[str, Any]) -> None:
    await conn.execute(incidents.insert().values(**values))


async def update_incident(conn: AsyncConnection, incident_id: str, values: dict[str, Any]) -> None:
    await conn.execute(incidents.update().where(incidents.c.id == incident_id).values(**values))


async def delete_incident(conn: AsyncConnection, account_id: str, incident_id: str) -> bool:
    result = await conn.execute(
        incidents.delete().where(
            incidents.c.account_id == account_id, incidents.c.id == incident_id
        )
    )
    return bool(result.rowcount)


async def updates_of(conn: AsyncConnection, incident_ids: Sequence[str]) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {i: [] for i in incident_ids}
    if not incident_ids:
        return out
    rows = await _rows(
        conn,
        sa.select(updates)
        .where(updates.c.incident_id.in_(list(incident_ids)))
        .order_by(updates.c.public_at.desc(), updates.c.created_at.desc()),
    )
    for row in rows:
        out[row.incident_id].append(row)
    return out


async def insert_updates(conn: AsyncConnection, rows: list[dict[str, Any]]) -> None:
    if rows:
        await conn.execute(updates.insert(), rows)


async def update_update(
    conn: AsyncConnection, incident_id: str, update_id: str, values: dict[str, Any]
) -> bool:
    result = await conn.execute(
        updates.update()
        .where(updates.c.incident_id == incident_id, updates.c.id == update_id)
        .values(**values)
    )
    return bool(result.rowcount)


async def delete_update(conn: AsyncConnection, incident_id: str, update_id: str) -> bool:
    result = await conn.execute(
        updates.delete().where(updates.c.incident_id == incident_id, updates.c.id == update_id)
    )
    return bool(result.rowcount)
