"""Checks as Checkly's JSON: field names, defaults and limits of its public API (reference §5).

Models validate what a client sends; `model_dump(mode="json")` of a validated model is what is
stored as the check's config and returned, so defaults show exactly as Checkly shows them.
"""

from __future__ import annotations

import types
from typing import Annotated, Any, ClassVar, Literal, Union, get_args, get_origin

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from vantage.checks.regex import Regex
from vantage.checks.urls import ApiUrl, RunnableUrl
from vantage.heartbeats.periods import MAX_SECONDS, MIN_PERIOD_SECONDS, seconds
from vantage.probes.comparisons import Comparison, IcmpComparison, TcpComparison, UrlComparison
from vantage.probes.defaults import RESPONSE_TIMES
from vantage.runtimes.catalog import RuntimeId

Frequency = Literal[0, 1, 2, 5, 10, 15, 30, 60, 120, 180, 360, 720, 1440]
FREQUENCIES: tuple[int, ...] = get_args(Frequency)
HttpMethod = Literal["GET", "POST", "PUT", "HEAD", "DELETE", "PATCH"]
IpFamily = Literal["IPv4", "IPv6"]


# Limits of lists and long strings. Checkly documents few of its own (alert channel
# subscriptions: 100); these hold every real check while keeping one check's stored JSON, which
# every list answer echoes, small. A list's length is checked before its items are validated.
MAX_TAGS = 100
MAX_LOCATIONS = 100
MAX_KEY_VALUES = 100
MAX_ASSERTIONS = 100
MAX_SUBSCRIPTIONS = 100
MAX_TEXT = 10_000
MAX_BODY_CHARS = 100_000
MAX_SCRIPT_CHARS = 100_000

Text = Annotated[str, Field(max_length=MAX_TEXT)]
Tag = Annotated[str, Field(min_length=1, max_length=100)]
LocationSlug = Annotated[str, Field(min_length=1, max_length=100)]
Script = Annotated[str, Field(max_length=MAX_SCRIPT_CHARS)]
# Ids of other objects (snippets, alert channels), bounded to what an int64 column holds.
ObjectId = Annotated[int, Field(ge=0, le=2**53 - 1)]


def _target_as_text(value: Any) -> Any:
    # Checkly stores targets as strings, but clients send `200` as often as `"200"`.
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return value


TARGET_INPUT = {
    "anyOf": [{"type": "string", "maxLength": MAX_TEXT}, {"type": "number"}, {"type": "boolean"}]
}
Target = Annotated[
    str,
    BeforeValidator(_target_as_text),
    Field(max_length=MAX_TEXT),
    WithJsonSchema(TARGET_INPUT, mode="validation"),
]


def _allows_null(annotation: Any) -> bool:
    return get_origin(annotation) in (Union, types.UnionType) and type(None) in get_args(annotation)


