"""Run locations: the operator's (offered to every account) and accounts' private ones.

Each has a slug that names it everywhere (checks' `locations`, results), unique across all of them,
and a uuid that Checkly's private-location API addresses it by and jobs are bound to: a slug deleted
and created again is another location. `local` is the embedded agent's. The default location and
`local` are always the operator's (reserved), so no account can take the runs of checks that name
no location. Agents authenticate with keys of one location (see `keys.py`).

Checkly's private-location API (the second half of this module) gives an account its own locations,
their agent keys, and how alive their agents are (`lastSeen`, `agentCount`). Another account's
location is a 404. A slug can be taken; which kind of taken (the operator's, reserved, another
account's) is never told: only the account's own duplicate is named as such. Deleting a location
withdraws its runs and ends their sessions.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

import sqlalchemy as sa
import structlog
from pydantic import BaseModel, ValidationError
from sqlalchemy.ext.asyncio import AsyncConnection

from vantage.config import LOCAL_LOCATION
from vantage.db.dialect import insert_for
from vantage.db.tables import (
    agent_keys,
    agents,
    check_groups,
    check_sessions,
    checks,
    jobs,
    locations,
)
from vantage.errors import BadRequest, Conflict, NotFound
from vantage.locations import keys
from vantage.locations.keys import NewAgentKey, create_agent_key
from vantage.locations.ref import LocationRef
from vantage.locations.schemas import (
    DEFAULT_ICON,
    SLUG_PATTERN,
    PrivateLocationCreate,
    PrivateLocationUpdate,
)
from vantage.sealing import PLAIN, SEALED, Open, Seal, Sealer
from vantage.sessions.withdrawal import cancel_sessions, withdraw_jobs
from vantage.timeutil import iso, utcnow
from vantage.validation import bad_request

_SLUG = re.compile(SLUG_PATTERN)
# An agent counts towards its location's agentCount while its heartbeats are this recent.
AGENT_ALIVE_SECONDS = 60.0
NOT_FOUND = "No such private location."
log = structlog.get_logger(__name__)

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True, slots=True)
class Location:
    id: str
    slug: str
    name: str
    account_id: str | None
    icon: str | None
    created_at: datetime
    updated_at: datetime | None
    last_seen_at: datetime | None
    # The `proxyUrl` as stored: sealed (vantage.sealing), since it may carry a user and password.
    proxy_url: str | None = None

    @property
    def ref(self) -> LocationRef:
        return LocationRef(self.id, self.slug, self.account_id)


def reserved_slugs(default_location: str) -> frozenset[str]:
    """Slugs only the operator may hold: checks that name no location run in the default one."""
    return frozenset({LOCAL_LOCATION, default_location})


def _location(row: Any) -> Location:
    return Location(
        id=row.id,
        slug=row.slug,
        name=row.name,
        account_id=row.account_id,
        icon=row.icon,
        created_at=row.created_at,
        updated_at=row.updated_at,
        last_seen_at=row.last_seen_at,
        proxy_url=row.proxy_url,
    )


def check_slug(slug: str) -> None:
    if not _SLUG.match(slug):
        raise BadRequest(
            f"{slug!r} is not a valid location slug: use 1 to 50 lowercase letters, digits and "
            "dashes, starting and ending with a letter or digit",
            keys=["slugName"],
        )


async def ensure(conn: AsyncConnection, slug: str, name: str) -> None:
    # ON CONFLICT: replicas starting together on one PostgreSQL each ensure the default location.
    await conn.execute(
        insert_for(conn, locations)
        .values(id=str(uuid.uuid4()), slug=slug, name=name, created_at=utcnow())
        .on_conflict_do_nothing(index_elements=["slug"])
    )


async def ensure_reserved(conn: AsyncConnection, slug: str, name: str) -> str | None:
    """Make `slug` an operator location. A private location that holds the slug (created before
    slugs were reserved) is taken back: its agent keys are revoked and its agents forgotten, so
    whoever ran them stops receiving the operator's work. Returns that account's id, else None."""
    owner = (
        await conn.execute(sa.select(locations.c.account_id).where(locations.c.slug == slug))
    ).first()
    if owner is None:
        await ensure(conn, slug, name)
        return None
    if owner.account_id is None:
        return None
    await conn.execute(agent_keys.delete().where(agent_keys.c.location == slug))
    keys.revoked(conn)
    await conn.execute(agents.delete().where(agents.c.location == slug))
    await conn.execute(
        locations.update()
        .where(locations.c.slug == slug)
        .values(account_id=None, name=name, updated_at=utcnow())
    )
    taken_from: str = owner.account_id
    return taken_from


async def create(
    conn: AsyncConnection,
    slug: str,
    name: str,
    *,
    account_id: str | None = None,
    icon: str | None = None,
    proxy_url: str | None = None,
) -> tuple[Location, NewAgentKey]:
    """A new location and its first agent key (whose raw value is returned only here)."""
    check_slug(slug)
    if await conn.scalar(sa.select(locations.c.slug).where(locations.c.slug == slug)):
        raise Conflict(f"A location with the slug {slug!r} already exists.")
    now = utcnow()
    location = Location(
        id=str(uuid.uuid4()),
        slug=slug,
        name=name,
        account_id=account_id,
        icon=icon,
        created_at=now,
        updated_at=None,
        last_seen_at=None,
        proxy_url=proxy_url,
    )
    await conn.execute(
        locations.insert().values(
            id=location.id,
            slug=slug,
            name=name,
            account_id=account_id,
            icon=icon,
            created_at=now,
            proxy_url=proxy_url,
        )
    )
    return location, await create_agent_key(conn, slug)


async def by_slug(conn: AsyncConnection, slug: str) -> Location | None:
    row = (await conn.execute(sa.select(locations).where(locations.c.slug == slug))).first()
    return _location(row) if row else None


async def by_id(conn: AsyncConnection, location_id: str) -> Location | None:
    row = (await conn.execute(sa.select(locations).where(locations.c.id == location_id))).first()
    return _location(row) if row else None


async def refs(conn: AsyncConnection) -> dict[str, LocationRef]:
    """Every location by slug: what planning binds a run's jobs to."""
    rows = await conn.execute(sa.select(locations.c.id, locations.c.slug, locations.c.account_id))
    return {row.slug: LocationRef(row.id, row.slug, row.account_id) for row in rows}


