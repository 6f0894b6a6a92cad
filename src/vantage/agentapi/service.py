"""The agent API's work: long-poll leases, lease extension and release, result intake, heartbeats.

It reuses the queue's compare-and-set operations (claim, complete), so a remote agent and the
embedded one follow the same rules: a result is accepted only while its lease is still the job's
(fencing), and only once per job (idempotent).
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
import structlog
from sqlalchemy.ext.asyncio import AsyncConnection

from vantage import storable
from vantage.agentapi.schemas import (
    ExtendAnswer,
    ExtendBody,
    ExtendedLease,
    HeartbeatAnswer,
    HeartbeatBody,
    LeaseBody,
    ReleaseAnswer,
    ReleaseBody,
    ResultItem,
    ResultsAnswer,
    ResultsBody,
)
from vantage.db.dialect import upsert
from vantage.db.tables import agents, check_results, locations
from vantage.locations.ref import LocationRef
from vantage.locations.service import agent_counts
from vantage.probes.masking import mask_result, sensitive_names
from vantage.probes.result import ProbeResult
from vantage.probes.serialize import from_json
from vantage.queue import secrets as job_secrets
from vantage.queue import service as queue
from vantage.runtime import Runtime
from vantage.sealing import Open
from vantage.timeutil import iso, utcnow

log = structlog.get_logger(__name__)

# Job ids are UUIDs; lease owners are `<agentId>/<16 hex>` (an agent id has at most 64 chars).
MAX_ID_LENGTH = 100


def owner_prefix(agent_id: str) -> str:
    return f"{agent_id}/"


@dataclass(slots=True)
class LeaseGrant:
    lease_seconds: float
    jobs: list[queue.Job] = field(default_factory=list)
    granted_at: datetime | None = None

    def seconds_of(self, job: queue.Job) -> float:
        """The job's own lease: shorter than asked when its session's deadline comes first."""
        if self.granted_at is None:
            return float(self.lease_seconds)
        left = (job.lease_expires_at - self.granted_at).total_seconds()
        return max(0.0, min(float(self.lease_seconds), left))

    def answer_json(self) -> bytes:
        """The `LeaseAnswer` as JSON, each job's check spliced in as the text it is stored as:
        parsing it only to encode it again was most of what a lease cost the server."""
        jobs = ",".join(
            _dumps(
                {
                    "id": job.id,
                    "attempt": job.attempt,
                    "leaseOwner": job.lease_owner,
                    "leaseExpiresAt": iso(job.lease_expires_at),
                    "leaseSeconds": self.seconds_of(job),
                    "checkType": job.check_type,
                    "checkId": job.check_id,
                    "sessionId": job.session_id,
                }
            )[:-1]
            + ',"config":'
            + job.config_json
            + "}"
            for job in self.jobs
        )
        return f'{{"jobs":[{jobs}],"serverTime":"{iso(utcnow())}"}}'.encode()


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


async def lease(
    runtime: Runtime,
    location: LocationRef,
    body: LeaseBody,
    *,
    disconnected: Callable[[], Awaitable[bool]],
) -> LeaseGrant:
    """Lease up to `body.max` jobs, waiting up to `body.waitSeconds` for the first one.

    The wait sleeps on the location's work event (set when a session is triggered, scheduled or
    retried), bounded by when the next delayed job is due or the next lease expires. A server
    that is stopping leases nothing and ends every wait at once (`Signals.close_long_polls`).
    """
    lease_seconds = body.leaseSeconds or runtime.settings.default_agent_lease_seconds
    # Each lease call gets its own owner token: a result is fenced by the exact lease that
    # produced it, even when the same agent leases the job again later.
    owner = owner_prefix(body.agentId) + secrets.token_hex(8)
    browsers = body.browserCapacity != 0
    bell = runtime.signals.bell(location.slug)

    async def gone() -> bool:
        signals = runtime.signals
        return (
            signals.stopping
            or signals.is_retired(location.slug, body.agentId)
            or await disconnected()
        )

    loop = asyncio.get_running_loop()
    give_up = loop.time() + body.waitSeconds
    while True:
        ticket = bell.ticket()
        if await gone():
            return LeaseGrant(lease_seconds=lease_seconds)
        now = utcnow()
        async with runtime.db.write() as conn:
            claimed = await queue.claim(
                conn,
                location=location,
                owner=owner,
                limit=body.max,
                now=now,
                lease_seconds=lease_seconds,
                dead_before=now - timedelta(seconds=runtime.settings.agent_dead_seconds),
                metrics=runtime.metrics,
                browsers=browsers,
            )
        if claimed:
            claimed = _opened(claimed, runtime.sealer.open)
            if await gone():
                # The agent went away while we waited: do not strand its jobs until expiry.
                await _release_jobs(runtime, location, [(j.id, owner) for j in claimed])
                return LeaseGrant(lease_seconds=lease_seconds)
            log.info("jobs leased", location=location.slug, agent=body.agentId, count=len(claimed))
            return LeaseGrant(lease_seconds, claimed, granted_at=now)
        remaining = give_up - loop.time()
        if remaining <= 0:
            return LeaseGrant(lease_seconds=lease_seconds)
        await bell.wait(ticket, min(remaining, await _until_claimable(runtime, location, browsers)))


def _opened(claimed: list[queue.Job], open_: Open) -> list[queue.Job]:
    """The jobs as their agent gets them: the secrets sealed in their stored config opened."""
    return [
        dataclasses.replace(job, config_json=job_secrets.opened_json(job.config_json, open_))
        if job_secrets.has_secrets(job.config_json)
        else job
        for job in claimed
    ]


async def _until_claimable(runtime: Runtime, location: LocationRef, browsers: bool) -> float:
    """Seconds until a job of the location that the agent may take becomes claimable without a
    signal: a retry's backoff ends or a lease expires. Capped by the fallback poll."""
    async with runtime.db.read() as conn:
        due = await queue.next_due(conn, location, browsers=browsers)
        expiry = await queue.next_lease_expiry(conn, location, browsers=browsers)
    now = utcnow()
    wait = runtime.settings.lease_poll_seconds
    for moment in (due, expiry):
        if moment is not None:
            wait = min(wait, max(0.0, (moment - now).total_seconds()) + 0.01)
    return wait


