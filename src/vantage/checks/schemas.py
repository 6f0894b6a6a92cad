"""Checks as Checkly's JSON: field names, defaults and limits of its public API (reference §5).

Models validate what a client sends; `model_dump(mode="json")` of a validated model is what is
stored as the check's config and returned, so defaults show exactly as Checkly shows them.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema, model_validator

from vantage.checks.regex import Regex
from vantage.checks.urls import ApiUrl, RunnableUrl

FREQUENCIES = (0, 1, 2, 5, 10, 15, 30, 60, 120, 180, 360, 720, 1440)
Frequency = Literal[0, 1, 2, 5, 10, 15, 30, 60, 120, 180, 360, 720, 1440]
HttpMethod = Literal["GET", "POST", "PUT", "HEAD", "DELETE", "PATCH"]
IpFamily = Literal["IPv4", "IPv6"]
Comparison = Literal[
    "EQUALS",
    "NOT_EQUALS",
    "HAS_KEY",
    "NOT_HAS_KEY",
    "HAS_VALUE",
    "NOT_HAS_VALUE",
    "IS_EMPTY",
    "NOT_EMPTY",
    "GREATER_THAN",
    "LESS_THAN",
    "CONTAINS",
    "NOT_CONTAINS",
    "IS_NULL",
    "NOT_NULL",
]
UrlComparison = Literal["EQUALS", "NOT_EQUALS", "LESS_THAN", "GREATER_THAN"]
TcpComparison = Literal[
    "EQUALS",
    "NOT_EQUALS",
    "IS_EMPTY",
    "NOT_EMPTY",
    "LESS_THAN",
    "GREATER_THAN",
    "CONTAINS",
    "NOT_CONTAINS",
]


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


class Wire(BaseModel):
    model_config = ConfigDict(extra="forbid")


class KeyValue(Wire):
    key: Annotated[str, Field(max_length=1024)]
    value: Text = ""
    locked: bool = False


class BasicAuth(Wire):
    username: Annotated[str, Field(max_length=1024)]
    password: Annotated[str, Field(max_length=1024)]


class ApiAssertion(Wire):
    source: Literal["STATUS_CODE", "JSON_BODY", "HEADERS", "TEXT_BODY", "RESPONSE_TIME"]
    comparison: Comparison
    property: str = ""
    target: Target = ""
    regex: Regex | None = None


class UrlAssertion(Wire):
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


class CheckBase(Wire):
    """Fields every check type shares (reference §5.2)."""

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
    runtimeId: Annotated[str, Field(max_length=100)] | None = None
    alertChannelSubscriptions: list[AlertChannelSubscription] = Field(
        default_factory=list, max_length=MAX_SUBSCRIPTIONS
    )
    retryStrategy: RetryStrategy | None = None
    triggerIncident: TriggerIncident | None = None
    runParallel: bool = False
    description: Annotated[str, Field(max_length=500)] | None = None
    frequency: Frequency = 10
    frequencyOffset: Annotated[int, Field(ge=1)] | None = None

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


class ResponseTimes(Wire):
    degradedResponseTime: Annotated[int, Field(ge=0, le=45000)]
    maxResponseTime: Annotated[int, Field(ge=0, le=45000)]

    @model_validator(mode="after")
    def _check_order(self) -> ResponseTimes:
        if self.degradedResponseTime > self.maxResponseTime:
            raise ValueError("degradedResponseTime: must be less than or equal to maxResponseTime")
        return self


class ApiCheck(CheckBase, ResponseTimes):
    request: ApiRequest
    degradedResponseTime: Annotated[int, Field(ge=0, le=45000)] = 5000
    maxResponseTime: Annotated[int, Field(ge=0, le=45000)] = 20000
    setupSnippetId: ObjectId | None = None
    tearDownSnippetId: ObjectId | None = None
    localSetupScript: Script | None = None
    localTearDownScript: Script | None = None


class UrlCheck(CheckBase, ResponseTimes):
    request: UrlRequest
    degradedResponseTime: Annotated[int, Field(ge=0, le=45000)] = 3000
    maxResponseTime: Annotated[int, Field(ge=0, le=45000)] = 5000

    @model_validator(mode="after")
    def _url_has_no_seconds_frequency(self) -> UrlCheck:
        if self.frequency == 0:
            raise ValueError("frequency: 0 (seconds) is available to API and TCP checks only")
        return self


class TcpAssertion(Wire):
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
    degradedResponseTime: Annotated[int, Field(ge=0, le=45000)] = 3000
    maxResponseTime: Annotated[int, Field(ge=0, le=45000)] = 5000


class DnsAssertion(Wire):
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
    degradedResponseTime: Annotated[int, Field(ge=0, le=5000)] = 500
    maxResponseTime: Annotated[int, Field(ge=0, le=5000)] = 1000

    @model_validator(mode="after")
    def _dns_has_no_seconds_frequency(self) -> DnsCheck:
        if self.frequency == 0:
            raise ValueError("frequency: 0 (seconds) is available to API and TCP checks only")
        return self


CHECK_MODELS: dict[str, type[CheckBase]] = {
    "API": ApiCheck,
    "URL": UrlCheck,
    "TCP": TcpCheck,
    "DNS": DnsCheck,
}
CHECK_TYPE_PATHS = {"api": "API", "url": "URL", "tcp": "TCP", "dns": "DNS"}
