"""Check sessions as `/openapi.json` documents them (Checkly's CheckSession, reference §3.2)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from vantage.sessions.state import Status


class _Answer(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SessionResult(_Answer):
    checkResultId: str
    checkResultLink: str
    checkId: str
    checkType: str
    name: str
    runLocation: str
    resultType: str
    sequenceId: str | None
    attempts: int
    hasErrors: bool
    hasFailures: bool
    isDegraded: bool
    aborted: bool
    isCancelled: bool
    responseTime: int | None
    startedAt: datetime | None
    stoppedAt: datetime | None


class CheckSession(_Answer):
    checkSessionId: str
    checkSessionLink: str
    checkId: str
    checkType: str
    name: str
    # v1 shows CANCELLED as TIMED_OUT.
    status: Status
    startedAt: datetime
    stoppedAt: datetime | None
    timeElapsed: int
    runLocations: list[str]
    runSource: str


class CheckSessionWithResults(CheckSession):
    results: list[SessionResult]


class TriggeredSessions(_Answer):
    sessions: list[CheckSession]
