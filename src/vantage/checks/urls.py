"""The URL of an API or URL check, refused at save time when no run could ever use it.

The probe (`vantage.probes.http_client.parse_target`) fails a run whose URL is not http(s) with a
host and a valid port; the same rules here turn that into a 400 naming `request.url` instead of a
check that fails every run. A URL with a `{{VARIABLE}}` is resolved only when it runs (a group's
`{{GROUP_BASE_URL}}`, say), so only its scheme is checked, when it has one; an API check's URL
that starts with `/` is relative to its group's base URL (vantage.groups.effective).
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from pydantic import AfterValidator, Field
from pydantic_core import PydanticCustomError

SCHEMES = ("http", "https")


def url_problem(url: str, *, relative: bool = False) -> str | None:
    """Why no run could use `url`, or None. `relative`: a path is fine (a group completes it)."""
    if relative and url.startswith("/"):
        return None
    if "{{" in url:
        scheme, sep, _ = url.partition("://")
        if sep and "{{" not in scheme and scheme.lower() not in SCHEMES:
            return f"must be an http or https URL, not {scheme}:"
        return None
    try:
        parts = urlsplit(url.strip())
        _ = parts.port  # raises on a port that is not a number from 0 to 65535
    except ValueError as exc:
        return f"is not a valid URL ({exc})"
    if parts.scheme.lower() not in SCHEMES:
        return 'must be an http or https URL, such as "https://example.com/health"'
    host = parts.hostname
    if not host or any(char.isspace() for char in host):
        return "must name a host, such as https://example.com/"
    try:
        host.encode("idna")
    except UnicodeError:
        return f"has a host name that cannot be resolved ({host!r})"
    return None


def _refuse(problem: str | None) -> None:
    if problem:
        # Its own error type: a ValueError's "field: reason" form would split the URL's colon.
        raise PydanticCustomError("url", problem)


def _absolute(url: str) -> str:
    _refuse(url_problem(url))
    return url


def _api(url: str) -> str:
    _refuse(url_problem(url, relative=True))
    return url


_Length = Field(min_length=1, max_length=2048)
# A URL check's URL; an API check's, which may also be a path under its group's base URL.
RunnableUrl = Annotated[str, _Length, AfterValidator(_absolute)]
ApiUrl = Annotated[str, _Length, AfterValidator(_api)]
