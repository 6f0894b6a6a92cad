"""The bodies of Checkly's status-page API, as its Terraform provider and Go SDK send them.

Unknown keys are refused, naming the key; the keys a client reads and sends back unchanged (`id`,
`accountId`, `created_at`, ...) are accepted and ignored, so a read-modify-write round trip works.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from vantage.validation import bad_request

Severity = Literal["CRITICAL", "MAJOR", "MEDIUM", "MINOR"]
IncidentStatus = Literal["INVESTIGATING", "IDENTIFIED", "MONITORING", "RESOLVED"]
# A page's `url` is a path segment of its public address (Checkly: a subdomain): DNS-label rules.
Slug = Annotated[
    str, StringConstraints(min_length=1, max_length=63, pattern=r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")
]
Hostname = Annotated[
    str,
    StringConstraints(
        max_length=253,
        pattern=r"^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$",
    ),
]
# `\s` differs between Python's regexes and the ECMA ones a client checks the document's pattern
# with (Python adds \x1c-\x1f and \x85, ECMA adds \ufeff): naming both sets makes one address
# valid or invalid on both sides.
_NOT_IN_ADDRESS = r"@\s\x1c-\x1f\x85\ufeff<>\"',;"
EMAIL_PATTERN = rf"^[^{_NOT_IN_ADDRESS}]+@[^{_NOT_IN_ADDRESS}]+\.[^{_NOT_IN_ADDRESS}]+$"
Color = Annotated[str, StringConstraints(pattern=r"^#([0-9A-F]{3}|[0-9A-F]{6})$")]
Name = Annotated[str, StringConstraints(min_length=1, max_length=255)]
Link = Annotated[str, StringConstraints(max_length=2048)]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ReadOnly(Body):
    """Keys an answer carries that a client may send back: accepted, never stored."""

    id: Any = None
    accountId: Any = None
    created_at: Any = None
    updated_at: Any = None


class ServiceBody(ReadOnly):
    name: Name


class ServiceRef(BaseModel):
    # A card names its services by id; clients send the whole service back (Go SDK: with `name`).
    model_config = ConfigDict(extra="ignore")

    id: Annotated[str, StringConstraints(min_length=1, max_length=36)]


class CardBody(ReadOnly):
    statusPageId: Any = None
    name: Name
    services: list[ServiceRef] = Field(default_factory=list, max_length=100)


class ThemeColors(Body):
    bodyBackgroundColor: Color
    headerBackgroundColor: Color
    headerFontColor: Color
    titleFontColor: Color
    bodyFontColor: Color
    bodyFontColorMuted: Color
    navigationFontColor: Color
    linkFontColor: Color
    cardBackgroundColor: Color
    borderColor: Color
    primaryButtonBackgroundColor: Color
    primaryButtonFontColor: Color


class Themes(Body):
    light: ThemeColors
    dark: ThemeColors


class StatusPageBody(ReadOnly):
    name: Name
    description: Annotated[str, StringConstraints(max_length=500)] | None = None
    url: Slug
    customDomain: Hostname | None = None
    themeColors: Themes | None = None
    logo: Link | None = None
    logoDark: Link | None = None
    redirectTo: Link | None = None
    favicon: Link | None = None
    defaultTheme: Literal["LIGHT", "DARK", "AUTO"] = "AUTO"
    version: float | None = None
    cards: list[CardBody] = Field(max_length=50)
    # Read-only at Checkly; a private page is not served publicly.
    isPrivate: bool = False
    whiteLabel: Any = None
    incidents: Any = None
    keys: Any = None
    projectBindings: Any = None


class UpdateBody(Body):
    id: Any = None
    created_at: Any = None
    description: Annotated[str, StringConstraints(min_length=1, max_length=10_000)]
    status: IncidentStatus = "INVESTIGATING"
    publicIncidentUpdateDate: datetime | None = None
    notifySubscribers: bool = False


class IncidentServiceRef(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: Annotated[str, StringConstraints(min_length=1, max_length=36)]


class IncidentBody(ReadOnly):
    lastUpdateStatus: IncidentStatus | None = None
    name: Name
    severity: Severity
    services: list[IncidentServiceRef] = Field(min_length=1, max_length=100)
    duration: int | None = None


class IncidentCreate(IncidentBody):
    incidentUpdates: list[UpdateBody] = Field(min_length=1, max_length=1)


class SubscriptionItem(Body):
    type: Literal["EMAIL"]
    config: Annotated[
        str,
        StringConstraints(max_length=320, pattern=EMAIL_PATTERN),
    ]


class BulkSubscriptions(Body):
    subscriptions: list[SubscriptionItem] = Field(min_length=1, max_length=1000)
    autoVerify: bool = False


M = TypeVar("M", bound=BaseModel)


def parse(model: type[M], payload: Any) -> M:
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        raise bad_request(exc) from None
