"""Check groups as `/openapi.json` documents them: the body POST and PUT take and the group
every answer returns."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import ConfigDict

from vantage.groups.schemas import CheckGroup, CheckGroupV2


class CheckGroupAnswer(CheckGroup):
    id: int
    created_at: datetime
    updated_at: datetime | None


class CheckGroupV2Answer(CheckGroupV2):
    """A group as read back: one created through v2 may hold nulls ("inherit")."""

    id: int
    created_at: datetime
    updated_at: datetime | None


# What a client that read a group sends back with it; the server ignores these fields.
READ_ONLY_PROPERTIES: dict[str, Any] = {
    "id": {"readOnly": True},
    "created_at": {"readOnly": True},
    "updated_at": {"readOnly": True},
    "createdAt": {"readOnly": True},
    "updatedAt": {"readOnly": True},
}


class CheckGroupBody(CheckGroup):
    """What POST and PUT take: the group, and the read-only fields a client read with it."""

    model_config = ConfigDict(
        json_schema_extra=lambda schema: schema["properties"].update(READ_ONLY_PROPERTIES)
    )


GROUP_BODY = CheckGroupBody
