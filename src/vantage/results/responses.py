"""Check results as `/openapi.json` documents them (Checkly's CheckResult, reference §4.3)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from vantage.api.openapi import component

Detail = dict[str, Any] | None


class CheckResult(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    name: str
    checkId: str
    hasFailures: bool
    hasErrors: bool
    isDegraded: bool
    overMaxResponseTime: bool
    isCancelled: bool
    runLocation: str
    startedAt: datetime
    stoppedAt: datetime
    created_at: datetime
    responseTime: int
    checkRunId: int
    attempts: int
    resultType: Literal["FINAL", "ATTEMPT"]
    sequenceId: str | None
    traceId: None
    errorGroupIds: list[str]
    checkSessionId: str | None
    apiCheckResult: Detail
    browserCheckResult: Detail
    multiStepCheckResult: Detail
    playwrightCheckResult: Detail
    agenticCheckResult: Detail
    tracerouteCheckResult: Detail
    grpcCheckResult: Detail
    sslCheckResult: Detail
    # Present on the results of those check types only.
    tcpCheckResult: Detail = None
    dnsCheckResult: Detail = None
    icmpCheckResult: Detail = None
    # Vantage's: taken while a maintenance window covered the check; in no availability figure.
    inMaintenance: bool = False


class CheckResultEntry(CheckResult):
    """A `/v2` entry: the fields asked for with `fields` (all of them by default)."""

    createdAt: datetime | None = None


RESULTS_PAGE: dict[str, Any] = {
    "type": "object",
    "title": "CheckResultsPage",
    "properties": {
        "length": {"type": "integer", "minimum": 0},
        # Only the fields asked for (`fields`): none is required.
        "entries": {
            "type": "array",
            "items": component("CheckResultFields", CheckResultEntry, "serialization", partial=[]),
        },
        "nextId": {"anyOf": [{"type": "string"}, {"type": "null"}]},
    },
    "required": ["length", "entries", "nextId"],
    "additionalProperties": False,
}
