"""`vantage agent`: runs the checks of one location for a server it reaches over HTTP(S).

Four tasks share the work:
- the leaser long-polls for jobs, as many as there are free run slots (a semaphore bounds the
  runs in flight), and starts a run for each;
- the runs execute probes and queue their results;
- the deliverer hands results to the server in batches; what cannot be delivered goes to the
  on-disk outbox, which is drained, in order, before anything newer and before more leasing;
- the keeper heartbeats and extends the leases of runs that get close to their expiry.

Stopping (SIGTERM/SIGINT): leasing stops at once; runs in flight get `drain_seconds` to finish
and the rest are cancelled and their leases released; results are delivered or, with the server
down, left in the outbox for the next start.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import secrets
import socket
import time
from dataclasses import dataclass, field
from typing import Any

import structlog

from vantage.agent.client import AgentClient, Delivery, LeasedJob, Rejected, Unreachable
from vantage.agent.outbox import Outbox
from vantage.probes.masking import sensitive_names
from vantage.probes.runner import run_check
from vantage.probes.target_policy import REMOTE_DEFAULT, TargetPolicy

log = structlog.get_logger("vantage.agent")

MAX_BATCH = 100
# How long a busy agent gathers free slots before a lease call, and results before an upload.
GATHER_SECONDS = 0.02
MIN_BACKOFF = 0.5
MAX_BACKOFF = 5.0
EXIT_REJECTED = 2


def new_agent_id() -> str:
    host = re.sub(r"[^A-Za-z0-9._-]", "-", socket.gethostname())[:40].strip("-.") or "agent"
    return f"{host}-{os.getpid()}-{secrets.token_hex(3)}"


@dataclass(frozen=True, slots=True)
class AgentOptions:
    concurrency: int = 32
    wait_seconds: float = 20.0
    lease_seconds: float = 30.0
    heartbeat_seconds: float = 10.0
    drain_seconds: float = 10.0
    flush_seconds: float = 10.0
    # `--probe-deny`: unlike the embedded agent's, loopback is allowed by default, since a remote
    # agent is often placed to check the services of its own host.
    policy: TargetPolicy = field(default_factory=lambda: TargetPolicy.parse(REMOTE_DEFAULT))
    # added to the default sensitive names (vantage.probes.masking), comma-separated
    sensitive_names: str = ""


@dataclass(slots=True)
class _Run:
    job: LeasedJob
    task: asyncio.Task[None]
    expires: float  # time.monotonic() when the lease runs out, as far as the agent knows


class RemoteAgent:
    def __init__(self, client: AgentClient, outbox: Outbox, options: AgentOptions) -> None:
        self.client = client
        self.outbox = outbox
        self.options = options
        self.log = log.bind(agent=client.agent_id, location=client.location)
        self._slots = asyncio.Semaphore(options.concurrency)
        self._sensitive = sensitive_names(options.sensitive_names)
        self._runs: dict[str, _Run] = {}
        self._done: asyncio.Queue[Delivery | None] = asyncio.Queue()
        self._stop = asyncio.Event()
        self._exit_code = 0
        self._backoff = MIN_BACKOFF
        self._outbox_empty = asyncio.Event()

    def stop(self, reason: str = "signal") -> None:
        if not self._stop.is_set():
            self.log.info("agent stopping", reason=reason, in_flight=len(self._runs))
            self._stop.set()

    async def run(self) -> int:
        self.log.info(
            "agent started",
            concurrency=self.options.concurrency,
            probe_deny=self.options.policy.describe(),
            outbox=str(self.outbox.directory),
            outbox_pending=len(self.outbox),
        )
        leaser = asyncio.create_task(self._lease_forever(), name="agent-lease")
        keeper = asyncio.create_task(self._keep_forever(), name="agent-keep")
        deliverer = asyncio.create_task(self._deliver_forever(), name="agent-deliver")
        await self._stop.wait()

        leaser.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await leaser
        unfinished = await self._drain_runs()
        keeper.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await keeper
        self._done.put_nowait(None)
        try:
            async with asyncio.timeout(self.options.flush_seconds):
                await deliverer
        except TimeoutError:
            self.log.warning("delivery did not finish in time", outbox_pending=len(self.outbox))
        await self._release(unfinished)
        self.log.info("agent stopped", outbox_pending=len(self.outbox), code=self._exit_code)
        return self._exit_code

    # Leasing and running.

    async def _take_slots(self) -> int:
        """Free run slots to lease for: at least one. When only a few are free, wait a moment
        for more, so a busy agent makes one lease call for many jobs instead of one per job."""
        await self._slots.acquire()
        taken = 1
        want = min(MAX_BATCH, max(1, self.options.concurrency // 2))
        deadline = time.monotonic() + GATHER_SECONDS
        while taken < MAX_BATCH:
            if not self._slots.locked():
                await self._slots.acquire()  # free: returns at once
                taken += 1
                continue
            if taken >= want or time.monotonic() >= deadline:
                break
            await asyncio.sleep(GATHER_SECONDS / 4)
        return taken

    async def _lease_forever(self) -> None:
        options = self.options
        while True:
            if len(self.outbox):
                # Older results go first: a result waiting while its lease expires could be
                # overtaken by another agent's run of the same job.
                self._outbox_empty.clear()
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(1.0):
                        await self._outbox_empty.wait()
                continue
            slots = await self._take_slots()
            started = time.monotonic()
            jobs: list[LeasedJob] = []
            try:
                jobs = await self.client.lease(slots, options.wait_seconds, options.lease_seconds)
                self._backoff = MIN_BACKOFF
            except Unreachable as exc:
                self.log.warning("lease failed, server unreachable", error=str(exc))
                await self._pause()
            except Rejected as exc:
                self._rejected("lease", exc)
                await self._pause()
            finally:
                for _ in range(slots - len(jobs)):
                    self._slots.release()
            if jobs:
                self.log.info("jobs leased", count=len(jobs))
            for job in jobs:
                task = asyncio.create_task(self._run(job), name=f"run-{job.id}")
                self._runs[job.id] = _Run(job, task, started + job.lease_seconds)

    async def _pause(self) -> None:
        await asyncio.sleep(self._backoff)
        self._backoff = min(self._backoff * 2, MAX_BACKOFF)

    async def _run(self, job: LeasedJob) -> None:
        try:
            result = await run_check(
                job.check_type,
                job.config,
                policy=self.options.policy,
                sensitive=self._sensitive,
            )
            self.log.debug(
                "run finished",
                job=job.id,
                check_type=job.check_type,
                failed=result.has_failures,
                ms=round(result.response_time_ms, 1),
            )
            self._done.put_nowait(Delivery.of(job, result))
        finally:
            self._runs.pop(job.id, None)
            self._slots.release()

    async def _drain_runs(self) -> list[tuple[str, str]]:
        """Let runs in flight finish within the bound; cancel the rest and return their leases."""
        runs = list(self._runs.values())
        if runs:
            await asyncio.wait([r.task for r in runs], timeout=self.options.drain_seconds)
        unfinished = [r for r in runs if not r.task.done()]
        for run in unfinished:
            run.task.cancel()
        if unfinished:
            await asyncio.gather(*(r.task for r in unfinished), return_exceptions=True)
            self.log.warning("runs cancelled at shutdown", count=len(unfinished))
        return [(r.job.id, r.job.lease_owner) for r in unfinished]

    async def _release(self, leases: list[tuple[str, str]]) -> None:
        try:
            released = await self.client.release(leases, shutdown=True)
            self.log.info("leases released", count=released)
        except (Unreachable, Rejected) as exc:
            self.log.warning("could not release leases; they expire", error=str(exc))

    # Heartbeats and lease extension.

    async def _keep_forever(self) -> None:
        next_heartbeat = 0.0
        while True:
            now = time.monotonic()
            if now >= next_heartbeat:
                next_heartbeat = now + self.options.heartbeat_seconds
                await self._heartbeat()
            await self._extend_leases()
            await asyncio.sleep(1.0)

    async def _heartbeat(self) -> None:
        try:
            seen = await self.client.heartbeat()
            self.log.debug("heartbeat", agent_count=seen.get("agentCount"))
        except Unreachable as exc:
            self.log.warning("heartbeat failed, server unreachable", error=str(exc))
        except Rejected as exc:
            self._rejected("heartbeat", exc)

    async def _extend_leases(self) -> None:
        lease = self.options.lease_seconds
        started = time.monotonic()
        due = [r for r in self._runs.values() if r.expires - started < lease / 3]
        if not due:
            return
        try:
            extended = await self.client.extend([(r.job.id, r.job.lease_owner) for r in due], lease)
        except (Unreachable, Rejected) as exc:
            self.log.warning("lease extension failed", jobs=len(due), error=str(exc))
            return
        lost = [r.job.id for r in due if not extended.get(r.job.id)]
        for run in due:
            if extended.get(run.job.id):
                run.expires = started + lease
        self.log.info("leases extended", count=len(due) - len(lost), lost=lost or None)

    # Delivering results.

    async def _next_batch(self, timeout: float | None) -> tuple[list[Delivery], bool]:
        """Results ready to go (waiting up to `timeout` for the first); True once stopping."""
        batch: list[Delivery] = []
        try:
            async with asyncio.timeout(timeout):
                first = await self._done.get()
        except TimeoutError:
            return batch, False
        if first is None:
            return batch, True
        batch.append(first)
        # Results finishing together go in one upload: wait a moment for the rest of a wave.
        deadline = time.monotonic() + GATHER_SECONDS
        while len(batch) < MAX_BATCH:
            if self._done.empty():
                left = deadline - time.monotonic()
                if left <= 0 or self._stop.is_set():
                    break
                try:
                    async with asyncio.timeout(left):
                        item = await self._done.get()
                except TimeoutError:
                    break
            else:
                item = self._done.get_nowait()
            if item is None:
                return batch, True
            batch.append(item)
        return batch, False

    async def _deliver_forever(self) -> None:
        ending = False
        while True:
            timeout = self._backoff if len(self.outbox) else None
            if ending:
                timeout = 0
            batch, saw_end = await self._next_batch(timeout)
            ending = ending or saw_end
            await self._deliver(batch)
            if ending and self._done.empty():
                return

    async def _deliver(self, batch: list[Delivery]) -> None:
        if batch and len(self.outbox):
            await asyncio.to_thread(self.outbox.append, batch)
            batch = []
        if len(self.outbox):
            if await self._flush_outbox():
                self._backoff = MIN_BACKOFF
            else:
                self._backoff = min(self._backoff * 2, MAX_BACKOFF)
            return
        if not batch:
            return
        try:
            statuses = await self.client.submit(batch)
        except Unreachable as exc:
            self.log.warning("results kept in the outbox", count=len(batch), error=str(exc))
            await asyncio.to_thread(self.outbox.append, batch)
            return
        except asyncio.CancelledError:
            self.outbox.append(batch)
            raise
        except Rejected as exc:
            self._rejected("results", exc)
            if exc.status == 401:
                await asyncio.to_thread(self.outbox.append, batch)
            return
        self._account(batch, statuses, source="direct")

    async def _flush_outbox(self) -> bool:
        """Deliver the outbox oldest first; False if the server could not be reached."""
        while True:
            pending = await asyncio.to_thread(self.outbox.peek, MAX_BATCH)
            if not pending:
                self._outbox_empty.set()
                return True
            deliveries = [delivery for _, delivery in pending]
            try:
                statuses = await self.client.submit(deliveries)
            except Unreachable as exc:
                self.log.debug("outbox waits, server unreachable", error=str(exc))
                return False
            except Rejected as exc:
                self._rejected("results", exc)
                if exc.status == 401:
                    return False
                statuses = ["rejected"] * len(deliveries)
            await asyncio.to_thread(self.outbox.remove, [path for path, _ in pending])
            self._account(deliveries, statuses, source="outbox")

    def _account(self, batch: list[Delivery], statuses: list[str], *, source: str) -> None:
        counts: dict[str, int] = {}
        for delivery, status in zip(batch, statuses, strict=False):
            counts[status] = counts.get(status, 0) + 1
            if status == "fenced":
                self.log.info("result fenced, dropped", job=delivery.job_id)
            elif status == "rejected":
                self.log.error("result rejected by the server, dropped", job=delivery.job_id)
        self.log.info("results delivered", source=source, **counts)

    def _rejected(self, what: str, exc: Rejected) -> None:
        if exc.status == 401:
            self.log.error("agent key rejected: stopping", call=what, message=exc.message)
            self._exit_code = EXIT_REJECTED
            self.stop("agent key rejected")
        else:
            self.log.error("request rejected", call=what, status=exc.status, message=exc.message)


async def run_agent(
    server: str,
    *,
    key: str,
    location: str,
    outbox_dir: Any,
    options: AgentOptions,
    agent_id: str | None = None,
) -> int:
    """Run until SIGTERM/SIGINT; the exit code (0 after a clean stop)."""
    import logging
    import signal
    from pathlib import Path

    # The agent logs its own events; a line per HTTP request would drown them.
    logging.getLogger("httpx2").setLevel(logging.WARNING)
    outbox = Outbox(Path(outbox_dir))
    client = AgentClient(server, key=key, location=location, agent_id=agent_id or new_agent_id())
    agent = RemoteAgent(client, outbox, options)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, agent.stop, sig.name)
    try:
        return await agent.run()
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)
        await client.aclose()
        outbox.close()
