"""The run queue: agents lease jobs for their location and hand back results.

Every write is a compare-and-set, so any number of agents and server replicas can share it:
a lease is taken with one UPDATE over rows nobody holds; a result is accepted only while the lease
that produced it is still the job's (fencing), and only once per job (idempotent).

A location's jobs are those bound to its id (not only its slug: a slug deleted and created again is
another location) and, for a private location, of its own account.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from vantage.db.dialect import claim_subquery
from vantage.db.tables import agents, check_sessions, jobs
from vantage.locations.ref import LocationRef
from vantage.metrics import Metrics
from vantage.probes.result import ProbeResult
from vantage.queue.intake import Completion, Submission, take_in

__all__ = [
    "BROWSER_TYPES",
    "Completion",
    "Job",
    "Submission",
    "bound_to",
    "claim",
    "complete_many",
    "extend_lease",
    "next_due",
    "next_lease_expiry",
    "of_location",
    "release",
    "release_owned",
]

# The check types that need a browser: an agent without browser capacity is leased none of them.
BROWSER_TYPES = ("BROWSER", "MULTI_STEP", "PLAYWRIGHT")


@dataclass(frozen=True, slots=True)
class Job:
    id: str
    session_id: str
    account_id: str
    check_id: str
    location: str
    attempt: int
    sequence_id: str
    lease_owner: str
    check_type: str
    # When the lease ends: `now + lease_seconds`, or the session's deadline if that comes first.
    lease_expires_at: datetime
    # The check as JSON text, as stored: a remote agent's lease answer carries it as it is, so a
    # lease costs no parse and re-encoding of every job's check (`config` parses it).
    config_json: str

    @property
    def config(self) -> dict[str, Any]:
        config: dict[str, Any] = json.loads(self.config_json)
        return config


def bound_to(location: LocationRef) -> sa.ColumnElement[bool]:
    """The jobs of `location`, and nothing an agent of a same-named location may see."""
    condition = jobs.c.location_id == location.id
    if location.account_id is not None:
        condition = sa.and_(condition, jobs.c.account_id == location.account_id)
    return condition


def _bound(private: bool) -> sa.ColumnElement[bool]:
    """`bound_to` with bind parameters (`_bound_values`), for statements built once."""
    condition = jobs.c.location_id == sa.bindparam("b_location_id")
    if private:
        condition = sa.and_(condition, jobs.c.account_id == sa.bindparam("b_account_id"))
    return condition


def _bound_values(location: LocationRef) -> dict[str, Any]:
    return {"b_location_id": location.id, "b_account_id": location.account_id}


# The hot statements are built once (per dialect where they differ): building and hashing a
# statement costs the server more CPU than SQLite spends running it.
_OF_IDS = sa.select(jobs.c.id, jobs.c.location_id, jobs.c.account_id).where(
    jobs.c.id.in_(sa.bindparam("b_ids", expanding=True))
)


async def of_location(conn: AsyncConnection, location: LocationRef, job_ids: list[str]) -> set[str]:
    """Which of `job_ids` are jobs of `location` (`bound_to`, judged here on the rows read)."""
    if not job_ids:
        return set()
    # Read by primary key alone: with `location_id = ?` in the WHERE, SQLite (no statistics)
    # walked `ix_jobs_claim` over every job of the location, a whole backlog per result batch.
    rows = (await conn.execute(_OF_IDS, {"b_ids": job_ids})).all()
    return {
        row.id
        for row in rows
        if row.location_id == location.id
        and (location.account_id is None or row.account_id == location.account_id)
    }


def _session_open() -> sa.ColumnElement[bool]:
    """The job's session has not ended and its deadline is still ahead: after the deadline no
    run of it is leased again, so a job never runs for a session that is over."""
    return sa.exists().where(
        check_sessions.c.id == jobs.c.session_id,
        check_sessions.c.stopped_at.is_(None),
        check_sessions.c.deadline_at > sa.bindparam("b_now"),
    )


def _owner_dead() -> sa.ColumnElement[bool]:
    """The lease's agent (`<agentId>/…`) has sent no heartbeat since `b_dead_before`: a dead
    predecessor, whose lease a live agent takes over without waiting for it to expire. An agent
    that never sent a heartbeat is not judged: its lease runs out as usual."""
    prefix = sa.func.substr(jobs.c.lease_owner, 1, sa.func.length(agents.c.id) + 1)
    return sa.exists().where(
        agents.c.location == jobs.c.location,
        agents.c.last_seen_at < sa.bindparam("b_dead_before"),
        prefix == agents.c.id + "/",
    )


def _needs_no_browser() -> sa.ColumnElement[bool]:
    return sa.func.coalesce(jobs.c.config["checkType"].as_string(), "").not_in(BROWSER_TYPES)


def _capped_expiry(expires: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
    """`expires`, or the job's session deadline when that comes first: a lease never outlives
    the session it runs for (the reaper ends it then, and nobody leases the job again)."""
    deadline = (
        sa.select(check_sessions.c.deadline_at)
        .where(check_sessions.c.id == jobs.c.session_id)
        .scalar_subquery()
    )
    return sa.case((deadline < expires, deadline), else_=expires)


@functools.cache
def _claim(dialect: str, private: bool, retake: bool, browsers: bool) -> sa.Update:
    """Lease due jobs of one kind: with `retake`, the LEASED ones whose lease ran out or whose
    agent died; otherwise the QUEUED ones. Two statements, not one with an OR on the state: each
    walks `ix_jobs_claim` (location, state, run_at) in run_at order and stops at its limit, where
    the OR made both databases read and sort every job of the location, 100,000 in a backlog
    (docs/benchmarks.md, `lease_depth.py`). A retake still reads each LEASED job of the location
    (the runs in flight, bounded by the agents' concurrency) to judge its lease. Without
    `browsers`, jobs of `BROWSER_TYPES` are passed over (left to an agent that has a browser)."""
    if retake:
        which = sa.and_(
            jobs.c.state == "LEASED",
            sa.or_(jobs.c.lease_expires_at < sa.bindparam("b_now"), _owner_dead()),
            _session_open(),
        )
    else:
        which = jobs.c.state == "QUEUED"
    if not browsers:
        which = sa.and_(which, _needs_no_browser())
    due = (
        sa.select(jobs.c.id)
        .where(_bound(private), which, jobs.c.run_at <= sa.bindparam("b_now"))
        .order_by(jobs.c.run_at)
        .limit(sa.bindparam("b_limit", type_=sa.Integer()))
    )
    expires = sa.bindparam("b_expires", type_=jobs.c.lease_expires_at.type)
    return (
        jobs.update()
        .where(jobs.c.id.in_(claim_subquery(dialect, due).scalar_subquery()))
        .values(
            state="LEASED",
            lease_owner=sa.bindparam("b_owner"),
            # The lease outlives the run's own timeout so a healthy run never loses it.
            lease_expires_at=_capped_expiry(expires),
            leases=jobs.c.leases + 1,
        )
        .returning(
            jobs.c.id,
            jobs.c.session_id,
            jobs.c.account_id,
            jobs.c.check_id,
            jobs.c.location,
            jobs.c.attempt,
            jobs.c.sequence_id,
            jobs.c.config["checkType"].as_string().label("check_type"),
            sa.cast(jobs.c.config, sa.Text()).label("config_json"),
            jobs.c.leases,
            jobs.c.lease_expires_at,
        )
    )


async def claim(
    conn: AsyncConnection,
    *,
    location: LocationRef,
    owner: str,
    limit: int,
    now: datetime,
    lease_seconds: float,
    dead_before: datetime | None = None,
    metrics: Metrics | None = None,
    browsers: bool = True,
) -> list[Job]:
    """Lease up to `limit` due jobs of `location`: those of a session still running whose lease
    expired or whose agent's last heartbeat is older than `dead_before` first (overdue runs), then
    queued ones; without `browsers`, none that needs a browser (`BROWSER_TYPES`)."""
    private = location.account_id is not None
    params = {
        **_bound_values(location),
        "b_now": now,
        "b_limit": limit,
        "b_owner": owner,
        "b_expires": now + timedelta(seconds=lease_seconds),
        # No heartbeat can be older than the epoch: without `dead_before`, no agent is dead.
        "b_dead_before": dead_before or datetime.min.replace(tzinfo=now.tzinfo),
    }
    retake = _claim(conn.dialect.name, private, True, browsers)
    rows = list((await conn.execute(retake, params)).all())
    if len(rows) < limit:
        params["b_limit"] = limit - len(rows)
        queued = _claim(conn.dialect.name, private, False, browsers)
        rows += (await conn.execute(queued, params)).all()
    if metrics is not None:
        metrics.leased(location.slug, len(rows), sum(1 for r in rows if r.leases > 1))
    return [
        Job(
            id=r.id,
            session_id=r.session_id,
            account_id=r.account_id,
            check_id=r.check_id,
            location=r.location,
            attempt=r.attempt,
            sequence_id=r.sequence_id,
            lease_owner=owner,
            check_type=r.check_type,
            lease_expires_at=r.lease_expires_at,
            config_json=r.config_json,
        )
        for r in rows
    ]


async def next_due(
    conn: AsyncConnection, location: LocationRef, *, browsers: bool = True
) -> datetime | None:
    """When the earliest queued job of `location` becomes due (for retries waiting on a backoff);
    without `browsers`, of the jobs that need no browser (those others are never its to wait for:
    a due one would wake an agent without a browser at once, again and again)."""
    which = sa.and_(bound_to(location), jobs.c.state == "QUEUED")
    if not browsers:
        which = sa.and_(which, _needs_no_browser())
    value: datetime | None = await conn.scalar(sa.select(sa.func.min(jobs.c.run_at)).where(which))
    return value


async def complete_many(
    conn: AsyncConnection,
    items: Sequence[tuple[str, str, ProbeResult]],
    now: datetime,
    metrics: Metrics | None = None,
) -> list[Completion]:
    """Store results through the intake; the agent loops need only the completions."""
    intake = await take_in(conn, [Submission(*item) for item in items], now, metrics)
    return intake.completions


async def extend_lease(
    conn: AsyncConnection,
    *,
    location: LocationRef,
    leases: Sequence[tuple[str, str]],
    now: datetime,
    lease_seconds: float,
) -> dict[str, datetime | None]:
    """Push back the expiry of each (job id, lease owner) still held, up to its session's
    deadline; None for a lost lease, and for one whose session is over (its run is late now).

    A lease that expired but was not taken over is still its owner's and is extended too.
    """
    out: dict[str, datetime | None] = {}
    params = {**_bound_values(location), "b_now": now}
    for job_id, owner in leases:
        expires = await conn.scalar(
            _extend(location.account_id is not None),
            {
                **params,
                "b_id": job_id,
                "b_owner": owner,
                "b_expires": now + timedelta(seconds=lease_seconds),
            },
        )
        out[job_id] = expires
    return out


@functools.cache
def _extend(private: bool) -> sa.Update:
    return (
        jobs.update()
        .where(
            jobs.c.id == sa.bindparam("b_id"),
            _bound(private),
            jobs.c.state == "LEASED",
            jobs.c.lease_owner == sa.bindparam("b_owner"),
            _session_open(),
        )
        .values(
            lease_expires_at=_capped_expiry(
                sa.bindparam("b_expires", type_=jobs.c.lease_expires_at.type)
            )
        )
        .returning(jobs.c.lease_expires_at)
    )


async def release(
    conn: AsyncConnection, *, leases: Sequence[tuple[str, str]], location: LocationRef
) -> list[str]:
    """Hand leased jobs of `location` back to the queue (an agent shutting down); returns the
    ids released. Jobs whose lease is no longer the caller's are left alone."""
    released = []
    for job_id, owner in leases:
        result = await conn.execute(
            jobs.update()
            .where(
                jobs.c.id == job_id,
                bound_to(location),
                jobs.c.state == "LEASED",
                jobs.c.lease_owner == owner,
            )
            .values(state="QUEUED", lease_owner=None, lease_expires_at=None)
        )
        if result.rowcount:
            released.append(job_id)
    return released


async def release_owned(
    conn: AsyncConnection, *, location: LocationRef, owner_prefix: str
) -> list[str]:
    """Hand back every job of `location` whose lease owner starts with `owner_prefix` (all the
    leases of one agent, including any it was granted but never received)."""
    rows = (
        await conn.execute(
            jobs.update()
            .where(
                bound_to(location),
                jobs.c.state == "LEASED",
                jobs.c.lease_owner.startswith(owner_prefix, autoescape=True),
            )
            .values(state="QUEUED", lease_owner=None, lease_expires_at=None)
            .returning(jobs.c.id)
        )
    ).all()
    return [row.id for row in rows]


async def next_lease_expiry(
    conn: AsyncConnection, location: LocationRef, *, browsers: bool = True
) -> datetime | None:
    """When the earliest lease of `location` expires (its job becomes claimable again); without
    `browsers`, of the jobs that need no browser."""
    which = sa.and_(bound_to(location), jobs.c.state == "LEASED")
    if not browsers:
        which = sa.and_(which, _needs_no_browser())
    value: datetime | None = await conn.scalar(
        sa.select(sa.func.min(jobs.c.lease_expires_at)).where(which)
    )
    return value