async def proxies(conn: AsyncConnection) -> dict[str, str]:
    """The `proxyUrl` of every location that has one, by slug, sealed as stored: a job carries it
    so and it is opened only when the job is handed to its agent (vantage.sessions.sealed)."""
    rows = await conn.execute(
        sa.select(locations.c.slug, locations.c.proxy_url).where(locations.c.proxy_url.is_not(None))
    )
    return {row.slug: row.proxy_url for row in rows}


async def list_all(conn: AsyncConnection, account_id: str | None = None) -> list[dict[str, Any]]:
    """`/v1/locations`: the operator's locations, then the account's private ones."""
    query = sa.select(locations.c.slug, locations.c.name, locations.c.account_id)
    if account_id is None:
        query = query.where(locations.c.account_id.is_(None))
    else:
        query = query.where(
            sa.or_(locations.c.account_id.is_(None), locations.c.account_id == account_id)
        )
    rows = sorted(
        (await conn.execute(query)).all(), key=lambda r: (r.account_id is not None, r.slug)
    )
    return [{"region": row.slug, "name": row.name} for row in rows]


async def usable_slugs(conn: AsyncConnection, account_id: str | None) -> set[str]:
    """Where the account's checks may run: the operator's locations and its own private ones."""
    condition: sa.ColumnElement[bool] = locations.c.account_id.is_(None)
    if account_id is not None:
        condition = sa.or_(condition, locations.c.account_id == account_id)
    return set((await conn.scalars(sa.select(locations.c.slug).where(condition))).all())


async def agent_counts(
    conn: AsyncConnection, slugs: list[str], now: datetime | None = None
) -> dict[str, int]:
    if not slugs:
        return {}
    since = (now or utcnow()) - timedelta(seconds=AGENT_ALIVE_SECONDS)
    rows = (
        await conn.execute(
            sa.select(agents.c.location, sa.func.count())
            .where(agents.c.location.in_(slugs), agents.c.last_seen_at >= since)
            .group_by(agents.c.location)
        )
    ).all()
    return {location: count for location, count in rows}


# -- Checkly's private-location API -----------------------------------------------------------


# What an answer carries that clients send back: the Go SDK always sends `id`, `created_at` and
# `updated_at`, and a GET edited and PUT back has them all (Vantage's `agents` and `queue` too).
# Checkly ignores them.
READ_ONLY = frozenset(
    {
        "id",
        "keys",
        "lastSeen",
        "agentCount",
        "agents",
        "queue",
        "created_at",
        "updated_at",
        "createdAt",
        "updatedAt",
    }
)


