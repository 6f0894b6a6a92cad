"""The account lookups Checkly's CLI makes, as `/openapi.json` documents them."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict


class AccountAnswer(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    name: str
    runtimeId: str
    plan: str
    planDisplayName: str
    addons: dict[str, Any]
    features: list[str]


class AccountSettingsAnswer(AccountAnswer):
    """`GET /v1/accounts/me`: the account with its settings and alert settings."""

    settings: dict[str, Any]
    alertSettings: dict[str, Any]


class UserAnswer(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    name: str
    email: str | None
