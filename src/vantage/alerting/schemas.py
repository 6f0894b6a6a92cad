"""Alert channels as Checkly's JSON: the channel, its `config` per type, a subscription.

Defaults of `sendFailure` / `sendDegraded` / `sendRecovery` are Terraform's (the spec has none):
failure and recovery on, degraded off.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, create_model, field_validator, model_validator

ChannelType = Literal[
    "EMAIL", "SLACK", "SLACK_APP", "WEBHOOK", "SMS", "PAGERDUTY", "OPSGENIE", "CALL"
]
CHANNEL_TYPES: tuple[str, ...] = ChannelType.__args__  # type: ignore[attr-defined]
WEBHOOK_TYPES = (
    "WEBHOOK_MSTEAMS",
    "WEBHOOK_TELEGRAM",
    "WEBHOOK_DISCORD",
    "WEBHOOK_FIREHYDRANT",
    "WEBHOOK_GITLAB_ALERT",
    "WEBHOOK_ILERT",
    "WEBHOOK_INCIDENTIO",
    "WEBHOOK_ROOTLY",
    "WEBHOOK_SPIKESH",
    "WEBHOOK_SPLUNK",
    "WEBHOOK_CORALOGIX",
    # Vantage's own: Checkly has no Google Chat preset.
    "WEBHOOK_GOOGLE_CHAT",
)
READ_ONLY_FIELDS = ("id", "subscriptions", "created_at", "updated_at", "projectBindings")

Short = Annotated[str, Field(max_length=1024)]
Url = Annotated[str, Field(min_length=1, max_length=2048)]


class Wire(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Lenient(BaseModel):
    # Configs: clients (Terraform, the CLI) send every field their resource knows, some of them
    # empty or of other types; the ones Vantage does not read are kept as sent.
    model_config = ConfigDict(extra="allow")


class EmailConfig(Lenient):
    address: Annotated[str, Field(min_length=3, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")]


class SlackConfig(Lenient):
    url: Url
    channel: Short | None = None


class SlackAppConfig(Lenient):
    slackChannels: Annotated[list[Short], Field(min_length=1, max_length=100)]


class KeyValue(Wire):
    key: Annotated[str, Field(min_length=1, max_length=1024)]
    value: Annotated[str, Field(max_length=10_000)] = ""
    locked: bool = False


class WebhookConfig(Lenient):
    name: Short = ""
    url: Url
    method: Literal["GET", "POST", "PUT", "PATCH", "HEAD", "DELETE"] = "POST"
    template: Annotated[str, Field(max_length=100_000)] | None = None
    headers: list[KeyValue] = Field(default_factory=list, max_length=100)
    queryParameters: list[KeyValue] = Field(default_factory=list, max_length=100)
    webhookSecret: Short | None = None
    webhookType: Literal[WEBHOOK_TYPES] | None = None  # type: ignore[valid-type]

    @field_validator("headers", "queryParameters", mode="before")
    @classmethod
    def _none_is_empty(cls, value: Any) -> Any:
        return [] if value is None else value


class PagerDutyConfig(Lenient):
    serviceKey: Annotated[str, Field(min_length=1, max_length=255)]
    account: Short | None = None
    serviceName: Short | None = None


class OpsgenieConfig(Lenient):
    name: Short = ""
    apiKey: Annotated[str, Field(min_length=1, max_length=255)]
    region: Literal["EU", "US"] = "US"
    priority: Literal["P1", "P2", "P3", "P4", "P5"] = "P3"


class PhoneConfig(Lenient):
    number: Annotated[str, Field(min_length=3, max_length=20, pattern=r"^\+?[0-9]+$")]
    name: Short = ""


CONFIG_MODELS: dict[str, type[BaseModel]] = {
    "EMAIL": EmailConfig,
    "SLACK": SlackConfig,
    "SLACK_APP": SlackAppConfig,
    "WEBHOOK": WebhookConfig,
    "PAGERDUTY": PagerDutyConfig,
    "OPSGENIE": OpsgenieConfig,
    "SMS": PhoneConfig,
    "CALL": PhoneConfig,
}


class SubscriptionCreate(Wire):
    """PUT /v1/alert-channels/{id}/subscriptions: one check or one group, not both."""

    checkId: Annotated[str, Field(min_length=1, max_length=36)] | None = None
    groupId: Annotated[int, Field(ge=1, le=2**31 - 1)] | None = None
    activated: bool

    @model_validator(mode="after")
    def _one_target(self) -> SubscriptionCreate:
        if (self.checkId is None) == (self.groupId is None):
            raise ValueError("checkId: give either checkId or groupId, not both")
        return self


class ChannelSubscription(Wire):
    """A subscription listed in a create or update body (`subscriptions`)."""

    id: int | None = None
    checkId: Annotated[str, Field(min_length=1, max_length=36)] | None = None
    groupId: Annotated[int, Field(ge=1, le=2**31 - 1)] | None = None
    activated: bool = True


class AlertChannel(Wire):
    type: ChannelType
    config: dict[str, Any]
    subscriptions: list[ChannelSubscription] | None = Field(default=None, max_length=1000)
    sendRecovery: bool = True
    sendFailure: bool = True
    sendDegraded: bool = False
    sslExpiry: bool = False
    sslExpiryThreshold: Annotated[int, Field(ge=1, le=30)] = 30
    autoSubscribe: bool = False


def _typed(channel_type: str) -> type[BaseModel]:
    """The channel of one type, its `config` that type's: what `/openapi.json` documents."""
    model: type[BaseModel] = create_model(
        f"{channel_type.title().replace('_', '')}AlertChannel",
        __base__=AlertChannel,
        type=(Literal[channel_type], ...),  # type: ignore[arg-type]
        config=(CONFIG_MODELS[channel_type], ...),
    )
    return model


# POST and PUT bodies as the document states them: one schema per `type`.
CHANNEL_BODY: Any = Annotated[
    Union[tuple(_typed(t) for t in CONFIG_MODELS)],  # noqa: UP007 (a Union built from a tuple)
    Field(discriminator="type"),
]