async def extend(runtime: Runtime, location: LocationRef, body: ExtendBody) -> ExtendAnswer:
    lease_seconds = body.leaseSeconds or runtime.settings.default_agent_lease_seconds
    now = utcnow()
    async with runtime.db.write() as conn:
        expiries = await queue.extend_lease(
            conn,
            location=location,
            leases=[(h.jobId, h.leaseOwner) for h in body.leases],
            now=now,
            lease_seconds=lease_seconds,
        )
    lost = [h.jobId for h in body.leases if expiries.get(h.jobId) is None]
    if lost:
        log.info("lease extension refused", location=location.slug, agent=body.agentId, jobs=lost)
    return ExtendAnswer(
        leases=[
            ExtendedLease(
                jobId=held.jobId,
                status="extended" if expiries.get(held.jobId) else "lost",
                leaseExpiresAt=expiries.get(held.jobId),
                leaseSeconds=_seconds_until(expiries.get(held.jobId), now, lease_seconds),
            )
            for held in body.leases
        ]
    )


def _seconds_until(expires: datetime | None, now: datetime, lease_seconds: float) -> float:
    """An extended lease's length: shorter than asked when its session's deadline comes first."""
    if expires is None:
        return lease_seconds
    return max(0.0, min(lease_seconds, (expires - now).total_seconds()))


async def _release_jobs(
    runtime: Runtime, location: LocationRef, leases: list[tuple[str, str]]
) -> list[str]:
    async with runtime.db.write() as conn:
        released = await queue.release(conn, leases=leases, location=location)
    if released:
        runtime.signals.work_queued(location.slug)
    return released


async def release(runtime: Runtime, location: LocationRef, body: ReleaseBody) -> ReleaseAnswer:
    async with runtime.db.write() as conn:
        released = await queue.release(
            conn, leases=[(h.jobId, h.leaseOwner) for h in body.leases], location=location
        )
        if body.shutdown:
            runtime.signals.retire(location.slug, body.agentId)
            released += await queue.release_owned(
                conn, location=location, owner_prefix=owner_prefix(body.agentId)
            )
            await conn.execute(
                agents.delete().where(
                    agents.c.location == location.slug, agents.c.id == body.agentId
                )
            )
    if released:
        runtime.signals.work_queued(location.slug)
    log.info(
        "leases released",
        location=location.slug,
        agent=body.agentId,
        count=len(released),
        shutdown=body.shutdown,
    )
    return ReleaseAnswer(released=released)


