"""What the code-bundle endpoints answer, for `/openapi.json`."""

from __future__ import annotations

from pydantic import BaseModel, Field


class StoredBundle(BaseModel):
    key: str = Field(description="The SHA-256 of the archive, in hex")
    checksumSha256: str
    size: int


class PeekedBundle(StoredBundle):
    createdAt: str


class PeekRequest(BaseModel):
    key: str = Field(pattern=r"^[0-9a-f]{64}$")
