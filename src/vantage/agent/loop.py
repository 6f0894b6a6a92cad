"""The agent loop: runs the checks of one location for a `ControlPlane`, whichever it is.

The embedded agent of `vantage server` (in-process), `vantage agent` (HTTP) and the unit tests
(in memory) all run this loop, so they lease, extend, heartbeat and keep results the same way.
Four tasks share the work:
- the leaser asks for as many jobs as there are free run slots (a semaphore bounds the runs in
  flight) and starts a run for each; script runs (BROWSER, MULTI_STEP) also wait for one of the
  agent's browser slots (`browser_concurrency`), so they never hold up protocol checks; the
  agent tells the server its browser capacity with each lease, and with none (no Chromium or
  @playwright/test here, or turned off) it is leased no job that needs a browser;
- the runs execute probes and queue their results;
- the deliverer hands results over in batches; what cannot be delivered (`Unreachable`) goes to
  the outbox (vantage.agent.outbox), which is drained, in order, before anything newer and before
  more leasing, retrying with backoff for as long as it takes: a result is never dropped unless
  the control plane answered for it (`fenced`, `rejected`);
- the keeper heartbeats and extends the leases of runs that get close to their expiry.

Stopping (`stop()`): leasing stops at once; runs in flight get `drain_seconds` to finish and the
rest are cancelled and their leases released; results are delivered or, if that cannot be done
within `flush_seconds`, left in the outbox. A rejected agent key (401) stops the agent with
`EXIT_REJECTED`, keeping its results in the outbox.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import structlog

from vantage.agent.control import (
    ControlPlane,
    Delivery,
    Held,
    LeasedJob,
    Rejected,
    Status,
    Unreachable,
)
from vantage.agent.outbox import OutboxStore
from vantage.probes.browser.probe import BrowserRuntime, RuntimeMissing, browser_pool_size
from vantage.probes.masking import sensitive_names
from vantage.probes.result import ProbeResult
from vantage.probes.runner import run_check
from vantage.probes.target_policy import REMOTE_DEFAULT, TargetPolicy

log = structlog.get_logger("vantage.agent")

# How long a busy agent gathers free slots before a lease call, and results before an upload.
GATHER_SECONDS = 0.02
MIN_BACKOFF_SECONDS = 0.5
# How often the keeper looks for leases to extend.
KEEP_SECONDS = 1.0
EXIT_REJECTED = 2

T = TypeVar("T")
Runner = Callable[[LeasedJob], Awaitable[ProbeResult]]


@dataclass(frozen=True, slots=True)
class AgentOptions:
    concurrency: int = 32
    # Script runs (BROWSER, MULTI_STEP) at once, out of `concurrency`; 0: one per core and per
    # 1.5 GiB of memory (vantage.probes.browser.browser_pool_size); -1: none (`browser_capacity`).
    browser_concurrency: int = 0
    wait_seconds: float = 20.0
    lease_seconds: float = 30.0
    heartbeat_seconds: float = 10.0
    drain_seconds: float = 10.0
    flush_seconds: float = 10.0
    # Most jobs one lease call takes, and results one submit carries.
    batch: int = 100
    max_backoff_seconds: float = 5.0
    policy: TargetPolicy = field(default_factory=lambda: TargetPolicy.parse(REMOTE_DEFAULT))
    # added to the default sensitive names (vantage.probes.masking), comma-separated
    sensitive_names: str = ""
    # Log each lease and delivery at info (a remote agent's own events) or at debug (the embedded
    # agent's: the server logs the requests and sessions that matter to its operator).
    log_batches: bool = True


def browser_capacity(setting: int) -> tuple[int, str | None]:
    """The browser runs this agent can hold, and why it holds none: turned off (-1), or Chromium
    or @playwright/test missing here, when a run could only fail."""
    if setting < 0:
        return 0, "turned off (browser concurrency -1)"
    try:
        BrowserRuntime.discover()
    except RuntimeMissing as exc:
        return 0, str(exc)
    return setting or browser_pool_size(), None


@dataclass(slots=True)
class _Run:
    job: LeasedJob
    task: asyncio.Task[None]
    expires: float  # time.monotonic() when the lease runs out, as far as the agent knows


class Agent:
    def __init__(
        self,
        control: ControlPlane,
        outbox: OutboxStore,
        options: AgentOptions,
        *,
        runner: Runner | None = None,
    ) -> None:
        self.control = control
        self.outbox = outbox
        self.options = options
        self.log = log.bind(agent=control.agent_id, location=control.location)
        self._note = self.log.info if options.log_batches else self.log.debug
        self._runner = runner or self._probe
        self._slots = asyncio.Semaphore(options.concurrency)
        self.browser_capacity, self._no_browser = browser_capacity(options.browser_concurrency)
        # At least one slot: a server that predates `browserCapacity` may still lease a browser
        # job to an agent without a browser, whose run then ends at once with the reason.
        self._browsers = asyncio.Semaphore(max(1, self.browser_capacity))
        self._sensitive = sensitive_names(options.sensitive_names)
        self._runs: dict[str, _Run] = {}
        self._done: asyncio.Queue[Delivery | None] = asyncio.Queue()
        self._stop = asyncio.Event()
        self._exit_code = 0
        self._min_backoff = min(MIN_BACKOFF_SECONDS, options.max_backoff_seconds)
        self._backoff = self._min_backoff
        self._outbox_empty = asyncio.Event()

    @property
    def in_flight(self) -> int:
        return len(self._runs)

    def stop(self, reason: str = "signal") -> None:
        if not self._stop.is_set():
            self.log.info("agent stopping", reason=reason, in_flight=len(self._runs))
            self._stop.set()

    async def run(self) -> int:
        """Run until `stop()`; the exit code (0 after a clean stop). Cancelled, the agent stops
        at once: runs in flight are cancelled and released, finished results still delivered."""
        self.log.info(
            "agent started",
            concurrency=self.options.concurrency,
            browser_concurrency=self.browser_capacity,
            no_browser=self._no_browser,
            probe_deny=self.options.policy.describe(),
            outbox=str(getattr(self.outbox, "directory", "memory")),
            outbox_pending=len(self.outbox),
        )
        leaser = asyncio.create_task(self._lease_forever(), name="agent-lease")
        keeper = asyncio.create_task(self._keep_forever(), name="agent-keep")
        deliverer = asyncio.create_task(self._deliver_forever(), name="agent-deliver")
        cancelled = False
        try:
            await self._stop.wait()
        except asyncio.CancelledError:
            cancelled = True
            self.stop("cancelled")
        await _cancelled(leaser)
        unfinished = await self._drain_runs(0.0 if cancelled else self.options.drain_seconds)
        await _cancelled(keeper)
        self._done.put_nowait(None)
        try:
            async with asyncio.timeout(self.options.flush_seconds):
                await deliverer
        except TimeoutError:
            self.log.warning("delivery did not finish in time", outbox_pending=len(self.outbox))
        await self._release(unfinished)
        self.log.info("agent stopped", outbox_pending=len(self.outbox), code=self._exit_code)
        if cancelled:
            raise asyncio.CancelledError
        return self._exit_code

    async def _io(self, call: Callable[..., T], *args: Any) -> T:
        """An outbox call: in a thread when it touches the disk."""
        if self.outbox.blocking:
            return await asyncio.to_thread(call, *args)
        return call(*args)

    # Leasing and running.

    async def _take_slots(self) -> int:
        """Free run slots to lease for: at least one. When only a few are free, wait a moment
        for more, so a busy agent makes one lease call for many jobs instead of one per job.
        It waits for every slot (up to a batch), not half: each lease call costs the server a
        request and a write transaction whatever its size, and runs of a few milliseconds free
        the other half within the moment."""
        await self._slots.acquire()
        taken = 1
        most = self.options.batch
        want = min(most, self.options.concurrency)
        deadline = time.monotonic() + GATHER_SECONDS
        while taken < most:
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
                jobs = await self.control.lease(
                    slots,
                    options.wait_seconds,
                    options.lease_seconds,
                    browsers=self.browser_capacity,
                )
                self._backoff = self._min_backoff
            except Unreachable as exc:
                self.log.warning("lease failed, server unreachable", error=str(exc))
                await self._pause()
            except Rejected as exc:
                self._rejected("lease", exc)
                await self._pause()
            except Exception:
                # A fault of this process (a bug), not the server's: log it and keep leasing.
                self.log.exception("lease failed")
                await self._pause()
            finally:
                for _ in range(slots - len(jobs)):
                    self._slots.release()
            if jobs:
                self._note("jobs leased", count=len(jobs))
            for job in jobs:
                task = asyncio.create_task(self._run(job), name=f"run-{job.id}")
                self._runs[job.id] = _Run(job, task, started + job.lease_seconds)

    async def _pause(self) -> None:
        await asyncio.sleep(self._backoff)
        self._backoff = min(self._backoff * 2, self.options.max_backoff_seconds)

    async def _probe(self, job: LeasedJob) -> ProbeResult:
        return await run_check(
            job.check_type,
            job.config,
            policy=self.options.policy,
            sensitive=self._sensitive,
            browsers=self._browsers,
        )

    async def _run(self, job: LeasedJob) -> None:
        try:
            result = await self._runner(job)
            self.log.debug(
                "run finished",
                job=job.id,
                check_type=job.check_type,
                failed=result.has_failures,
                ms=round(result.response_time_ms, 1),
            )
            self._done.put_nowait(Delivery.of(job, result))
        except Exception:
            # A probe that raises is a bug: its lease expires and the job runs again.
            self.log.exception("run crashed", job=job.id, check_type=job.check_type)
        finally:
            self._runs.pop(job.id, None)
            self._slots.release()

    async def _drain_runs(self, seconds: float) -> list[Held]:
        """Let runs in flight finish within `seconds`; cancel the rest and return their leases."""
        runs = list(self._runs.values())
        if runs and seconds > 0:
            await asyncio.wait([r.task for r in runs], timeout=seconds)
        unfinished = [r for r in runs if not r.task.done()]
        for run in unfinished:
            run.task.cancel()
        if unfinished:
            await asyncio.gather(*(r.task for r in unfinished), return_exceptions=True)
            self.log.warning("runs cancelled at shutdown", count=len(unfinished))
        return [Held(r.job.id, r.job.lease_owner) for r in unfinished]

    async def _release(self, leases: list[Held]) -> None:
        try:
            released = await self.control.release(leases, shutdown=True)
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
            await asyncio.sleep(min(KEEP_SECONDS, self.options.heartbeat_seconds))

    async def _heartbeat(self) -> None:
        try:
            agents = await self.control.heartbeat()
            self.log.debug("heartbeat", agent_count=agents)
        except Unreachable as exc:
            self.log.warning("heartbeat failed, server unreachable", error=str(exc))
        except Rejected as exc:
            self._rejected("heartbeat", exc)
        except Exception:
            self.log.exception("heartbeat failed")

    async def _extend_leases(self) -> None:
        lease = self.options.lease_seconds
        started = time.monotonic()
        due = [r for r in self._runs.values() if r.expires - started < lease / 3]
        if not due:
            return
        try:
            extended = await self.control.extend(
                [Held(r.job.id, r.job.lease_owner) for r in due], lease
            )
        except (Unreachable, Rejected) as exc:
            self.log.warning("lease extension failed", jobs=len(due), error=str(exc))
            return
        except Exception:
            self.log.exception("lease extension failed", jobs=len(due))
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
        while len(batch) < self.options.batch:
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
                if len(self.outbox) and not self.outbox.durable and not self._exit_code:
                    # Stopping with results that only memory holds: keep trying until the
                    # flush_seconds end. A durable outbox keeps them for the next start.
                    await asyncio.sleep(self._backoff)
                    continue
                return

    async def _deliver(self, batch: list[Delivery]) -> None:
        if batch and len(self.outbox):
            await self._io(self.outbox.append, batch)
            batch = []
        if len(self.outbox):
            if await self._flush_outbox():
                self._backoff = self._min_backoff
            else:
                self._backoff = min(self._backoff * 2, self.options.max_backoff_seconds)
            return
        if not batch:
            return
        try:
            statuses = await self.control.submit(batch)
        except Unreachable as exc:
            self.log.warning("results kept in the outbox", count=len(batch), error=str(exc))
            await self._io(self.outbox.append, batch)
            return
        except asyncio.CancelledError:
            self.outbox.append(batch)
            raise
        except Rejected as exc:
            self._rejected("results", exc)
            if exc.status == 401:
                await self._io(self.outbox.append, batch)
            return
        except Exception:
            # Not answered for: kept, like an outage's results.
            self.log.exception("results kept in the outbox", count=len(batch))
            await self._io(self.outbox.append, batch)
            return
        self._account(batch, statuses, source="direct")

    async def _flush_outbox(self) -> bool:
        """Deliver the outbox oldest first; False if the server could not be reached."""
        while True:
            pending = await self._io(self.outbox.peek, self.options.batch)
            if not pending:
                self._outbox_empty.set()
                return True
            deliveries = [delivery for _, delivery in pending]
            try:
                statuses = await self.control.submit(deliveries)
            except Unreachable as exc:
                self.log.debug("outbox waits, server unreachable", error=str(exc))
                return False
            except Exception:
                self.log.exception("outbox delivery failed")
                return False
            except Rejected as exc:
                self._rejected("results", exc)
                if exc.status == 401:
                    return False
                statuses = ["rejected" for _ in deliveries]
            await self._io(self.outbox.remove, [key for key, _ in pending])
            self._account(deliveries, statuses, source="outbox")

    def _account(self, batch: list[Delivery], statuses: list[Status], *, source: str) -> None:
        counts: dict[str, int] = {}
        for delivery, status in zip(batch, statuses, strict=False):
            counts[status] = counts.get(status, 0) + 1
            if status == "fenced":
                self.log.info("result fenced, dropped", job=delivery.job_id)
            elif status == "rejected":
                self.log.error("result rejected by the server, dropped", job=delivery.job_id)
        self._note("results delivered", source=source, **counts)

    def _rejected(self, what: str, exc: Rejected) -> None:
        if exc.status == 401:
            self.log.error("agent key rejected: stopping", call=what, message=exc.message)
            self._exit_code = EXIT_REJECTED
            self.stop("agent key rejected")
        else:
            self.log.error("request rejected", call=what, status=exc.status, message=exc.message)


async def _cancelled(task: asyncio.Task[Any]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
