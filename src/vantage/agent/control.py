"""What an agent needs from a server: the `ControlPlane` interface, and the values it trades.

One agent loop (vantage.agent.loop) runs against three implementations:
- `LocalControlPlane` (vantage.agent.local): the queue, in the server's own process (the embedded
  agent of `vantage server`);
- `AgentClient` (vantage.agent.client): the agent protocol over HTTP(S) (`vantage agent`);
- `InMemoryControlPlane` (vantage.agent.memory): a queue in a dict, for fast unit tests.

Failures are sorted into what the agent does about them: `Unreachable` (retry later, keep the
results in the outbox) and `Rejected` (retrying the same call cannot help).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from vantage import storable
from vantage.probes.result import ProbeResult
from vantage.probes.serialize import from_json, to_json

# What the server answered for one result (docs/agent-protocol.md, `POST /agent/v1/results`).
Status = Literal["accepted", "duplicate", "fenced", "rejected"]
# Texts in a result too large to deliver are cut to the first of these lengths that fits.
TRIM_CHARS = (65_536, 4_096, 256)
TOO_LARGE = "The result was too large to deliver; its detail was dropped."


class AgentApiError(Exception):
    pass


class Unreachable(AgentApiError):
    """The server (or its database) could not be reached or failed: try again later."""


class BadAnswer(Unreachable):
    """The server answered with something that is not the agent protocol (a proxy's error page,
    an incompatible version): retried like an outage, and logged with what was wrong."""


class Rejected(AgentApiError):
    """The server refused the call (401: the agent key; other 4xx): resending cannot help."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status
        self.message = message


@dataclass(frozen=True, slots=True)
class LeasedJob:
    id: str
    attempt: int
    lease_owner: str
    lease_seconds: float
    check_type: str
    config: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Held:
    """A lease the agent holds: the job and the owner token it was leased under."""

    job_id: str
    lease_owner: str


@dataclass(frozen=True, slots=True)
class Delivery:
    """One result to hand in: the job, the lease that ran it, and the result: a `ProbeResult`
    fresh from a run, or its JSON as read back from an on-disk outbox."""

    job_id: str
    lease_owner: str
    result: ProbeResult | dict[str, Any]

    @classmethod
    def of(cls, job: LeasedJob, result: ProbeResult) -> Delivery:
        return cls(job.id, job.lease_owner, result)

    def result_json(self) -> dict[str, Any]:
        if isinstance(self.result, ProbeResult):
            return to_json(self.result)
        return self.result

    def probe_result(self) -> ProbeResult:
        """The result as a `ProbeResult`; ValueError if JSON read back is not one."""
        if isinstance(self.result, ProbeResult):
            return self.result
        return from_json(self.result)

    def wire(self) -> dict[str, Any]:
        return {"jobId": self.job_id, "leaseOwner": self.lease_owner, "result": self.result_json()}

    def encoded(self, budget: int) -> bytes:
        """The item's JSON in at most `budget` bytes: text a probe saw made storable, and a
        result too large for one upload cut down rather than refused by the server."""
        wire = self.wire()
        data = storable.clean_json(wire)
        if data is None:
            wire = storable.scrub(wire)
            data = encode(wire)
        for cap in TRIM_CHARS:
            if len(data) <= budget:
                return data
            wire["result"] = {**wire["result"], "detail": _trimmed(wire["result"]["detail"], cap)}
            data = encode(wire)
        if len(data) > budget:
            wire["result"] = {**wire["result"], "detail": {}, "error": TOO_LARGE}
            data = encode(wire)
        return data


def encode(value: Any) -> bytes:
    """JSON as the agent sends it: compact UTF-8."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()


def _trimmed(value: Any, cap: int) -> Any:
    if isinstance(value, str):
        return value if len(value) <= cap else value[:cap] + "… (truncated)"
    if isinstance(value, dict):
        return {k: _trimmed(v, cap) for k, v in value.items()}
    if isinstance(value, list):
        return [_trimmed(v, cap) for v in value]
    return value


class ControlPlane(Protocol):
    """The server as an agent of one location sees it. Every call may raise `Unreachable` or
    `Rejected`; none of them is retried here (the loop decides)."""

    @property
    def agent_id(self) -> str: ...

    @property
    def location(self) -> str: ...

    async def lease(
        self, count: int, wait_seconds: float, lease_seconds: float, *, browsers: int | None = None
    ) -> list[LeasedJob]:
        """Up to `count` jobs, waiting up to `wait_seconds` for the first (none when it ends);
        with `browsers` 0 (the agent's browser capacity), none that needs a browser."""
        ...

    async def extend(self, leases: Sequence[Held], lease_seconds: float) -> dict[str, bool]:
        """Whether each job's lease was extended (False: it was lost)."""
        ...

    async def submit(self, deliveries: Sequence[Delivery]) -> list[Status]:
        """The status of each result, in order."""
        ...

    async def release(self, leases: Sequence[Held], *, shutdown: bool = False) -> int:
        """Hand leases back; with `shutdown`, every lease of this agent. How many went back."""
        ...

    async def heartbeat(self) -> int:
        """Report the agent alive; the location's count of live agents."""
        ...
