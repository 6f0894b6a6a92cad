"""The account members API's answers, as `/openapi.json` documents them (Checkly's shapes)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

Role = Literal["OWNER", "ADMIN", "READ_WRITE", "READ_RUN", "READ_ONLY"]


class AccountMember(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: Literal["member"]
    accountId: str
    userId: str
    name: str | None
    email: str
    role: Role
    status: Literal["ACTIVE"]
    createdAt: str
    updatedAt: str
    isSupportMembership: bool
    ssoEnabled: bool
    mfaEnabled: bool


class AccountMembersList(BaseModel):
    model_config = ConfigDict(extra="forbid")

    members: list[AccountMember]
    length: int
    nextId: str | None
