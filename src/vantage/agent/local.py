"""The embedded agent: the agent loop (vantage.agent.loop) inside the server, for one location.

`LocalControlPlane` is the agent protocol without the HTTP: lease, extend, release and heartbeat
are the agent API's own services (vantage.agentapi.service), so the embedded agent waits for work,
is fenced and is counted alive exactly as a remote one; results go to the intake directly, as the
`ProbeResult`s the probes made (no JSON on the way). A database that fails is `Unreachable`, and
the results wait in memory (`MemoryOutbox`) until it takes them again.
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Iterator, Sequence

import sqlalchemy as sa
import structlog

from vantage.agent.control import Delivery, Held, LeasedJob, Status, Unreachable
from vantage.agent.loop import Agent, AgentOptions
from vantage.agent.outbox import MemoryOutbox
from vantage.agentapi import service
from vantage.agentapi.schemas import ExtendBody, HeartbeatBody, HeldLease, LeaseBody, ReleaseBody
from vantage.locations.ref import LocationRef
from vantage.locations.service import by_slug
from vantage.probes.result import ProbeResult
from vantage.probes.serialize import storable_result
from vantage.queue import service as queue
from vantage.runtime import Runtime
from vantage.timeutil import utcnow

log = structlog.get_logger(__name__)

# What the data itself cannot be (a constraint, a value out of range): resending cannot help.
DATA_ERRORS = (sa.exc.IntegrityError, sa.exc.DataError)


def _transient(exc: Exception) -> bool:
    """A failure of the database rather than of what was sent (down, locked, a connection lost,
    a pool timeout): the call is `Unreachable` and is made again later."""
    if isinstance(exc, DATA_ERRORS):
        return False
    return isinstance(exc, sa.exc.DBAPIError | sa.exc.TimeoutError | OSError | TimeoutError)


@contextlib.contextmanager
def _database() -> Iterator[None]:
    try:
        yield
    except Exception as exc:
        if _transient(exc):
            raise Unreachable(f"{type(exc).__name__}: {exc}") from exc
        raise


# The embedded agent hands results over in larger batches: one transaction each on SQLite's one
# writer, so fewer and larger is cheaper.
EMBEDDED_BATCH = 200


class LocalControlPlane:
    def __init__(self, runtime: Runtime, location: str) -> None:
        self.runtime = runtime
        self.location = location
        self.agent_id = f"local-{secrets.token_hex(6)}"
        self._ref: LocationRef | None = None

    async def _location(self) -> LocationRef:
        """The location's id, looked up once: the server creates it before the agent starts."""
        if self._ref is None:
            async with self.runtime.db.read() as conn:
                found = await by_slug(conn, self.location)
            if found is None:
                raise Unreachable(f"no location {self.location!r}")
            self._ref = found.ref
        return self._ref

    async def lease(
        self, count: int, wait_seconds: float, lease_seconds: float, *, browsers: int | None = None
    ) -> list[LeasedJob]:
        if self.runtime.signals.stopping:
            # A stopping server answers every lease at once and empty: in-process, with nothing
            # awaited, a loop asking again would never yield. Unreachable makes it back off.
            raise Unreachable("the server is stopping")
        # Built, not validated: the values are the server's own settings, not an agent's input.
        body = LeaseBody.model_construct(
            agentId=self.agent_id,
            max=count,
            waitSeconds=wait_seconds,
            leaseSeconds=lease_seconds,
            browserCapacity=browsers,
        )
        with _database():
            grant = await service.lease(
                self.runtime, await self._location(), body, disconnected=_connected
            )
        return [
            LeasedJob(
                id=job.id,
                attempt=job.attempt,
                lease_owner=job.lease_owner,
                lease_seconds=grant.seconds_of(job),
                check_type=job.check_type,
                config=job.config,
            )
            for job in grant.jobs
        ]

    async def extend(self, leases: Sequence[Held], lease_seconds: float) -> dict[str, bool]:
        body = ExtendBody.model_construct(
            agentId=self.agent_id, leases=_held(leases), leaseSeconds=lease_seconds
        )
        with _database():
            answer = await service.extend(self.runtime, await self._location(), body)
        return {item.jobId: item.status == "extended" for item in answer.leases}

    async def release(self, leases: Sequence[Held], *, shutdown: bool = False) -> int:
        body = ReleaseBody.model_construct(
            agentId=self.agent_id, leases=_held(leases), shutdown=shutdown
        )
        with _database():
            answer = await service.release(self.runtime, await self._location(), body)
        return len(answer.released)

    async def heartbeat(self) -> int:
        body = HeartbeatBody.model_construct(agentId=self.agent_id)
        with _database():
            answer = await service.heartbeat(self.runtime, await self._location(), body)
        return answer.agentCount

    async def submit(self, deliveries: Sequence[Delivery]) -> list[Status]:
        """One transaction for the batch. A batch that fails for a reason of its own (not the
        database's) is retried one result at a time, so one bad result is rejected alone."""
        items: list[tuple[int, tuple[str, str, ProbeResult]]] = []
        statuses: list[Status] = ["rejected"] * len(deliveries)
        for index, delivery in enumerate(deliveries):
            try:
                # One unstorable result would fail its whole batch.
                result = storable_result(delivery.probe_result())
            except (ValueError, TypeError) as exc:
                # JSON from an outbox that is no result, or a result with no JSON for it.
                log.error("result unstorable, rejected", job=delivery.job_id, error=str(exc))
                continue
            items.append((index, (delivery.job_id, delivery.lease_owner, result)))
        try:
            with _database():
                stored = await self._store([item for _, item in items])
            for (index, _), outcome in zip(items, stored, strict=True):
                statuses[index] = outcome
        except Unreachable:
            raise
        except Exception:
            if len(items) == 1:
                log.exception("result could not be stored, rejected", job=items[0][1][0])
                return statuses
            for index, _ in items:
                [statuses[index]] = await self.submit([deliveries[index]])
        return statuses

    async def _store(self, items: list[tuple[str, str, ProbeResult]]) -> list[Status]:
        if not items:
            return []
        runtime = self.runtime
        async with runtime.db.write() as conn:
            completions = await queue.complete_many(conn, items, utcnow(), runtime.metrics)
        for completion in completions:
            runtime.signals.result_stored(completion)
        return [completion.outcome for completion in completions]


def _held(leases: Sequence[Held]) -> list[HeldLease]:
    return [HeldLease(jobId=h.job_id, leaseOwner=h.lease_owner) for h in leases]


async def _connected() -> bool:
    return False  # an in-process caller never hangs up


def embedded_agent(runtime: Runtime, *, location: str, concurrency: int) -> Agent:
    """The agent `vantage server` runs for `location` (by default `local`)."""
    settings = runtime.settings
    options = AgentOptions(
        concurrency=concurrency,
        browser_concurrency=settings.local_agent_browser_concurrency,
        lease_seconds=settings.lease_seconds,
        drain_seconds=settings.local_agent_drain_seconds,
        batch=EMBEDDED_BATCH,
        policy=settings.probe_policy(),
        sensitive_names=settings.sensitive_names,
        log_batches=False,
    )
    return Agent(LocalControlPlane(runtime, location), MemoryOutbox(), options)
