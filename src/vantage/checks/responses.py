"""Checks as `/openapi.json` documents them: the bodies POST and PUT take (the models that
validate them, with their `checkType`) and the check every answer returns."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from vantage.checks.schemas import (
    FREQUENCIES,
    ApiCheck,
    BrowserCheck,
    DnsCheck,
    HeartbeatCheck,
    HeartbeatSpec,
    IcmpCheck,
    MultiStepCheck,
    TcpCheck,
    UrlCheck,
)


def _offset_rules(seconds: bool) -> dict[str, Any]:
    """`CheckBase._check_frequency_offset` as JSON Schema, so generated checks obey it: with
    frequency 0 (seconds, API and TCP only) the offset is 10, 20 or 30 seconds, otherwise it is
    at most 10 per minute of frequency up to an hour, then one per hour."""
    rules: list[dict[str, Any]] = []
    for frequency in FREQUENCIES:
        if frequency == 0:
            if not seconds:
                rules.append({"properties": {"frequency": {"not": {"const": 0}}}})
            else:
                rules.append(
                    {
                        "if": {
                            "properties": {"frequency": {"const": 0}},
                            "required": ["frequency"],
                        },
                        "then": {
                            "properties": {"frequencyOffset": {"enum": [10, 20, 30]}},
                            "required": ["frequencyOffset"],
                        },
                    }
                )
            continue
        limit = frequency * 10 if frequency <= 60 else -(-frequency // 60)
        rules.append(
            {
                "if": {
                    "properties": {"frequency": {"const": frequency}},
                    "required": ["frequency"],
                },
                "then": {
                    "properties": {
                        "frequencyOffset": {"anyOf": [{"maximum": limit}, {"type": "null"}]}
                    }
                },
            }
        )
    # Without a frequency the default (10 minutes) applies.
    rules.append(
        {
            "if": {"not": {"required": ["frequency"]}},
            "then": {
                "properties": {"frequencyOffset": {"anyOf": [{"maximum": 100}, {"type": "null"}]}}
            },
        }
    )
    return {"allOf": rules}


class ApiCheckBody(ApiCheck):
    model_config = ConfigDict(json_schema_extra=_offset_rules(seconds=True))
    checkType: Literal["API"] = "API"


class UrlCheckBody(UrlCheck):
    model_config = ConfigDict(json_schema_extra=_offset_rules(seconds=False))
    checkType: Literal["URL"] = "URL"


class TcpCheckBody(TcpCheck):
    model_config = ConfigDict(json_schema_extra=_offset_rules(seconds=True))
    checkType: Literal["TCP"] = "TCP"


class DnsCheckBody(DnsCheck):
    model_config = ConfigDict(json_schema_extra=_offset_rules(seconds=False))
    checkType: Literal["DNS"] = "DNS"


class IcmpCheckBody(IcmpCheck):
    model_config = ConfigDict(json_schema_extra=_offset_rules(seconds=True))
    checkType: Literal["ICMP"] = "ICMP"


class HeartbeatCheckBody(HeartbeatCheck):
    model_config = ConfigDict(json_schema_extra=_offset_rules(seconds=True))
    checkType: Literal["HEARTBEAT"] = "HEARTBEAT"


class BrowserCheckBody(BrowserCheck):
    model_config = ConfigDict(json_schema_extra=_offset_rules(seconds=False))
    checkType: Literal["BROWSER"] = "BROWSER"


class MultiStepCheckBody(MultiStepCheck):
    model_config = ConfigDict(json_schema_extra=_offset_rules(seconds=False))
    checkType: Literal["MULTI_STEP"] = "MULTI_STEP"


# `POST /v1/checks` needs the type; the typed paths (`/v1/checks/api`) imply it.
class ApiCheckCreate(ApiCheckBody):
    checkType: Literal["API"]


class UrlCheckCreate(UrlCheckBody):
    checkType: Literal["URL"]


class TcpCheckCreate(TcpCheckBody):
    checkType: Literal["TCP"]


class DnsCheckCreate(DnsCheckBody):
    checkType: Literal["DNS"]


class IcmpCheckCreate(IcmpCheckBody):
    checkType: Literal["ICMP"]


class HeartbeatCheckCreate(HeartbeatCheckBody):
    checkType: Literal["HEARTBEAT"]


class BrowserCheckCreate(BrowserCheckBody):
    checkType: Literal["BROWSER"]


class MultiStepCheckCreate(MultiStepCheckBody):
    checkType: Literal["MULTI_STEP"]


# `POST /v1/checks` takes heartbeat, browser and multi-step checks too, but the document lists
# them on their own paths only (`/v1/checks/heartbeat`, `/browser`, `/multistep`): schemathesis
# cannot generate the union with them in it.
CheckCreate = Annotated[
    ApiCheckCreate | UrlCheckCreate | TcpCheckCreate | DnsCheckCreate | IcmpCheckCreate,
    Field(discriminator="checkType"),
]
# The types whose bodies `POST /v1/checks` and `PUT /v1/checks/{id}` document.
GENERIC_ROUTE_TYPES = ("API", "URL", "TCP", "DNS", "ICMP")
BODY_MODELS: dict[str, Any] = {
    "API": ApiCheckBody,
    "URL": UrlCheckBody,
    "TCP": TcpCheckBody,
    "DNS": DnsCheckBody,
    "ICMP": IcmpCheckBody,
    "HEARTBEAT": HeartbeatCheckBody,
    "BROWSER": BrowserCheckBody,
    "MULTI_STEP": MultiStepCheckBody,
}


class _Stored(BaseModel):
    """What a stored check adds to its config."""

    id: str
    alertChannels: dict[str, list[Any]]
    created_at: datetime
    updated_at: datetime | None


class ApiCheckAnswer(ApiCheckCreate, _Stored):
    pass


class UrlCheckAnswer(UrlCheckCreate, _Stored):
    pass


class TcpCheckAnswer(TcpCheckCreate, _Stored):
    pass


class DnsCheckAnswer(DnsCheckCreate, _Stored):
    pass


class IcmpCheckAnswer(IcmpCheckCreate, _Stored):
    pass


class BrowserCheckAnswer(BrowserCheckCreate, _Stored):
    pass


class MultiStepCheckAnswer(MultiStepCheckCreate, _Stored):
    pass


class HeartbeatAnswer(HeartbeatSpec):
    pingToken: str
    # Where the monitored job sends its pings (GET, POST or HEAD).
    pingUrl: str


class HeartbeatCheckAnswer(HeartbeatCheckCreate, _Stored):
    heartbeat: HeartbeatAnswer


Check = Annotated[
    ApiCheckAnswer
    | UrlCheckAnswer
    | TcpCheckAnswer
    | DnsCheckAnswer
    | IcmpCheckAnswer
    | HeartbeatCheckAnswer
    | BrowserCheckAnswer
    | MultiStepCheckAnswer,
    Field(discriminator="checkType"),
]