def _parse(model: type[M], payload: Any) -> M:
    if isinstance(payload, dict):
        payload = {k: v for k, v in payload.items() if k not in READ_ONLY}
    try:
        return model.model_validate(payload if payload is not None else {})
    except ValidationError as exc:
        raise bad_request(exc) from None


async def _wire(conn: AsyncConnection, found: list[Location], open_: Open) -> list[dict[str, Any]]:
    """`open_` opens a stored `proxyUrl`: its owner reads it back as sent (Terraform compares it
    with its state), as Checkly returns it."""
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
            "proxyUrl": open_(loc.proxy_url) if loc.proxy_url else None,
            "lastSeen": iso(loc.last_seen_at),
            "agentCount": counts.get(loc.slug, 0),
            "created_at": iso(loc.created_at),
            "updated_at": iso(loc.updated_at),
        }
        for loc in found
    ]


async def list_private(conn: AsyncConnection, account_id: str, open_: Open) -> list[dict[str, Any]]:
    rows = (
        await conn.execute(
            sa.select(locations)
            .where(locations.c.account_id == account_id)
            .order_by(locations.c.created_at, locations.c.slug)
        )
    ).all()
    return await _wire(conn, [_location(row) for row in rows], open_)


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


async def get_private(
    conn: AsyncConnection, account_id: str, location_id: str, open_: Open
) -> dict[str, Any]:
    [wire] = await _wire(conn, [await get_location(conn, account_id, location_id)], open_)
    return wire


def _as_sent(proxy_url: str | None) -> Open:
    """The `proxyUrl` just written, shown as sent rather than opened again."""
    return lambda _stored: proxy_url or ""


def _sealed(proxy_url: str | None, seal: Seal) -> str | None:
    return seal(proxy_url) if proxy_url else None


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
    conn: AsyncConnection, account_id: str, payload: Any, *, reserved: frozenset[str], seal: Seal
) -> dict[str, Any]:
    """`reserved`: slugs no account may take (vantage.locations.service.reserved_slugs); `seal`
    seals the `proxyUrl` at rest."""
    body = _parse(PrivateLocationCreate, payload)
    await _check_available(conn, account_id, body.slugName, reserved)
    try:
        location, key = await create(
            conn,
            body.slugName,
            body.name,
            account_id=account_id,
            icon=body.icon,
            proxy_url=_sealed(body.proxyUrl, seal),
        )
    except sa.exc.IntegrityError:
        # Taken by a concurrent request between the check and the insert (PostgreSQL).
        raise Conflict(not_available(body.slugName)) from None
    [wire] = await _wire(conn, [location], _as_sent(body.proxyUrl))
    # The first key is shown in full this once, as Checkly does.
    wire["keys"] = [key.wire()]
    return wire


async def update_private(
    conn: AsyncConnection, account_id: str, location_id: str, payload: Any, *, seal: Seal
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
        .values(
            name=body.name,
            icon=body.icon or location.icon,
            proxy_url=_sealed(body.proxyUrl, seal),
            updated_at=utcnow(),
        )
    )
    return await get_private(conn, account_id, location_id, _as_sent(body.proxyUrl))


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
    keys.revoked(conn)
    return ended


async def add_key(conn: AsyncConnection, account_id: str, location_id: str) -> dict[str, Any]:
    location = await get_location(conn, account_id, location_id)
    return (await keys.create_agent_key(conn, location.slug)).wire()


async def delete_key(conn: AsyncConnection, account_id: str, location_id: str, key_id: str) -> None:
    location = await get_location(conn, account_id, location_id)
    if not await keys.delete_agent_key(conn, location.slug, key_id):
        raise NotFound("No such key of this private location.")


# Operator visibility: who serves a location, and how far behind its queue is.

# Agents whose last heartbeat is older than this are no longer listed.
AGENTS_LISTED_SECONDS = 24 * 3600.0


