"""The runtimes (and error groups) as `/openapi.json` documents them."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict


class Runtime(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    multiStepSupport: bool
    nodeJsVersion: str
    stage: Literal["ALPHA", "BETA", "CURRENT", "DEPRECATED", "REMOVED", "STABLE"]
    default: bool
    description: str
    dependencies: dict[str, str]


class _Recurring(BaseModel):
    """What both kinds of error group say of the error they group."""

    id: str
    errorHash: str
    rawErrorMessage: str | None
    cleanedErrorMessage: str
    firstSeen: str
    lastSeen: str
    archivedUntilNextEvent: bool


class ErrorGroup(_Recurring):
    """A check's recurring error: what `GET`/`PATCH /v1/error-groups/{id}` would answer."""

    checkId: str


class TestSessionErrorGroup(_Recurring):
    """A test session's recurring error: what `/v1/test-session-error-groups/{id}` would answer."""

    projectId: str | None = None
    environments: list[str] | None
    pwtMetadata: list[dict[str, Any]] | None


class ErrorGroupPatch(BaseModel):
    """What archiving an error group sends; either flag, or neither."""

    model_config = ConfigDict(extra="forbid")

    archiveForEver: bool | None = None
    archivedUntilNextEvent: bool | None = None


# Vantage groups no errors yet: the list is always empty.
ErrorGroups = list[dict[str, Any]]
