"""The embedded agent: runs the jobs of one location inside the server process.

It uses the same queue operations a remote agent reaches over HTTP (claim, complete), so the
embedded default and a distributed deployment share one code path. Results are handed back in
batches: whatever finished while the previous batch was being written goes in the next
transaction, which keeps SQLite's single writer busy with few, larger transactions.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from datetime import datetime

import structlog

from vantage.locations.ref import LocationRef
from vantage.locations.service import by_slug
from vantage.probes.masking import sensitive_names
from vantage.probes.result import ProbeResult
from vantage.probes.runner import run_check
from vantage.probes.serialize import storable_result
from vantage.queue import service as queue
from vantage.runtime import Runtime
from vantage.timeutil import utcnow

log = structlog.get_logger(__name__)

IDLE_POLL_SECONDS = 1.0
MAX_BATCH = 200


class LocalAgent:
    def __init__(self, runtime: Runtime, *, location: str, concurrency: int) -> None:
        self.runtime = runtime
        self.location = location
        self.concurrency = concurrency
        self.owner = f"local-{uuid.uuid4().hex[:12]}"
        self.policy = runtime.settings.probe_policy()
        self.sensitive = sensitive_names(runtime.settings.sensitive_names)
        self._in_flight: set[asyncio.Task[None]] = set()
        self._slot_free = asyncio.Event()
        self._done: asyncio.Queue[tuple[queue.Job, ProbeResult]] = asyncio.Queue()
        self._stopping = False
        self._ref: LocationRef | None = None

    async def run(self) -> None:
        submitter = asyncio.create_task(self._submit_forever(), name="local-agent-submit")
        try:
            await self._lease_forever()
        finally:
            self._stopping = True
            if self._in_flight:
                await asyncio.gather(*self._in_flight, return_exceptions=True)
            await self._drain()
            submitter.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await submitter

    async def _lease_forever(self) -> None:
        work = self.runtime.signals.work_event(self.location)
        while True:
            free = self.concurrency - len(self._in_flight)
            if free <= 0:
                self._slot_free.clear()
                await self._slot_free.wait()
                continue
            work.clear()
            jobs, next_due = await self._claim(free)
            for job in jobs:
                task = asyncio.create_task(self._run(job))
                self._in_flight.add(task)
                task.add_done_callback(self._finished)
            if len(jobs) == free:
                continue
            timeout = IDLE_POLL_SECONDS
            if next_due is not None:
                timeout = min(timeout, max(0.0, (next_due - utcnow()).total_seconds()))
            if jobs and timeout <= 0:
                continue
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout):
                    await work.wait()

    async def _location(self) -> LocationRef:
        """The location's id, looked up once: the server creates it before the agent starts."""
        if self._ref is None:
            async with self.runtime.db.read() as conn:
                found = await by_slug(conn, self.location)
            if found is None:
                raise LookupError(f"no location {self.location!r}")
            self._ref = found.ref
        return self._ref

    async def _claim(self, limit: int) -> tuple[list[queue.Job], datetime | None]:
        now = utcnow()
        try:
            location = await self._location()
            async with self.runtime.db.write() as conn:
                jobs = await queue.claim(
                    conn,
                    location=location,
                    owner=self.owner,
                    limit=limit,
                    now=now,
                    lease_seconds=self.runtime.settings.lease_seconds,
                    metrics=self.runtime.metrics,
                )
            next_due = None
            if len(jobs) < limit:
                async with self.runtime.db.read() as conn:
                    next_due = await queue.next_due(conn, location)
        except Exception:
            log.exception("lease failed", location=self.location)
            await asyncio.sleep(IDLE_POLL_SECONDS)
            return [], None
        return jobs, next_due

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._in_flight.discard(task)
        self._slot_free.set()

    async def _run(self, job: queue.Job) -> None:
        result = await run_check(
            job.check_type, job.config, policy=self.policy, sensitive=self.sensitive
        )
        # One unstorable result would fail, and after its retries drop, its whole batch.
        await self._done.put((job, storable_result(result)))

    async def _submit_forever(self) -> None:
        while True:
            first = await self._done.get()
            batch = [first]
            while not self._done.empty() and len(batch) < MAX_BATCH:
                batch.append(self._done.get_nowait())
            # Shielded: a shutdown must not lose results that were already produced.
            await asyncio.shield(self._submit(batch))

    async def _drain(self) -> None:
        batch: list[tuple[queue.Job, ProbeResult]] = []
        while not self._done.empty():
            batch.append(self._done.get_nowait())
        if batch:
            await self._submit(batch)

    async def _submit(self, batch: list[tuple[queue.Job, ProbeResult]]) -> None:
        signals = self.runtime.signals
        for attempt in range(5):
            try:
                async with self.runtime.db.write() as conn:
                    completions = await queue.complete_many(
                        conn,
                        [(job.id, job.lease_owner, result) for job, result in batch],
                        utcnow(),
                        self.runtime.metrics,
                    )
                break
            except Exception:
                log.exception("result submission failed, retrying", batch=len(batch))
                await asyncio.sleep(0.2 * (attempt + 1))
        else:
            log.error("results dropped after retries", batch=len(batch))
            return
        for completion in completions:
            signals.result_stored(completion)
        log.debug("results stored", count=len(batch), location=self.location)