async def health(
    conn: AsyncConnection, found: list[LocationRef], now: datetime | None = None
) -> dict[str, dict[str, Any]]:
    """Per location slug: its agents (heartbeats of the last day, newest first, each `alive` while
    it counts towards agentCount) and its queue: runs `waiting` (due, not leased), `running`
    (leased) and `lagSeconds`, how long the oldest waiting run has been due. Two queries."""
    now = now or utcnow()
    out: dict[str, dict[str, Any]] = {
        ref.slug: {"agents": [], "queue": {"waiting": 0, "running": 0, "lagSeconds": 0.0}}
        for ref in found
    }
    if not found:
        return out
    alive_since = now - timedelta(seconds=AGENT_ALIVE_SECONDS)
    seen = await conn.execute(
        sa.select(agents.c.location, agents.c.id, agents.c.started_at, agents.c.last_seen_at)
        .where(
            agents.c.location.in_(list(out)),
            agents.c.last_seen_at >= now - timedelta(seconds=AGENTS_LISTED_SECONDS),
        )
        .order_by(agents.c.last_seen_at.desc(), agents.c.id)
    )
    for row in seen:
        out[row.location]["agents"].append(
            {
                "agentId": row.id,
                "startedAt": iso(row.started_at),
                "lastSeen": iso(row.last_seen_at),
                "alive": row.last_seen_at >= alive_since,
            }
        )
    for slug, queue in (await queues(conn, found, now)).items():
        out[slug]["queue"] = queue
    return out


async def queues(
    conn: AsyncConnection, found: list[LocationRef], now: datetime
) -> dict[str, dict[str, Any]]:
    """Per location slug: runs `waiting` (due, not leased), `running` (leased) and `lagSeconds`,
    how long the oldest waiting run has been due. One query."""
    out: dict[str, dict[str, Any]] = {
        ref.slug: {"waiting": 0, "running": 0, "lagSeconds": 0.0} for ref in found
    }
    if not found:
        return out
    slug_of = {ref.id: ref.slug for ref in found}
    queued = await conn.execute(
        sa.select(jobs.c.location_id, jobs.c.state, sa.func.count(), sa.func.min(jobs.c.run_at))
        .where(
            jobs.c.location_id.in_(list(slug_of)),
            sa.or_(jobs.c.state != "QUEUED", jobs.c.run_at <= now),
        )
        .group_by(jobs.c.location_id, jobs.c.state)
    )
    for location_id, state, count, oldest in queued:
        queue = out[slug_of[location_id]]
        if state == "QUEUED":
            queue["waiting"] = count
            queue["lagSeconds"] = round(max(0.0, (now - oldest).total_seconds()), 3)
        else:
            queue["running"] += count
    return out


async def silent(
    conn: AsyncConnection, slugs: list[str], now: datetime | None = None
) -> dict[str, datetime | None]:
    """The locations among `slugs` that no agent has sent a heartbeat for lately, each with its
    last heartbeat (None: never)."""
    if not slugs:
        return {}
    since = (now or utcnow()) - timedelta(seconds=AGENT_ALIVE_SECONDS)
    rows = await conn.execute(
        sa.select(locations.c.slug, locations.c.last_seen_at).where(locations.c.slug.in_(slugs))
    )
    return {
        row.slug: row.last_seen_at
        for row in rows
        if row.last_seen_at is None or row.last_seen_at < since
    }


def no_live_agent(slug: str, last_seen: datetime | None) -> str:
    """What a session waiting on a silent location says about it."""
    last = f"the last was at {iso(last_seen)}" if last_seen else "none ever has"
    return (
        f"No agent of location {slug!r} has sent a heartbeat in the last "
        f"{AGENT_ALIVE_SECONDS:g} s ({last}): its runs wait until one runs, "
        f"`vantage agent --location {slug}`."
    )


async def seal_stored_proxy_urls(conn: AsyncConnection, sealer: Sealer) -> int:
    """Seal the `proxyUrl`s stored before they were sealed (or, once the operator sets a
    `secrets_key`, those kept `plain:` without one), so no proxy password stays in clear until its
    location is next written. Run at every start; a row another replica sealed meanwhile is left
    as it is (compare-and-set). The number sealed."""
    rows = await conn.execute(
        sa.select(locations.c.id, locations.c.proxy_url).where(locations.c.proxy_url.is_not(None))
    )
    limit = getattr(locations.c.proxy_url.type, "length", None)
    count = 0
    for row in rows.all():
        stored = str(row.proxy_url)
        if stored.startswith(SEALED) or (stored.startswith(PLAIN) and not sealer.encrypts):
            continue
        resealed = sealer.seal(sealer.open(stored))
        if limit is not None and len(resealed) > limit:
            # Only a URL stored before `proxyUrl` was capped at 1500 bytes can be this long.
            log.warning("a proxy URL is too long to seal in place", location_id=row.id)
            continue
        done = await conn.execute(
            sa.update(locations)
            .where(locations.c.id == row.id, locations.c.proxy_url == stored)
            .values(proxy_url=resealed)
        )
        count += done.rowcount
    return count
