"""`InMemoryControlPlane`: the server's side of the agent protocol in a few dicts, for fast tests of
the agent loop (procrastinate's `InMemoryConnector` habit). It keeps the protocol's rules that an
agent can observe: leases expire and are fenced by their owner token, a result is taken once per
job (`duplicate` after), `release(shutdown=True)` hands back every lease of the agent. Faults are
switched on by the test: `down` (every call `Unreachable`), `key_revoked` (every call a 401),
`error` (every call raises it).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from vantage.agent.control import Delivery, Held, LeasedJob, Rejected, Status, Unreachable
from vantage.probes.result import ProbeResult
from vantage.queue.service import BROWSER_TYPES


@dataclass(slots=True)
class MemoryJob:
    id: str
    check_type: str
    config: dict[str, Any]
    attempt: int = 1
    owner: str | None = None
    expires: float = 0.0  # time.monotonic()
    leases: int = 0


@dataclass(slots=True)
class InMemoryControlPlane:
    agent_id: str = "agent-1"
    location: str = "memory"
    down: bool = False
    key_revoked: bool = False
    # Raised by every call: a fault that is neither an outage nor a refusal (a bug).
    error: Exception | None = None
    jobs: dict[str, MemoryJob] = field(default_factory=dict)
    # What was stored, by job id, in the order it arrived.
    results: dict[str, ProbeResult] = field(default_factory=dict)
    # Every call the agent made, by name (`lease`, `extend`, `submit`, `release`, `heartbeat`).
    calls: dict[str, int] = field(default_factory=dict)
    # Every submit's statuses, in order.
    answers: list[list[Status]] = field(default_factory=list)
    released: list[str] = field(default_factory=list)
    # The browser capacity the agent stated in its last lease call.
    browser_capacity: int | None = None
    _ids: itertools.count[int] = field(default_factory=itertools.count)
    _work: asyncio.Event = field(default_factory=asyncio.Event)

    def add(self, check_type: str = "API", **config: Any) -> str:
        """Queue a job; its id."""
        job_id = f"job-{next(self._ids)}"
        self.jobs[job_id] = MemoryJob(job_id, check_type, {"checkType": check_type, **config})
        self._work.set()
        return job_id

    def leased(self) -> list[str]:
        now = time.monotonic()
        return [j.id for j in self.jobs.values() if j.owner is not None and j.expires > now]

    def _call(self, name: str) -> None:
        self.calls[name] = self.calls.get(name, 0) + 1
        if self.down:
            raise Unreachable("the control plane is down")
        if self.key_revoked:
            raise Rejected(401, "Bad agent key")
        if self.error is not None:
            raise self.error

    def _free(self, now: float, browsers: bool = True) -> list[MemoryJob]:
        return [
            j
            for j in self.jobs.values()
            if (j.owner is None or j.expires <= now)
            and (browsers or j.check_type not in BROWSER_TYPES)
        ]

    async def lease(
        self, count: int, wait_seconds: float, lease_seconds: float, *, browsers: int | None = None
    ) -> list[LeasedJob]:
        self._call("lease")
        self.browser_capacity = browsers
        deadline = time.monotonic() + wait_seconds
        while not self._free(time.monotonic(), browsers != 0):
            self._work.clear()
            left = deadline - time.monotonic()
            if left <= 0:
                return []
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(min(left, 0.05)):  # leases also expire unannounced
                    await self._work.wait()
            if self.down:
                raise Unreachable("the control plane went down")
        now = time.monotonic()
        token = f"{self.agent_id}/{next(self._ids)}"
        out = []
        for job in self._free(now, browsers != 0)[:count]:
            job.owner, job.expires = token, now + lease_seconds
            job.leases += 1
            out.append(
                LeasedJob(job.id, job.attempt, token, lease_seconds, job.check_type, job.config)
            )
        return out

    def _holds(self, held: Held) -> MemoryJob | None:
        job = self.jobs.get(held.job_id)
        return job if job is not None and job.owner == held.lease_owner else None

    async def extend(self, leases: Sequence[Held], lease_seconds: float) -> dict[str, bool]:
        self._call("extend")
        out = {}
        for held in leases:
            job = self._holds(held)
            if job is not None:
                job.expires = time.monotonic() + lease_seconds
            out[held.job_id] = job is not None
        return out

    async def submit(self, deliveries: Sequence[Delivery]) -> list[Status]:
        self._call("submit")
        statuses: list[Status] = []
        for delivery in deliveries:
            if delivery.job_id in self.results:
                statuses.append("duplicate")
                continue
            job = self._holds(Held(delivery.job_id, delivery.lease_owner))
            if job is None:
                statuses.append("fenced")
                continue
            self.results[job.id] = delivery.probe_result()
            del self.jobs[job.id]
            statuses.append("accepted")
        self.answers.append(statuses)
        return statuses

    async def release(self, leases: Sequence[Held], *, shutdown: bool = False) -> int:
        self._call("release")
        held = {(h.job_id, h.lease_owner) for h in leases}
        count = 0
        for job in self.jobs.values():
            mine = job.owner is not None and job.owner.startswith(f"{self.agent_id}/")
            if (job.id, job.owner) in held or (shutdown and mine):
                job.owner, job.expires = None, 0.0
                self.released.append(job.id)
                count += 1
        if count:
            self._work.set()
        return count

    async def heartbeat(self) -> int:
        self._call("heartbeat")
        return 1
