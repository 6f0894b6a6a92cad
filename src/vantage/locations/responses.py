"""Run locations and private locations as `/openapi.json` documents them."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict


class _Answer(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RunLocation(_Answer):
    region: str
    name: str


class AgentKey(_Answer):
    id: str
    maskedKey: str
    created_at: datetime


class NewAgentKey(AgentKey):
    """Only in the answer that created the key: the key itself."""

    rawKey: str


class AgentSeen(_Answer):
    agentId: str
    startedAt: datetime
    lastSeen: datetime
    # Counted in agentCount: its last heartbeat is recent.
    alive: bool


class LocationQueue(_Answer):
    # Runs due and not leased, runs leased, and how long the oldest waiting run has been due.
    waiting: int
    running: int
    lagSeconds: float


class PrivateLocation(_Answer):
    id: str
    name: str
    slugName: str
    icon: str
    # The first key in full in the answer that created the location, masked ever after.
    keys: list[NewAgentKey | AgentKey]
    proxyUrl: str | None
    lastSeen: datetime | None
    agentCount: int
    # Vantage's, for the operator: the agents of the last day and the location's queue.
    agents: list[AgentSeen]
    queue: LocationQueue
    created_at: datetime
    updated_at: datetime | None
