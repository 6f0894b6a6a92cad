"""The agent's side of the agent protocol (docs/agent-protocol.md), over httpx2.

Failures are sorted into what the agent does about them: `Unreachable` (connection refused or
reset, timeouts, 5xx: retry later, keep results in the outbox) and `Rejected` (401 and other 4xx:
retrying the same request cannot help).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx2

from vantage import storable
from vantage.agentapi.schemas import MAX_BODY_BYTES
from vantage.probes.result import ProbeResult
from vantage.probes.serialize import to_json

PREFIX = "/agent/v1"
# A results upload stays this far under the server's body limit: room for the envelope.
ENVELOPE_BYTES = 1024
# Texts in a result too large to deliver are cut to the first of these lengths that fits.
TRIM_CHARS = (65_536, 4_096, 256)
TOO_LARGE = "The result was too large to deliver; its detail was dropped."


def encode(value: Any) -> bytes:
    """JSON as httpx2 sends it: compact UTF-8."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()


class AgentApiError(Exception):
    pass


class Unreachable(AgentApiError):
    """The server could not be reached or failed: try again later."""


class Rejected(AgentApiError):
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
class Delivery:
    """One result to hand in: the job, the lease that ran it, and the result as JSON."""

    job_id: str
    lease_owner: str
    result: dict[str, Any]

    @classmethod
    def of(cls, job: LeasedJob, result: ProbeResult) -> Delivery:
        return cls(job.id, job.lease_owner, to_json(result))

    def wire(self) -> dict[str, Any]:
        return {"jobId": self.job_id, "leaseOwner": self.lease_owner, "result": self.result}

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


def _trimmed(value: Any, cap: int) -> Any:
    if isinstance(value, str):
        return value if len(value) <= cap else value[:cap] + "… (truncated)"
    if isinstance(value, dict):
        return {k: _trimmed(v, cap) for k, v in value.items()}
    if isinstance(value, list):
        return [_trimmed(v, cap) for v in value]
    return value


def batches(items: list[bytes], budget: int) -> Iterator[list[bytes]]:
    """Consecutive runs of encoded items whose JSON array stays within `budget` bytes."""
    run: list[bytes] = []
    size = 2  # the brackets
    for item in items:
        if run and size + len(item) + 1 > budget:
            yield run
            run, size = [], 2
        run.append(item)
        size += len(item) + 1  # the comma
    if run:
        yield run


class AgentClient:
    def __init__(
        self,
        server: str,
        *,
        key: str,
        location: str,
        agent_id: str,
        transport: httpx2.AsyncBaseTransport | None = None,
    ) -> None:
        self.location = location
        self.agent_id = agent_id
        self._http = httpx2.AsyncClient(
            base_url=server.rstrip("/"),
            headers={"Authorization": f"Bearer {key}", "User-Agent": "vantage-agent"},
            timeout=httpx2.Timeout(30.0, connect=5.0),
            transport=transport,
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _post(self, path: str, body: dict[str, Any], *, timeout: float = 30.0) -> Any:
        payload = {"agentId": self.agent_id, "location": self.location, **body}
        return await self._send(path, encode(payload), timeout=timeout)

    async def _send(self, path: str, content: bytes, *, timeout: float = 30.0) -> Any:
        headers = {"Content-Type": "application/json"}
        try:
            response = await self._http.post(
                PREFIX + path, content=content, headers=headers, timeout=timeout
            )
        except httpx2.HTTPError as exc:
            raise Unreachable(f"{type(exc).__name__}: {exc}") from exc
        if response.status_code >= 500:
            raise Unreachable(f"server answered {response.status_code}")
        if response.status_code >= 400:
            try:
                message = str(response.json().get("message", response.text))
            except ValueError:
                message = response.text
            raise Rejected(response.status_code, message)
        try:
            return response.json()
        except ValueError as exc:
            raise Unreachable("server answered with something that is not JSON") from exc

    async def lease(self, count: int, wait_seconds: float, lease_seconds: float) -> list[LeasedJob]:
        body = await self._post(
            "/lease",
            {"max": count, "waitSeconds": wait_seconds, "leaseSeconds": lease_seconds},
            timeout=wait_seconds + 15.0,
        )
        return [
            LeasedJob(
                id=job["id"],
                attempt=job["attempt"],
                lease_owner=job["leaseOwner"],
                lease_seconds=float(job["leaseSeconds"]),
                check_type=job["checkType"],
                config=job["config"],
            )
            for job in body["jobs"]
        ]

    async def extend(self, leases: list[tuple[str, str]], lease_seconds: float) -> dict[str, bool]:
        """Whether each job's lease was extended (False: it was lost)."""
        body = await self._post(
            "/leases/extend",
            {
                "leases": [{"jobId": j, "leaseOwner": o} for j, o in leases],
                "leaseSeconds": lease_seconds,
            },
        )
        return {item["jobId"]: item["status"] == "extended" for item in body["leases"]}

    async def submit(self, deliveries: list[Delivery]) -> list[str]:
        """The status of each result, in order: accepted, duplicate, fenced or rejected.

        Sent in as many uploads as the server's body limit needs. If one fails, the whole list
        counts as undelivered: resending what was already stored answers `duplicate`."""
        budget = MAX_BODY_BYTES - ENVELOPE_BYTES
        envelope = encode({"agentId": self.agent_id, "location": self.location})[:-1]
        statuses: list[str] = []
        for run in batches([d.encoded(budget) for d in deliveries], budget):
            content = envelope + b',"results":[' + b",".join(run) + b"]}"
            body = await self._send("/results", content)
            statuses += [str(item["status"]) for item in body["results"]]
        return statuses

    async def release(self, leases: list[tuple[str, str]], *, shutdown: bool = False) -> int:
        body = await self._post(
            "/release",
            {"leases": [{"jobId": j, "leaseOwner": o} for j, o in leases], "shutdown": shutdown},
            timeout=5.0,
        )
        return len(body["released"])

    async def heartbeat(self) -> dict[str, Any]:
        body: dict[str, Any] = await self._post("/heartbeat", {}, timeout=10.0)
        return body
