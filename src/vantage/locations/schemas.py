"""What a client sends to Checkly's private-location API (`/v1/private-locations`)."""

from __future__ import annotations

from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator

# Slugs name locations in checks, jobs and results, across accounts.
SLUG_PATTERN = r"^[a-z0-9](?:[a-z0-9-]{0,48}[a-z0-9])?$"
DEFAULT_ICON = "location"


# What `_proxy_url` accepts, stated in /openapi.json: http:// or https:// (TLS to the proxy
# itself, as in Checkly's example), optional user:password@, a host name or IPv4 address, an
# optional port of 1 to 65535.
PROXY_URL_PATTERN = (
    r"^https?://(?:[^\s/?#@]+@)?[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?"
    r"(?::(?:[1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5]))?/?$"
)
# Stored sealed (vantage.sealing) in a 2048-character column: sealed, 1500 bytes take 2043.
MAX_PROXY_URL_BYTES = 1500
# No colon in it: a validation message's "field: text" names the field.
PROXY_URL_RULE = "must be the http or https URL of a proxy with a host, user and password optional"


def _proxy_url(value: str | None) -> str | None:
    if not value:
        return None
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises for a port that is not a number
    except ValueError:
        raise ValueError(PROXY_URL_RULE) from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(PROXY_URL_RULE)
    if len(value.encode()) > MAX_PROXY_URL_BYTES:
        raise ValueError(f"must be at most {MAX_PROXY_URL_BYTES} bytes long")
    return value


class _ProxyField(BaseModel):
    # The forward proxy of the location's API and URL checks' requests (Checkly's `proxyUrl`).
    proxyUrl: str | None = Field(
        default=None, max_length=MAX_PROXY_URL_BYTES, pattern=PROXY_URL_PATTERN
    )

    @field_validator("proxyUrl")
    @classmethod
    def _check_proxy(cls, value: str | None) -> str | None:
        return _proxy_url(value)


class PrivateLocationCreate(_ProxyField):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    slugName: str = Field(pattern=SLUG_PATTERN)
    icon: str = Field(default=DEFAULT_ICON, max_length=100)


class PrivateLocationUpdate(_ProxyField):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    # The slug names the location in checks, jobs and results: it cannot change.
    slugName: str | None = None
    icon: str | None = Field(default=None, max_length=100)
