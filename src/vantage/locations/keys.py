"""Agent keys: what a `vantage agent` presents to work for one location.

Random, with their own prefix (`vtg_agent_`, distinct from API keys' `vtg_`), stored only as a
SHA-256 hash, like API keys (see vantage.accounts.keys). A key opens the agent API of its location
and nothing else: API-key lookups never read this table.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from vantage.accounts.keys import hash_key
from vantage.db.tables import agent_keys, locations
from vantage.locations.ref import LocationRef
from vantage.timeutil import iso, utcnow

AGENT_KEY_PREFIX = "vtg_agent_"


@dataclass(frozen=True, slots=True)
class NewAgentKey:
    id: str
    raw_key: str
    masked_key: str
    created_at: datetime

    def wire(self) -> dict[str, Any]:
        """Checkly's private-location key, with `rawKey`: only in the answer that created it."""
        return {
            "id": self.id,
            "rawKey": self.raw_key,
            "maskedKey": self.masked_key,
            "created_at": iso(self.created_at),
        }


def generate_agent_key() -> str:
    return AGENT_KEY_PREFIX + secrets.token_urlsafe(32)


def mask(key: str) -> str:
    return f"{key[: len(AGENT_KEY_PREFIX) + 4]}{'*' * 8}{key[-4:]}"


async def create_agent_key(conn: AsyncConnection, location: str) -> NewAgentKey:
    raw = generate_agent_key()
    key = NewAgentKey(id=str(uuid.uuid4()), raw_key=raw, masked_key=mask(raw), created_at=utcnow())
    await conn.execute(
        agent_keys.insert().values(
            id=key.id,
            location=location,
            key_hash=hash_key(raw),
            masked_key=key.masked_key,
            created_at=key.created_at,
        )
    )
    return key


async def keys_of(conn: AsyncConnection, slugs: list[str]) -> dict[str, list[dict[str, Any]]]:
    """The keys of each location, as Checkly lists them (masked, never the raw key)."""
    out: dict[str, list[dict[str, Any]]] = {slug: [] for slug in slugs}
    if not slugs:
        return out
    rows = (
        await conn.execute(
            sa.select(agent_keys)
            .where(agent_keys.c.location.in_(slugs))
            .order_by(agent_keys.c.created_at, agent_keys.c.id)
        )
    ).all()
    for row in rows:
        out[row.location].append(
            {"id": row.id, "maskedKey": row.masked_key, "created_at": iso(row.created_at)}
        )
    return out


async def delete_agent_key(conn: AsyncConnection, location: str, key_id: str) -> bool:
    """Revoke a key: agent authentication reads the table on every call, so the next call with
    it is refused."""
    result = await conn.execute(
        agent_keys.delete().where(agent_keys.c.location == location, agent_keys.c.id == key_id)
    )
    return bool(result.rowcount)


# Built once: every agent call runs it, and building a statement costs more than running it.
_LOCATION_FOR_KEY = (
    sa.select(locations.c.id, locations.c.slug, locations.c.account_id)
    .join(agent_keys, agent_keys.c.location == locations.c.slug)
    .where(agent_keys.c.key_hash == sa.bindparam("b_hash"))
)


async def location_for_key(conn: AsyncConnection, key: str) -> LocationRef | None:
    """The location an agent key works for (its id, slug and owner), or None for anything else
    (an API key included)."""
    if not key.startswith(AGENT_KEY_PREFIX):
        return None
    row = (await conn.execute(_LOCATION_FOR_KEY, {"b_hash": hash_key(key)})).first()
    return None if row is None else LocationRef(row.id, row.slug, row.account_id)