class Wire(BaseModel):
    """A Checkly request object. Unknown keys are refused, naming the key, as Checkly's Joi
    schemas refuse them; but the keys in `IGNORED` (read-only fields clients echo back, and the
    keys Checkly's own clients send that Checkly drops) are dropped, and `null` for a field that
    has a default and is not nullable means that default: Go clients send `null` for an empty
    list."""

    model_config = ConfigDict(extra="forbid")
    IGNORED: ClassVar[frozenset[str]] = frozenset()
    # Fields where `null` is read as "not given" (computed once per class).
    NULL_MEANS_DEFAULT: ClassVar[frozenset[str]] = frozenset()
    # Fields that can never be null: in a partial update, `null` there keeps the stored value.
    NOT_NULLABLE: ClassVar[frozenset[str]] = frozenset()

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        cls.NOT_NULLABLE = frozenset(
            name for name, info in cls.model_fields.items() if not _allows_null(info.annotation)
        )
        cls.NULL_MEANS_DEFAULT = frozenset(
            name for name in cls.NOT_NULLABLE if not cls.model_fields[name].is_required()
        )

    @model_validator(mode="before")
    @classmethod
    def _lenient(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        return {
            key: item
            for key, item in value.items()
            if key not in cls.IGNORED and not (item is None and key in cls.NULL_MEANS_DEFAULT)
        }


# The Go SDK's assertion carries the editor state of Checkly's web UI; Checkly drops it.
ASSERTION_UI_KEYS = frozenset({"edit", "order", "arrayIndex", "arraySelector"})


class KeyValue(Wire):
    key: Annotated[str, Field(max_length=1024)]
    value: Text = ""
    locked: bool = False


class BasicAuth(Wire):
    username: Annotated[str, Field(max_length=1024)]
    password: Annotated[str, Field(max_length=1024)]


class ApiAssertion(Wire):
    IGNORED = ASSERTION_UI_KEYS

    source: Literal["STATUS_CODE", "JSON_BODY", "HEADERS", "TEXT_BODY", "RESPONSE_TIME"]
    comparison: Comparison
    property: str = ""
    target: Target = ""
    regex: Regex | None = None


class UrlAssertion(Wire):
    IGNORED = ASSERTION_UI_KEYS

    source: Literal["STATUS_CODE"]
    comparison: UrlComparison
    property: str = ""
    target: Target = ""
    regex: Regex | None = None


class ApiRequest(Wire):
    method: HttpMethod
    url: ApiUrl
    followRedirects: bool = True
    skipSSL: bool = False
    ipFamily: IpFamily = "IPv4"
    body: Annotated[str, Field(max_length=MAX_BODY_CHARS)] = ""
    bodyType: Literal["JSON", "FORM", "RAW", "GRAPHQL", "NONE"] = "NONE"
    headers: list[KeyValue] = Field(default_factory=list, max_length=MAX_KEY_VALUES)
    queryParameters: list[KeyValue] = Field(default_factory=list, max_length=MAX_KEY_VALUES)
    assertions: list[ApiAssertion] = Field(default_factory=list, max_length=MAX_ASSERTIONS)
    basicAuth: BasicAuth | None = None


class UrlRequest(Wire):
    # The Go SDK sends a URL monitor's request as a full API request; Checkly drops the rest.
    IGNORED = frozenset({"body", "bodyType", "headers", "queryParameters", "basicAuth"})

    method: Literal["GET"] = "GET"
    url: RunnableUrl
    followRedirects: bool = True
    skipSSL: bool = False
    ipFamily: IpFamily = "IPv4"
    assertions: list[UrlAssertion] = Field(default_factory=list, max_length=MAX_ASSERTIONS)


class RunBasedEscalation(Wire):
    failedRunThreshold: Annotated[int, Field(ge=1, le=5)] = 1


class TimeBasedEscalation(Wire):
    minutesFailingThreshold: Literal[5, 10, 15, 30] = 5


class Reminders(Wire):
    amount: Literal[0, 1, 2, 3, 4, 5, 100000] = 0
    interval: Literal[1, 2, 3, 4, 5, 10, 15, 30] = 5


class ParallelRunFailureThreshold(Wire):
    enabled: bool = False
    percentage: Literal[10, 20, 30, 40, 50, 60, 70, 80, 90, 100] = 10


class SslCertificates(Wire):
    enabled: bool = False
    alertThreshold: Annotated[int, Field(ge=1, le=30)] = 30


class AlertSettings(Wire):
    escalationType: Literal["RUN_BASED", "TIME_BASED"] = "RUN_BASED"
    runBasedEscalation: RunBasedEscalation = Field(default_factory=RunBasedEscalation)
    timeBasedEscalation: TimeBasedEscalation = Field(default_factory=TimeBasedEscalation)
    reminders: Reminders = Field(default_factory=Reminders)
    parallelRunFailureThreshold: ParallelRunFailureThreshold = Field(
        default_factory=ParallelRunFailureThreshold
    )
    sslCertificates: SslCertificates = Field(default_factory=SslCertificates)


class RetryStrategy(Wire):
    type: Literal["FIXED", "LINEAR", "EXPONENTIAL", "SINGLE_RETRY", "NO_RETRIES"]
    baseBackoffSeconds: Annotated[int, Field(ge=0, le=900)] = 60
    maxRetries: Annotated[int, Field(ge=0, le=10)] = 2
    maxDurationSeconds: Annotated[int, Field(ge=0, le=600)] = 600
    sameRegion: bool = True
    onlyOn: list[Literal["NETWORK_ERROR"]] | None = None


class AlertChannelSubscription(Wire):
    alertChannelId: ObjectId
    activated: bool = True


class TriggerIncident(Wire):
    serviceId: Annotated[str, Field(max_length=100)]
    severity: Literal["CRITICAL", "MAJOR", "MEDIUM", "MINOR"]
    name: Annotated[str, Field(max_length=500)]
    description: Text
    notifySubscribers: bool


class EnvironmentVariable(Wire):
    key: Annotated[str, Field(min_length=1, max_length=1024)]
    value: Text | None = None
    locked: bool = False
    secret: bool = False


class Dependency(Wire):
    path: Annotated[str, Field(min_length=1, max_length=1000)]
    content: Script


Outcome = Annotated[str, Field(min_length=1, max_length=1000)]


class Intent(Wire):
    goal: Annotated[str, Field(min_length=1, max_length=2000)]
    requiredOutcomes: list[Outcome] = Field(default_factory=list, max_length=20)
    mustPreserve: list[Outcome] = Field(default_factory=list, max_length=20)


# What a check's answer adds to its config, and what other Checkly answers carry: clients that GET
# a check, edit it and PUT it back send these, and Checkly ignores them.
CHECK_READ_ONLY = frozenset(
    {
        "id",
        "checkType",
        "alertChannels",
        "created_at",
        "updated_at",
        "createdAt",
        "updatedAt",
        "project",
        "logicalId",
        "member",
        "pending",
        "projectBindings",
    }
)
# Sent by the Go SDK on every check; Checkly drops them: `sslCheck` is a retired flag, and
# `heartbeat` only means something on a heartbeat check.
CHECK_CLIENT_EXTRAS = frozenset({"sslCheck", "heartbeat"})


class CheckBase(Wire):
    """Fields every check type shares (reference §5.2)."""

    IGNORED = CHECK_READ_ONLY | CHECK_CLIENT_EXTRAS

    name: Annotated[str, Field(min_length=1, max_length=500)]
    activated: bool = True
    muted: bool = False
    doubleCheck: bool = True
    shouldFail: bool = False
    locations: list[LocationSlug] = Field(default_factory=list, max_length=MAX_LOCATIONS)
    privateLocations: Annotated[list[LocationSlug], Field(max_length=MAX_LOCATIONS)] | None = None
    tags: list[Tag] = Field(default_factory=list, max_length=MAX_TAGS)
    alertSettings: AlertSettings = Field(default_factory=AlertSettings)
    useGlobalAlertSettings: bool = True
    groupId: ObjectId | None = None
    groupOrder: Annotated[int, Field(ge=0, le=1_000_000)] | None = None
    runtimeId: RuntimeId | None = None
    alertChannelSubscriptions: list[AlertChannelSubscription] = Field(
        default_factory=list, max_length=MAX_SUBSCRIPTIONS
    )
    retryStrategy: RetryStrategy | None = None
    triggerIncident: TriggerIncident | None = None
    runParallel: bool = False
    description: Annotated[str, Field(max_length=510)] | None = None
    frequency: Frequency = 10
    frequencyOffset: Annotated[int, Field(ge=1)] | None = None
    environmentVariables: list[EnvironmentVariable] = Field(default_factory=list, max_length=200)
    # Stored and returned as given on protocol checks; BROWSER and MULTI_STEP checks run them.
    script: Script | None = None
    scriptPath: Annotated[str, Field(min_length=1, max_length=1000)] | None = None
    sslCheckDomain: Annotated[str, Field(max_length=1024)] | None = None
    dependencies: Annotated[list[Dependency], Field(max_length=100)] | None = None
    intent: Intent | None = None
    aiAutoRepairEnabled: bool | None = None

    @model_validator(mode="after")
    def _check_frequency_offset(self) -> CheckBase:
        offset = self.frequencyOffset
        if self.frequency == 0:
            if offset not in (10, 20, 30):
                raise ValueError(
                    "frequencyOffset: must be one of [10, 20, 30] (seconds) when frequency is 0"
                )
        elif offset is not None:
            limit = self.frequency * 10 if self.frequency <= 60 else -(-self.frequency // 60)
            if offset > limit:
                raise ValueError(f"frequencyOffset: must be less than or equal to {limit}")
        return self


# Defaults and ceilings per check type live with the probes that judge them (probes/defaults.py).
_API, _URL, _TCP, _DNS, _ICMP = (RESPONSE_TIMES[t] for t in ("API", "URL", "TCP", "DNS", "ICMP"))


class ResponseTimes(Wire):
    degradedResponseTime: Annotated[int, Field(ge=0, le=_API.ceiling_ms)]
    maxResponseTime: Annotated[int, Field(ge=0, le=_API.ceiling_ms)]

    @model_validator(mode="after")
    def _check_order(self) -> ResponseTimes:
        if self.degradedResponseTime > self.maxResponseTime:
            raise ValueError("degradedResponseTime: must be less than or equal to maxResponseTime")
        return self


class ApiCheck(CheckBase, ResponseTimes):
    request: ApiRequest
    degradedResponseTime: Annotated[int, Field(ge=0, le=_API.ceiling_ms)] = _API.degraded_ms
    maxResponseTime: Annotated[int, Field(ge=0, le=_API.ceiling_ms)] = _API.max_ms
    setupSnippetId: ObjectId | None = None
    tearDownSnippetId: ObjectId | None = None
    localSetupScript: Script | None = None
    localTearDownScript: Script | None = None


class UrlCheck(CheckBase, ResponseTimes):
    request: UrlRequest
    degradedResponseTime: Annotated[int, Field(ge=0, le=_URL.ceiling_ms)] = _URL.degraded_ms
    maxResponseTime: Annotated[int, Field(ge=0, le=_URL.ceiling_ms)] = _URL.max_ms

    @model_validator(mode="after")
    def _url_has_no_seconds_frequency(self) -> UrlCheck:
        if self.frequency == 0:
            raise ValueError("frequency: 0 (seconds) is available to API and TCP checks only")
        return self


class TcpAssertion(Wire):
    IGNORED = ASSERTION_UI_KEYS

    source: Literal["RESPONSE_DATA", "RESPONSE_TIME"]
    comparison: TcpComparison
    property: str = ""
    target: Target = ""
    regex: Regex | None = None


class TcpRequest(Wire):
    hostname: Annotated[str, Field(min_length=1, max_length=2048)]
    port: Annotated[int, Field(ge=1, le=65535)]
    data: Annotated[str, Field(max_length=MAX_BODY_CHARS)] | None = None
    ipFamily: IpFamily = "IPv4"
    assertions: list[TcpAssertion] = Field(default_factory=list, max_length=MAX_ASSERTIONS)

    @model_validator(mode="before")
    @classmethod
    def _aliases(cls, value: Any) -> Any:
        # Checkly also accepts `url` for the host and `body` for the data to send.
        if isinstance(value, dict):
            value = dict(value)
            if "hostname" not in value and "url" in value:
                value["hostname"] = value.pop("url")
            if "data" not in value and "body" in value:
                value["data"] = value.pop("body")
        return value


class TcpCheck(CheckBase, ResponseTimes):
    request: TcpRequest
    degradedResponseTime: Annotated[int, Field(ge=0, le=_TCP.ceiling_ms)] = _TCP.degraded_ms
    maxResponseTime: Annotated[int, Field(ge=0, le=_TCP.ceiling_ms)] = _TCP.max_ms


class DnsAssertion(Wire):
    IGNORED = ASSERTION_UI_KEYS

    source: Literal["RESPONSE_TIME", "RESPONSE_CODE", "TEXT_ANSWER", "JSON_ANSWER"]
    comparison: Comparison
    property: str = ""
    target: Target = ""
    regex: Regex | None = None


class DnsRequest(Wire):
    query: Annotated[str, Field(min_length=1, max_length=100)]
    recordType: Literal["A", "AAAA", "CNAME", "MX", "TXT", "SOA", "NS", "HTTPS"]
    nameServer: Annotated[str, Field(max_length=100)] | None = None
    port: Annotated[int, Field(ge=1, le=65535)] = 53
    protocol: Literal["UDP", "TCP"] = "UDP"
    assertions: list[DnsAssertion] = Field(default_factory=list, max_length=MAX_ASSERTIONS)


class DnsCheck(CheckBase, ResponseTimes):
    request: DnsRequest
    degradedResponseTime: Annotated[int, Field(ge=0, le=_DNS.ceiling_ms)] = _DNS.degraded_ms
    maxResponseTime: Annotated[int, Field(ge=0, le=_DNS.ceiling_ms)] = _DNS.max_ms

    @model_validator(mode="after")
    def _dns_has_no_seconds_frequency(self) -> DnsCheck:
        if self.frequency == 0:
            raise ValueError("frequency: 0 (seconds) is available to API and TCP checks only")
        return self


class IcmpAssertion(Wire):
    IGNORED = ASSERTION_UI_KEYS

    # LATENCY reads `property` (avg, min, max, stdDev) in ms; JSON_RESPONSE a JSONPath into the
    # result's `icmpCheckResult`.
    source: Literal["LATENCY", "JSON_RESPONSE"]
    comparison: IcmpComparison
    property: str = ""
    target: Target = ""
    regex: Regex | None = None


class IcmpRequest(Wire):
    hostname: Annotated[str, Field(min_length=1, max_length=2048)]
    ipFamily: IpFamily = "IPv4"
    pingCount: Annotated[int, Field(ge=1, le=50)] = 10
    assertions: list[IcmpAssertion] = Field(default_factory=list, max_length=MAX_ASSERTIONS)


# An integer stays one on the wire: the Go SDK decodes these into `int`.
PacketLoss = Annotated[int, Field(gt=0, le=100)] | Annotated[float, Field(gt=0, le=100)]


class IcmpCheck(CheckBase, ResponseTimes):
    request: IcmpRequest
    degradedResponseTime: Annotated[int, Field(ge=0, le=_ICMP.ceiling_ms)] = _ICMP.degraded_ms
    maxResponseTime: Annotated[int, Field(ge=0, le=_ICMP.ceiling_ms)] = _ICMP.max_ms
    # Percentages of echoes without a reply that make a run degraded, or failed.
    degradedPacketLossThreshold: PacketLoss = 10
    maxPacketLossThreshold: PacketLoss = 20


PeriodUnit = Literal["seconds", "minutes", "hours", "days"]


class HeartbeatSpec(Wire):
    # The answer adds the ping URL; a client that sends a check back echoes it.
    IGNORED = frozenset({"pingUrl"})

    period: Annotated[int, Field(ge=1, le=365 * 24 * 3600)]
    periodUnit: PeriodUnit
    grace: Annotated[int, Field(ge=0, le=365 * 24 * 3600)]
    graceUnit: PeriodUnit
    # A UUID the client may choose; Vantage makes one otherwise (the ping URL's last part).
    # "" (what the Go SDK sends for "none chosen") is read as none.
    pingToken: Annotated[str, Field(pattern=r"^([0-9a-fA-F-]{32,36})?$")] | None = None

    @field_validator("pingToken", mode="before")
    @classmethod
    def _empty_token(cls, value: Any) -> Any:
        # The Go SDK sends "" for "none chosen".
        return None if value == "" else value

    @model_validator(mode="after")
    def _bounded(self) -> HeartbeatSpec:
        period = seconds(self.period, self.periodUnit)
        if period < MIN_PERIOD_SECONDS:
            raise ValueError(f"period: must be at least {MIN_PERIOD_SECONDS} seconds")
        if period > MAX_SECONDS or seconds(self.grace, self.graceUnit) > MAX_SECONDS:
            raise ValueError("period: period and grace must each be at most 365 days")
        return self


class HeartbeatCheck(CheckBase):
    """A check that runs nowhere: the monitored job pings its URL, and a ping missing at the end
    of period + grace fails it (vantage.heartbeats)."""

    IGNORED = CHECK_READ_ONLY | {"sslCheck"}

    heartbeat: HeartbeatSpec


# Checkly's `playwrightConfig` subset (cli `constructs/playwright-config.ts`): `timeout`, `use` and
# `expect`, merged into the config Vantage generates for each run (vantage.probes.browser).
class PlaywrightConfig(Wire):
    timeout: Annotated[int, Field(ge=1, le=240_000)] | None = None
    use: Annotated[dict[str, Any], Field(max_length=50)] | None = None
    expect: Annotated[dict[str, Any], Field(max_length=20)] | None = None


class ScriptCheck(CheckBase):
    """What BROWSER and MULTI_STEP checks share: a Playwright Test script (JavaScript or
    TypeScript, unchanged from a Checkly project) that an agent runs in an isolated subprocess
    against Debian's Chromium (vantage.probes.browser)."""

    script: Annotated[str, Field(min_length=1, max_length=MAX_SCRIPT_CHARS)]
    playwrightConfig: PlaywrightConfig | None = None
    # Checkly runs scripts in whole minutes: no seconds frequency.
    frequency: Literal[1, 2, 5, 10, 15, 30, 60, 120, 180, 360, 720, 1440] = 10


class BrowserCheck(ScriptCheck):
    pass


class MultiStepCheck(ScriptCheck):
    pass


CHECK_MODELS: dict[str, type[CheckBase]] = {
    "API": ApiCheck,
    "URL": UrlCheck,
    "TCP": TcpCheck,
    "DNS": DnsCheck,
    "ICMP": IcmpCheck,
    "HEARTBEAT": HeartbeatCheck,
    "BROWSER": BrowserCheck,
    "MULTI_STEP": MultiStepCheck,
}
CHECK_TYPE_PATHS = {
    "api": "API",
    "url": "URL",
    "tcp": "TCP",
    "dns": "DNS",
    "icmp": "ICMP",
    "heartbeat": "HEARTBEAT",
    "browser": "BROWSER",
    "multistep": "MULTI_STEP",
}
# The types a check session can carry, as Checkly's check-session and results routes name them,
# with the ones Vantage adds; query parameters that filter by type accept every one of them.
CheckType = Literal[
    "API", "BROWSER", "MULTI_STEP", "TCP", "PLAYWRIGHT", "URL", "DNS", "ICMP", "HEARTBEAT"
]
CHECK_TYPES: tuple[str, ...] = get_args(CheckType)
