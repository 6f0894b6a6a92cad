"""What a client sends to Checkly's private-location API (`/v1/private-locations`)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

# Slugs name locations in checks, jobs and results, across accounts.
SLUG_PATTERN = r"^[a-z0-9](?:[a-z0-9-]{0,48}[a-z0-9])?$"
DEFAULT_ICON = "location"


class PrivateLocationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    slugName: str = Field(pattern=SLUG_PATTERN)
    icon: str = Field(default=DEFAULT_ICON, max_length=100)


class PrivateLocationUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    # The slug names the location in checks, jobs and results: it cannot change.
    slugName: str | None = None
    icon: str | None = Field(default=None, max_length=100)
