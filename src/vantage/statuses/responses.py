"""Check statuses as `/openapi.json` documents them."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict


class CheckStatus(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    checkId: str
    hasFailures: bool
    hasErrors: bool
    isDegraded: bool
    longestRun: int | None
    shortestRun: int | None
    lastRunLocation: str | None
    lastCheckRunId: str | None
    sslDaysRemaining: int | None
    created_at: datetime
    updated_at: datetime | None
