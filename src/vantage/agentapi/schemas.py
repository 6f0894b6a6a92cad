"""The agent API's bodies in both directions (docs/agent-protocol.md): what agents send, and what
the server answers. The server builds its answers from these models and the agent validates what
it receives against them, so the protocol is written down once. Unknown fields are ignored either
way, so newer agents can talk to older servers and the other way round."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, ValidationError, WithJsonSchema

from vantage.timeutil import iso
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
    # Browser runs the agent can hold at once: with 0 it is leased no BROWSER, MULTI_STEP or
    # PLAYWRIGHT job. Agents that predate the field send none and are leased every kind.
    browserCapacity: int | None = Field(default=None, ge=0)


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


# Answers. Timestamps go out as Checkly's (milliseconds and `Z`); any ISO-8601 form is read.
Timestamp = Annotated[
    datetime,
    PlainSerializer(iso, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]


class _Answer(BaseModel):
    model_config = ConfigDict(extra="ignore")


class LeasedJob(_Answer):
    id: str
    attempt: int
    leaseOwner: str
    leaseExpiresAt: Timestamp | None
    leaseSeconds: float
    checkType: str
    checkId: str
    sessionId: str | None
    # The check as its group makes it, for the agent to run.
    config: dict[str, Any]


class LeaseAnswer(_Answer):
    jobs: list[LeasedJob]
    serverTime: Timestamp


class ExtendedLease(_Answer):
    jobId: str
    status: Literal["extended", "lost"]
    leaseExpiresAt: Timestamp | None
    leaseSeconds: float


class ExtendAnswer(_Answer):
    leases: list[ExtendedLease]


class ReleaseAnswer(_Answer):
    released: list[str]


class ResultStatus(_Answer):
    jobId: str
    status: Literal["accepted", "duplicate", "fenced", "rejected"]
    # Sent only when set (`exclude_none`): accepted and duplicate items carry it.
    resultId: str | None = None
    # Why a `rejected` item was refused.
    message: str | None = None


class ResultsAnswer(_Answer):
    results: list[ResultStatus]


class HeartbeatAnswer(_Answer):
    location: str
    agentId: str
    lastSeen: Timestamp
    agentCount: int
    serverTime: Timestamp


M = TypeVar("M", bound=BaseModel)


def parse(model: type[M], payload: Any) -> M:
    try:
        return model.model_validate(payload if payload is not None else {})
    except ValidationError as exc:
        raise bad_request(exc) from None
