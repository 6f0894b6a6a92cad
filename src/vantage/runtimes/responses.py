"""The runtimes (and error groups) as `/openapi.json` documents them."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict


class Runtime(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    multiStepSupport: bool
    nodeJsVersion: str
    stage: Literal["ALPHA", "BETA", "CURRENT", "DEPRECATED", "REMOVED", "STABLE"]
    default: bool
    description: str
    dependencies: dict[str, str]


# Vantage groups no errors yet: the list is always empty.
ErrorGroups = list[dict[str, Any]]
