"""Check groups as Checkly's JSON: the CheckGroup fields, defaults and limits (reference §5.5).

As for checks, `model_dump(mode="json")` of a validated model is what is stored as the group's
config and returned, so defaults show exactly as Checkly shows them.
"""

from __future__ import annotations

from typing import Annotated, Any, Final, Literal

from pydantic import Field, field_validator

from vantage.checks.schemas import (
    MAX_ASSERTIONS,
    MAX_KEY_VALUES,
    MAX_LOCATIONS,
    MAX_SUBSCRIPTIONS,
    MAX_TAGS,
    AlertChannelSubscription,
    AlertSettings,
    ApiAssertion,
    EnvironmentVariable,
    KeyValue,
    LocationSlug,
    ObjectId,
    RetryStrategy,
    Script,
    Tag,
    Wire,
)
from vantage.runtimes.catalog import RuntimeId

FALLBACK: Final = "FALLBACK"
READ_ONLY_FIELDS = ("id", "created_at", "updated_at", "createdAt", "updatedAt")


class GroupBasicAuth(Wire):
    # Checkly's clients send `{"username": "", "password": ""}` (or `{}`) for "no basic auth".
    username: Annotated[str, Field(max_length=1024)] = ""
    password: Annotated[str, Field(max_length=1024)] = ""


class ApiCheckDefaults(Wire):
    # `null` (which the spec allows) means no base URL, as "" does.
    url: Annotated[str, Field(max_length=2048)] = ""
    headers: list[KeyValue] = Field(default_factory=list, max_length=MAX_KEY_VALUES)
    queryParameters: list[KeyValue] = Field(default_factory=list, max_length=MAX_KEY_VALUES)
    assertions: list[ApiAssertion] = Field(default_factory=list, max_length=MAX_ASSERTIONS)
    basicAuth: GroupBasicAuth | None = None


class CheckGroup(Wire):
    IGNORED = frozenset(READ_ONLY_FIELDS)

    name: Annotated[str, Field(min_length=1, max_length=500)]
    activated: bool = True
    muted: bool = False
    tags: list[Tag] = Field(default_factory=list, max_length=MAX_TAGS)
    locations: list[LocationSlug] = Field(default_factory=list, max_length=MAX_LOCATIONS)
    privateLocations: Annotated[list[LocationSlug], Field(max_length=MAX_LOCATIONS)] | None = None
    concurrency: Annotated[int, Field(ge=1, le=1000)] = 3
    apiCheckDefaults: ApiCheckDefaults = Field(default_factory=ApiCheckDefaults)
    # Free-form (Vantage runs no browser checks); bounded by the body's depth and size limits.
    browserCheckDefaults: Annotated[dict[str, Any], Field(max_length=100)] = Field(
        default_factory=dict
    )
    environmentVariables: Annotated[list[EnvironmentVariable], Field(max_length=200)] = Field(
        default_factory=list
    )
    doubleCheck: bool = True
    useGlobalAlertSettings: bool = True
    alertSettings: AlertSettings = Field(default_factory=AlertSettings)
    alertChannelSubscriptions: list[AlertChannelSubscription] = Field(
        default_factory=list, max_length=MAX_SUBSCRIPTIONS
    )
    setupSnippetId: ObjectId | None = None
    tearDownSnippetId: ObjectId | None = None
    localSetupScript: Script | None = None
    localTearDownScript: Script | None = None
    runtimeId: RuntimeId | None = None
    # "FALLBACK": the group's checks keep their own retry strategy; an object: the group's
    # strategy replaces theirs; null: the group's checks are not retried.
    retryStrategy: RetryStrategy | Literal["FALLBACK"] | None = FALLBACK
    runParallel: bool = False

    @field_validator("retryStrategy", mode="before")
    @classmethod
    def _fallback_object(cls, value: Any) -> Any:
        # `{"type": "FALLBACK"}` is read as the string form.
        if isinstance(value, dict) and value.get("type") == FALLBACK:
            return FALLBACK
        return value


class CheckGroupV2(CheckGroup):
    """`/v2/check-groups`: `null` for `runParallel`, `useGlobalAlertSettings` or `alertSettings`
    means "not the group's business": each check keeps its own. `doubleCheck` is false unless
    set; `retryStrategy` stays "FALLBACK" (the checks' own) unless set."""

    runParallel: bool | None = None  # type: ignore[assignment]
    useGlobalAlertSettings: bool | None = None  # type: ignore[assignment]
    alertSettings: AlertSettings | None = None  # type: ignore[assignment]
    doubleCheck: bool = False
