"""Test sessions' bodies as `/openapi.json` documents them: what the Checkly CLI sends, reads."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from vantage.checks.schemas import RetryStrategy


class _Answer(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Sent(BaseModel):
    # The CLI sends more than Vantage reads (repoInfo, environment, sharedFiles, ...).
    model_config = ConfigDict(extra="allow")


class RunLocation(_Sent):
    type: Literal["PUBLIC", "PRIVATE"]
    region: str | None = None
    slugName: str | None = None


class SourceInfo(_Sent):
    checkRunSuiteId: str = Field(min_length=1)
    checkRunId: str | None = None


class CheckRunJob(_Sent):
    """A check construct's synthesis (as `POST /v1/checks` takes it) plus its run's fields."""

    checkType: Literal["API", "URL", "TCP", "DNS", "ICMP", "BROWSER", "MULTI_STEP"]
    logicalId: str = Field(min_length=1)
    name: str
    sourceInfo: SourceInfo
    filePath: str | None = None
    group: dict[str, Any] | None = None
    testRetryStrategy: RetryStrategy | None = None


class RunBody(_Sent):
    name: str | None = None
    checkRunJobs: list[CheckRunJob] = Field(min_length=1)
    runLocation: RunLocation | None = None
    shouldRecord: bool = True
    # `pw-test --stream-logs`: each result's log lines come first as `stream-logs` publications.
    streamLogs: bool = False


class TriggerBody(_Sent):
    checkRunSuiteId: str = Field(min_length=1)
    name: str | None = None
    targetTags: list[list[str]] = []
    checkId: list[str] | None = None
    runLocation: RunLocation | None = None
    shouldRecord: bool = True
    environmentVariables: list[dict[str, Any]] | None = None
    testRetryStrategy: RetryStrategy | None = None


UUID_PATTERN = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
Tag = Annotated[str, Field(min_length=1)]


class Target(_Sent):
    """Which deployed checks `POST /v1/test-sessions/trigger` runs: tags OR-of-ANDs and ids."""

    matchTags: list[list[Tag]] | None = None
    checkId: list[Annotated[str, Field(pattern=UUID_PATTERN)]] | None = None
    allowDeactivated: bool = False


class SessionVariable(_Sent):
    key: str = Field(min_length=1)
    value: str | None
    secret: bool = False
    locked: bool = False


class PublicTriggerBody(_Sent):
    """`POST /v1/test-sessions/trigger`, Checkly's public form of `checkly trigger`."""

    name: str = Field(min_length=1)
    # A public region's code or a private location's slug.
    runLocation: str = Field(min_length=1)
    target: Target | None = None
    environmentVariables: list[SessionVariable] | None = Field(default=None, max_length=50)
    retryStrategy: RetryStrategy | None = None
    # Accepted as Checkly takes them; Vantage installs no dependencies and keeps no git metadata.
    refreshCache: bool = False
    metadata: dict[str, Any] | None = None


class Started(_Answer):
    testSessionId: str
    schedulingId: str | None = None
    sequenceIds: dict[str, str]
    testResultIds: dict[str, str]


class TriggeredCheck(_Answer):
    id: str | None
    name: str
    checkType: str


class Triggered(Started):
    checks: list[TriggeredCheck]


class Scheduling(_Answer):
    schedulingId: str
    testSessionId: str
    status: Literal["SUCCEEDED"]
    checksTotal: int
    error: None
    createdAt: str
    startedAt: str
    endedAt: str


class TestSessionResult(_Answer):
    testSessionResultId: str
    checkId: str
    logicalId: str | None
    checkType: str
    name: str
    runLocation: str
    resultType: Literal["FINAL"] | None
    status: str
    hasErrors: bool
    hasFailures: bool
    isDegraded: bool
    aborted: bool
    errorGroupIds: list[str]


class TestSession(_Answer):
    testSessionId: str
    testSessionLink: str
    name: str
    status: Literal["RUNNING", "PASSED", "FAILED", "CANCELLED"]
    startedAt: str
    stoppedAt: str | None
    timeElapsed: int | None
    metadata: dict[str, Any]
    errorGroupIds: list[str]
    results: list[TestSessionResult]


class TestSessionEntry(_Answer):
    id: str
    name: str
    provider: str
    status: Literal["RUNNING", "PASSED", "FAILED", "CANCELLED"]
    region: str
    startedAt: str
    stoppedAt: str | None
    created_at: str
    passed: list[str]
    failed: list[str]
    running: list[str]
    cancelled: list[str]
    invoker: dict[str, str]


class TestSessionPage(_Answer):
    length: int
    entries: list[TestSessionEntry]
    nextId: str | None


class Link(_Answer):
    link: str


class ResultLinks(_Answer):
    testResultLink: str
    testTraceLinks: list[str]
    videoLinks: list[str]
    screenshotLinks: list[str]


class BundleKey(_Answer):
    key: str
