"""Request bodies of the agent API. Unknown fields are ignored, so newer agents can talk to older
servers."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from vantage.validation import bad_request

AGENT_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
MAX_WAIT_SECONDS = 20.0
MAX_LEASE_SECONDS = 300.0
MAX_BATCH = 500
# The largest request body the agent API reads (a 413 past it). Agents split result batches to
# stay under it, and shrink the rare single result that would not fit (vantage.agent.client).
MAX_BODY_BYTES = 4 * 1024 * 1024

AgentId = Field(pattern=AGENT_ID_PATTERN)


class _Body(BaseModel):
    model_config = ConfigDict(extra="ignore")


class LeaseBody(_Body):
    agentId: str = AgentId
    location: str | None = None
    max: int = Field(default=1, ge=1, le=MAX_BATCH)
    waitSeconds: float = Field(default=0.0, ge=0.0, le=MAX_WAIT_SECONDS)
    leaseSeconds: float | None = Field(default=None, ge=5.0, le=MAX_LEASE_SECONDS)


class HeldLease(_Body):
    jobId: str
    leaseOwner: str


class ExtendBody(_Body):
    agentId: str = AgentId
    location: str | None = None
    leases: list[HeldLease] = Field(max_length=MAX_BATCH)
    leaseSeconds: float | None = Field(default=None, ge=5.0, le=MAX_LEASE_SECONDS)


class ReleaseBody(_Body):
    agentId: str = AgentId
    location: str | None = None
    leases: list[HeldLease] = Field(default_factory=list, max_length=MAX_BATCH)
    # Also hand back every other lease this agent holds, and stop counting it as alive.
    shutdown: bool = False


class ResultItem(_Body):
    jobId: str
    leaseOwner: str
    # Checked item by item (vantage.probes.serialize.from_json): a bad one is `rejected` alone.
    result: Any = None


class ResultsBody(_Body):
    agentId: str = AgentId
    location: str | None = None
    results: list[ResultItem] = Field(max_length=MAX_BATCH)


class HeartbeatBody(_Body):
    agentId: str = AgentId
    location: str | None = None


M = TypeVar("M", bound=BaseModel)


def parse(model: type[M], payload: Any) -> M:
    try:
        return model.model_validate(payload if payload is not None else {})
    except ValidationError as exc:
        raise bad_request(exc) from None
