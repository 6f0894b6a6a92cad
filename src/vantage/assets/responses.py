"""Checkly's `AssetManifest`, as `/openapi.json` documents it."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

AssetType = Literal["log", "trace", "video", "screenshot", "pcap", "report", "file"]


class AssetSource(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: Literal["check-result", "test-session-result"]
    checkId: str
    checkName: str
    checkType: str
    resultId: str
    testSessionId: str | None = None


class AssetManifestEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: AssetType
    name: str
    url: str
    contentType: str
    source: AssetSource


class AssetManifest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    assets: list[AssetManifestEntry]
    truncated: bool
