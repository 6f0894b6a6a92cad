"""Agent keys: what a `vantage agent` presents to work for one location.

Random, with their own prefix (`vtg_agent_`, distinct from API keys' `vtg_`), stored only as a
SHA-256 hash, like API keys (see vantage.accounts.keys). A key opens the agent API of its location
and nothing else: API-key lookups never read this table.
"""

from __future__ import annotations

import secrets
import time
import uuid
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from vantage.accounts.keys import hash_key
from vantage.db.engine import after_commit
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
    """Revoke a key: the next call with it is refused at once on this process, and within
    `agent_key_cache_seconds` on another replica (`AgentKeyCache`)."""
    result = await conn.execute(
        agent_keys.delete().where(agent_keys.c.location == location, agent_keys.c.id == key_id)
    )
    revoked(conn)
    return bool(result.rowcount)


class _Revocations:
    """How many transactions of this process have revoked agent keys (deleted keys, or the
    locations that hold them, or taken a location from its account). Process-wide rather than per
    cache: the code that revokes holds a connection, not the runtime, and forgetting every cached
    key of the process on a revocation is only a read per key."""

    count = 0


def revoked(conn: AsyncConnection) -> None:
    """Call in the transaction that revokes agent keys: once it has committed, no cached key of
    this process is trusted any more. (A connection that is not `Database.write`'s, such as the
    CLI's, forgets at once: its commit is the caller's.)"""
    hooks = after_commit(conn)
    if hooks is None:
        _Revocations.count += 1
    else:
        hooks.append(_forget_all)


def _forget_all() -> None:
    _Revocations.count += 1


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
    return await _read(conn, hash_key(key))


async def _read(conn: AsyncConnection, key_hash: str) -> LocationRef | None:
    row = (await conn.execute(_LOCATION_FOR_KEY, {"b_hash": key_hash})).first()
    return None if row is None else LocationRef(row.id, row.slug, row.account_id)


@dataclass(frozen=True, slots=True)
class _Known:
    location: LocationRef
    until: float  # on the cache's clock
    revocations: int  # `_Revocations.count` when the read began


class AgentKeyCache:
    """What an agent key opens, remembered for `seconds` after it was read: every agent call
    (each lease, result batch, heartbeat) presents its key, and reading it was a transaction of
    its own, a trip to the database's thread and back per call.

    Revocation: a transaction of this process that revokes keys (`revoked`) makes every key
    cached here read again once it has committed, so the next call with a revoked key is refused
    at once. A key revoked elsewhere (another replica, the CLI) keeps working here for at most
    `seconds`. Only keys that opened a location are kept: an unknown key is read every time."""

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self.clock = clock
        self._known: dict[str, _Known] = {}

    async def location_for_key(
        self, read: Callable[[], AbstractAsyncContextManager[AsyncConnection]], key: str
    ) -> LocationRef | None:
        """As `location_for_key`, from memory while the key is fresh; `read` (`Database.read`)
        opens a connection only when the key must be read."""
        if not key.startswith(AGENT_KEY_PREFIX):
            return None
        key_hash = hash_key(key)
        known = self._known.get(key_hash)
        if (
            known is not None
            and known.revocations == _Revocations.count
            and self.clock() < known.until
        ):
            return known.location
        # Counted before the read: a revocation that commits during it voids what it finds.
        revocations = _Revocations.count
        until = self.clock() + self.seconds
        async with read() as conn:
            location = await _read(conn, key_hash)
        if location is None or self.seconds <= 0:
            self._known.pop(key_hash, None)
        else:
            if revocations != _Revocations.count or len(self._known) >= _MAX_KEYS:
                self._known.clear()
            self._known[key_hash] = _Known(location, until, revocations)
        return location


# Far more keys than any deployment has; past it the cache starts over rather than grow.
_MAX_KEYS = 10_000
