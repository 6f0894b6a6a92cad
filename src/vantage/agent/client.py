"""The agent protocol (docs/agent-protocol.md) over httpx2: the `ControlPlane` of `vantage agent`.

Every answer is validated against the protocol's models (vantage.agentapi.schemas) before the
agent uses it: an answer that is not the protocol's (a proxy's error page, another version) is a
`BadAnswer` naming the call and the field, retried like an outage.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, TypeVar

import httpx2
from pydantic import BaseModel, ValidationError

from vantage.agent.control import (
    TOO_LARGE,
    AgentApiError,
    BadAnswer,
    Delivery,
    Held,
    LeasedJob,
    Rejected,
    Status,
    Unreachable,
    encode,
)
from vantage.agentapi.schemas import (
    MAX_BODY_BYTES,
    ExtendAnswer,
    HeartbeatAnswer,
    LeaseAnswer,
    ReleaseAnswer,
    ResultsAnswer,
)

__all__ = [
    "TOO_LARGE",
    "AgentApiError",
    "AgentClient",
    "BadAnswer",
    "Delivery",
    "LeasedJob",
    "Rejected",
    "Unreachable",
    "batches",
]

PREFIX = "/agent/v1"
# A results upload stays this far under the server's body limit: room for the envelope.
ENVELOPE_BYTES = 1024

A = TypeVar("A", bound=BaseModel)


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


def _held(leases: Sequence[Held]) -> list[dict[str, str]]:
    return [{"jobId": h.job_id, "leaseOwner": h.lease_owner} for h in leases]


def _answer(model: type[A], path: str, body: Any) -> A:
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "the body"
        raise BadAnswer(
            f"the server's answer to {PREFIX}{path} is not the agent protocol's: "
            f"{where}: {first['msg']}"
        ) from None


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
            except (ValueError, AttributeError):
                message = response.text
            raise Rejected(response.status_code, message)
        try:
            return response.json()
        except ValueError:
            raise BadAnswer(
                f"the server's answer to {PREFIX}{path} is not JSON "
                f"({response.headers.get('content-type', 'no content type')})"
            ) from None

    async def lease(
        self, count: int, wait_seconds: float, lease_seconds: float, *, browsers: int | None = None
    ) -> list[LeasedJob]:
        path = "/lease"
        asked: dict[str, Any] = {
            "max": count,
            "waitSeconds": wait_seconds,
            "leaseSeconds": lease_seconds,
        }
        if browsers is not None:
            asked["browserCapacity"] = browsers
        body = await self._post(
            path,
            asked,
            timeout=wait_seconds + 15.0,
        )
        return [
            LeasedJob(
                id=job.id,
                attempt=job.attempt,
                lease_owner=job.leaseOwner,
                lease_seconds=job.leaseSeconds,
                check_type=job.checkType,
                config=job.config,
            )
            for job in _answer(LeaseAnswer, path, body).jobs
        ]

    async def extend(self, leases: Sequence[Held], lease_seconds: float) -> dict[str, bool]:
        path = "/leases/extend"
        body = await self._post(path, {"leases": _held(leases), "leaseSeconds": lease_seconds})
        answer = _answer(ExtendAnswer, path, body)
        return {item.jobId: item.status == "extended" for item in answer.leases}

    async def submit(self, deliveries: Sequence[Delivery]) -> list[Status]:
        """Sent in as many uploads as the server's body limit needs. If one fails, the whole list
        counts as undelivered: resending what was already stored answers `duplicate`."""
        path = "/results"
        budget = MAX_BODY_BYTES - ENVELOPE_BYTES
        envelope = encode({"agentId": self.agent_id, "location": self.location})[:-1]
        statuses: list[Status] = []
        for run in batches([d.encoded(budget) for d in deliveries], budget):
            content = envelope + b',"results":[' + b",".join(run) + b"]}"
            answer = _answer(ResultsAnswer, path, await self._send(path, content))
            if len(answer.results) != len(run):
                raise BadAnswer(
                    f"the server answered {len(answer.results)} statuses to {PREFIX}{path} "
                    f"for {len(run)} results"
                )
            statuses += [item.status for item in answer.results]
        return statuses

    async def release(self, leases: Sequence[Held], *, shutdown: bool = False) -> int:
        path = "/release"
        body = await self._post(path, {"leases": _held(leases), "shutdown": shutdown}, timeout=5.0)
        return len(_answer(ReleaseAnswer, path, body).released)

    async def heartbeat(self) -> int:
        path = "/heartbeat"
        body = await self._post(path, {}, timeout=10.0)
        return _answer(HeartbeatAnswer, path, body).agentCount
