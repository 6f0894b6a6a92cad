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


class PrivateLocation(_Answer):
    id: str
    name: str
    slugName: str
    icon: str
    # The first key in full in the answer that created the location, masked ever after.
    keys: list[NewAgentKey | AgentKey]
    lastSeen: datetime | None
    agentCount: int
    created_at: datetime
    updated_at: datetime | None
