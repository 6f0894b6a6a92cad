"""Run locations: the operator's, each a slug and a name. `local` is the embedded agent's."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from vantage.db.tables import locations
from vantage.timeutil import utcnow


async def ensure(conn: AsyncConnection, slug: str, name: str) -> None:
    exists = await conn.scalar(sa.select(locations.c.slug).where(locations.c.slug == slug))
    if exists is None:
        await conn.execute(locations.insert().values(slug=slug, name=name, created_at=utcnow()))


async def list_all(conn: AsyncConnection) -> list[dict[str, Any]]:
    rows = (await conn.execute(sa.select(locations).order_by(locations.c.slug))).all()
    return [{"region": row.slug, "name": row.name} for row in rows]
