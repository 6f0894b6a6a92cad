"""Checkly's private-location API: an account's own run locations, their agent keys, and how
alive their agents are (`lastSeen`, `agentCount`). Another account's location is a 404.

Slugs are global (they name locations in checks and results), so a slug can be taken; which kind of
taken (the operator's, reserved, another account's) is never told: only the account's own
duplicate is named as such. Deleting a location withdraws its runs and ends their sessions.
"""

from __future__ import annotations

import uuid
from typing import Any, TypeVar

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy.ext.asyncio import AsyncConnection

from vantage.db.tables import check_groups, check_sessions, checks, jobs, locations
from vantage.errors import BadRequest, Conflict, NotFound
from vantage.locations import keys
from vantage.locations.service import (
    SLUG_PATTERN,
    Location,
    _location,
    agent_counts,
    create,
)
from vantage.sessions.withdrawal import cancel_sessions, withdraw_jobs
from vantage.timeutil import iso, utcnow
from vantage.validation import bad_request

NOT_FOUND = "No such private location."
DEFAULT_ICON = "location"
M = TypeVar("M", bound=BaseModel)


class PrivateLocationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    slugName: str = Field(pattern=SLUG_PATTERN)
    icon: str = Field(default=DEFAULT_ICON, max_length=100)


class PrivateLocationUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    # The slug names the location in checks, jobs and results: it cannot change.
    slugName: str | None = None
    icon: str | None = Field(default=None, max_length=100)


# What an answer carries that clients send back: the Go SDK always sends `id`, `created_at` and
# `updated_at`, and a GET edited and PUT back has them all. Checkly ignores them.
READ_ONLY = frozenset(
    {"id", "keys", "lastSeen", "agentCount", "created_at", "updated_at", "createdAt", "updatedAt"}
)


def _parse(model: type[M], payload: Any) -> M:
    if isinstance(payload, dict):
        payload = {k: v for k, v in payload.items() if k not in READ_ONLY}
    try:
        return model.model_validate(payload if payload is not None else {})
    except ValidationError as exc:
        raise bad_request(exc) from None


async def _wire(conn: AsyncConnection, found: list[Location]) -> list[dict[str, Any]]:
    slugs = [loc.slug for loc in found]
    key_lists = await keys.keys_of(conn, slugs)
    counts = await agent_counts(conn, slugs)
    return [
        {
            "id": loc.id,
            "name": loc.name,
            "slugName": loc.slug,
            "icon": loc.icon or DEFAULT_ICON,
            "keys": key_lists[loc.slug],
            "lastSeen": iso(loc.last_seen_at),
            "agentCount": counts.get(loc.slug, 0),
            "created_at": iso(loc.created_at),
            "updated_at": iso(loc.updated_at),
        }
        for loc in found
    ]


async def list_private(conn: AsyncConnection, account_id: str) -> list[dict[str, Any]]:
    rows = (
        await conn.execute(
            sa.select(locations)
            .where(locations.c.account_id == account_id)
            .order_by(locations.c.created_at, locations.c.slug)
        )
    ).all()
    return await _wire(conn, [_location(row) for row in rows])


async def get_location(conn: AsyncConnection, account_id: str, location_id: str) -> Location:
    try:
        uuid.UUID(location_id)
    except ValueError:
        raise NotFound(NOT_FOUND) from None
    row = (
        await conn.execute(
            sa.select(locations).where(
                locations.c.id == location_id, locations.c.account_id == account_id
            )
        )
    ).first()
    if row is None:
        raise NotFound(NOT_FOUND)
    return _location(row)


async def get_private(conn: AsyncConnection, account_id: str, location_id: str) -> dict[str, Any]:
    [wire] = await _wire(conn, [await get_location(conn, account_id, location_id)])
    return wire


def not_available(slug: str) -> str:
    return f"The slug {slug!r} is not available: choose another."


