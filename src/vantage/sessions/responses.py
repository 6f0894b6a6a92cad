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
    # Vantage's: stored after its session had ended (timed out); it did not change the session.
    late: bool = False
    # Vantage's: taken while a maintenance window covered the check; in no availability figure.
    inMaintenance: bool = False


class LocationError(_Answer):
    """A location the session waits on that cannot run it (no agent sends heartbeats)."""

    runLocation: str
    errorCode: str
    message: str


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
    # Vantage's: present only while (or when) locations without a live agent keep it waiting.
    locationErrors: list[LocationError] | None = None


class TriggeredSessions(_Answer):
    sessions: list[CheckSession]