async def submit(
    runtime: Runtime, location: LocationRef, body: ResultsBody, *, clean: bool = False
) -> ResultsAnswer:
    """Store a batch of results in one transaction; a status per item, in the batch's order:
    `accepted`, `duplicate` (this location already stored this job's result), `fenced` (the lease
    is no longer the submitter's, or the job is not the location's) or `rejected` (the item is
    malformed; resending cannot help). `clean`: the body held no NUL or lone surrogate escape, so
    the results need no scrubbing (`vantage.storable.raw_is_clean`)."""
    statuses: list[dict[str, Any]] = [
        {"jobId": storable.scrub(item.jobId)} for item in body.results
    ]
    parsed: list[tuple[int, ProbeResult]] = []
    # masked again here: what is stored obeys this server's names, whatever the agent masked
    sensitive = sensitive_names(runtime.settings.sensitive_names)
    for index, item in enumerate(body.results):
        try:
            _check_ids(item)
            parsed.append((index, mask_result(from_json(item.result, clean=clean), sensitive)))
        except ValueError as exc:
            statuses[index].update(status="rejected", message=str(exc))
    completions: list[tuple[int, queue.Completion]] = []
    if parsed:
        async with runtime.db.write() as conn:
            # In the write transaction rather than a read of its own: a transaction fewer per batch.
            ids = [body.results[i].jobId for i, _ in parsed]
            mine = await queue.of_location(conn, location, ids)
            ours = [(i, r) for i, r in parsed if body.results[i].jobId in mine]
            stored = await queue.complete_many(
                conn,
                [(body.results[i].jobId, body.results[i].leaseOwner, r) for i, r in ours],
                utcnow(),
                runtime.metrics,
            )
            completions = [(i, c) for (i, _), c in zip(ours, stored, strict=True)]
            for index, _ in parsed:
                if body.results[index].jobId not in mine:
                    # Not a job of this key's location, or already gone (completed by another).
                    completions.append(
                        (index, await _done_or_fenced(conn, location, body.results[index].jobId))
                    )
    signals = runtime.signals
    for index, completion in completions:
        statuses[index]["status"] = completion.outcome
        if completion.result_id and completion.outcome != "fenced":
            statuses[index]["resultId"] = completion.result_id
        signals.result_stored(completion)
    counts: dict[str, int] = {}
    for status in statuses:
        counts[status["status"]] = counts.get(status["status"], 0) + 1
    log.info("results received", location=location.slug, agent=body.agentId, **counts)
    return ResultsAnswer.model_validate({"results": statuses})


def _check_ids(item: ResultItem) -> None:
    """Ids that can be looked up at all: a NUL or a lone surrogate would fail the batch's query."""
    for name in ("jobId", "leaseOwner"):
        value = getattr(item, name)
        if len(value) > MAX_ID_LENGTH or storable.scrub(value) != value:
            raise ValueError(f'"{name}" must be an id of at most {MAX_ID_LENGTH} characters')


async def _done_or_fenced(
    conn: AsyncConnection, location: LocationRef, job_id: str
) -> queue.Completion:
    """A job that is not (or no longer) one of the location's: a duplicate if the location itself
    already handed in its result, else fenced. Another location's result, or its id, is never
    revealed."""
    stored = (
        await conn.execute(
            sa.select(check_results.c.id, check_results.c.account_id).where(
                check_results.c.job_id == job_id,
                check_results.c.run_location == location.slug,
            )
        )
    ).first()
    if stored is None or not location.usable_by(stored.account_id):
        return queue.Completion("fenced")
    return queue.Completion("duplicate", result_id=stored.id)


async def heartbeat(
    runtime: Runtime, location: LocationRef, body: HeartbeatBody
) -> HeartbeatAnswer:
    slug = location.slug
    now = utcnow()
    async with runtime.db.write() as conn:
        await conn.execute(
            upsert(
                conn, agents, index_elements=["location", "id"], update_columns=["last_seen_at"]
            ),
            {"location": slug, "id": body.agentId, "started_at": now, "last_seen_at": now},
        )
        await conn.execute(
            locations.update().where(locations.c.id == location.id).values(last_seen_at=now)
        )
        count = (await agent_counts(conn, [slug], now)).get(slug, 0)
    return HeartbeatAnswer(
        location=slug, agentId=body.agentId, lastSeen=now, agentCount=count, serverTime=now
    )