async def _check_available(
    conn: AsyncConnection, account_id: str, slug: str, reserved: frozenset[str]
) -> None:
    """The same answer whatever holds the slug, unless it is the account's own location."""
    owner = (
        await conn.execute(sa.select(locations.c.account_id).where(locations.c.slug == slug))
    ).first()
    if owner is not None and owner.account_id == account_id:
        raise Conflict(f"You already have a private location with the slug {slug!r}.")
    if owner is not None or slug in reserved:
        raise Conflict(not_available(slug))


async def create_private(
    conn: AsyncConnection, account_id: str, payload: Any, *, reserved: frozenset[str]
) -> dict[str, Any]:
    """`reserved`: slugs no account may take (vantage.locations.service.reserved_slugs)."""
    body = _parse(PrivateLocationCreate, payload)
    await _check_available(conn, account_id, body.slugName, reserved)
    try:
        location, key = await create(
            conn, body.slugName, body.name, account_id=account_id, icon=body.icon
        )
    except sa.exc.IntegrityError:
        # Taken by a concurrent request between the check and the insert (PostgreSQL).
        raise Conflict(not_available(body.slugName)) from None
    [wire] = await _wire(conn, [location])
    # The first key is shown in full this once, as Checkly does.
    wire["keys"] = [key.wire()]
    return wire


async def update_private(
    conn: AsyncConnection, account_id: str, location_id: str, payload: Any
) -> dict[str, Any]:
    location = await get_location(conn, account_id, location_id)
    body = _parse(PrivateLocationUpdate, payload)
    if body.slugName is not None and body.slugName != location.slug:
        raise BadRequest(
            '"slugName" cannot be changed: checks and results name the location by it',
            keys=["slugName"],
        )
    await conn.execute(
        locations.update()
        .where(locations.c.id == location.id)
        .values(name=body.name, icon=body.icon or location.icon, updated_at=utcnow())
    )
    return await get_private(conn, account_id, location_id)


async def _users(conn: AsyncConnection, account_id: str, slug: str) -> list[str]:
    """Names of the account's checks and groups that run in the location."""
    found = []
    for table in (checks, check_groups):
        rows = await conn.execute(
            sa.select(table.c.name, table.c.config).where(table.c.account_id == account_id)
        )
        for name, config in rows:
            named = [*(config.get("locations") or []), *(config.get("privateLocations") or [])]
            if slug in named:
                found.append(name)
    return found


async def delete_private(conn: AsyncConnection, account_id: str, location_id: str) -> list[str]:
    """Delete a location no check or group names; its runs still queued, retrying or under way
    (planned before a check stopped naming it) are withdrawn and their sessions end. Returns the
    sessions this ended."""
    location = await get_location(conn, account_id, location_id)
    users = await _users(conn, account_id, location.slug)
    if users:
        shown = ", ".join(repr(name) for name in users[:5])
        more = f" and {len(users) - 5} more" if len(users) > 5 else ""
        raise Conflict(
            f"Private location {location.slug!r} is still used by {len(users)} check(s) or "
            f"group(s) ({shown}{more}): remove it from them first."
        )
    touched = await withdraw_jobs(conn, jobs.c.location_id == location.id)
    ended = await cancel_sessions(conn, check_sessions.c.id.in_(touched), utcnow())
    # Its agent keys and agents go with it (ON DELETE CASCADE).
    await conn.execute(locations.delete().where(locations.c.id == location.id))
    return ended


async def add_key(conn: AsyncConnection, account_id: str, location_id: str) -> dict[str, Any]:
    location = await get_location(conn, account_id, location_id)
    return (await keys.create_agent_key(conn, location.slug)).wire()


async def delete_key(conn: AsyncConnection, account_id: str, location_id: str, key_id: str) -> None:
    location = await get_location(conn, account_id, location_id)
    if not await keys.delete_agent_key(conn, location.slug, key_id):
        raise NotFound("No such key of this private location.")
