"""The agent API's answers as `/openapi.json` documents them (docs/agent-protocol.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict


class _Answer(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LeasedJob(_Answer):
    id: str
    attempt: int
    leaseOwner: str
    leaseExpiresAt: datetime | None
    leaseSeconds: float
    checkType: str
    checkId: str
    sessionId: str | None
    # The check as its group makes it, for the agent to run.
    config: dict[str, Any]


class LeaseAnswer(_Answer):
    jobs: list[LeasedJob]
    serverTime: datetime


class ExtendedLease(_Answer):
    jobId: str
    status: Literal["extended", "lost"]
    leaseExpiresAt: datetime | None
    leaseSeconds: float


class ExtendAnswer(_Answer):
    leases: list[ExtendedLease]


class ReleaseAnswer(_Answer):
    released: list[str]


class ResultStatus(_Answer):
    jobId: str
    status: Literal["accepted", "duplicate", "fenced", "rejected"]
    resultId: str | None = None
    # Why a `rejected` item was refused.
    message: str | None = None


class ResultsAnswer(_Answer):
    results: list[ResultStatus]


class HeartbeatAnswer(_Answer):
    location: str
    agentId: str
    lastSeen: datetime
    agentCount: int
    serverTime: datetime
