"""The compatibility lookups' answers as `/openapi.json` documents them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict


class Runtime(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    stage: str
    runtimeEndOfLife: datetime | None
    default: bool
    description: str
    dependencies: dict[str, str]


# Vantage groups no errors yet: the list is always empty.
ErrorGroups = list[dict[str, Any]]
