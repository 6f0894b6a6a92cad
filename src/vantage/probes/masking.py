"""Secret-looking header and query-parameter names, and masking them out of a stored API result.

Pure. A name is sensitive when it matches one of the patterns (shell globs, case-insensitive). In
an `apiCheckResult`, the value of every sensitive request header, query parameter (in `params` and
in the URL) and response header becomes `********`, and every copy of those values elsewhere in
the result (an echoing response body, an assertion's actual value, an error message) too.

The embedded agent masks with the server's names, a remote agent with its own, and the server
masks again what a remote agent sends, so what is stored obeys the server's setting whatever the
agent ran.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any
from urllib.parse import unquote_plus

from vantage.probes.result import ProbeResult

MASK = "********"
# Checkly documents no list of its own for API results (it masks what a user marks secret);
# these are the credentials HTTP APIs carry in headers and query strings.
DEFAULT_SENSITIVE_NAMES = (
    "authorization",
    "proxy-authorization",
    "cookie",
    "set-cookie",
    "x-api-key",
    "*token*",
    "*secret*",
    "*password*",
    "*api-key*",
    "*api_key*",
    "*apikey*",
)
# Shorter values are not searched for in free text: they would mask half a body for no gain.
MIN_SCRUBBED_LENGTH = 4
_COOKIE_HEADERS = frozenset({"cookie", "set-cookie"})


@dataclass(frozen=True, slots=True)
class SensitiveNames:
    patterns: tuple[str, ...] = DEFAULT_SENSITIVE_NAMES

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str):
            return False
        return _matches(self.patterns, name.strip().lower())


@functools.lru_cache(maxsize=4096)
def _matches(patterns: tuple[str, ...], lower: str) -> bool:
    # Every result asks about the same few header names: remember the answers.
    return any(fnmatchcase(lower, pattern) for pattern in patterns)


@functools.lru_cache(maxsize=16)
def sensitive_names(extra: str = "") -> SensitiveNames:
    """The defaults plus `extra`: comma-separated names or globs (VANTAGE_SENSITIVE_NAMES). Added,
    never replacing, so that a setting cannot unmask `Authorization` by mistake."""
    added = (p.strip().lower() for p in extra.split(","))
    return SensitiveNames(tuple(dict.fromkeys([*DEFAULT_SENSITIVE_NAMES, *filter(None, added)])))


DEFAULT_SENSITIVE = sensitive_names()


class Scrubber:
    """Values that must not appear in a stored result, replaced wherever they occur."""

    def __init__(self) -> None:
        self._values: set[str] = set()
        self._ordered: list[str] | None = []

    @property
    def values(self) -> list[str]:
        # Longest first, so a value that contains another is replaced whole
        if self._ordered is None:
            self._ordered = sorted(self._values, key=len, reverse=True)
        return self._ordered

    def add(self, value: str | None) -> None:
        if value and len(value) >= MIN_SCRUBBED_LENGTH and value != MASK:
            self._values.add(value)
            self._ordered = None

    def add_header(self, name: str, value: str) -> None:
        """A sensitive header's value, its credential alone (`Bearer <this>`) and, for cookies,
        each cookie's value: an echo may carry any of them."""
        self.add(value)
        self.add(value.partition(" ")[2])
        if name.strip().lower() in _COOKIE_HEADERS:
            for pair in value.split(";"):
                self.add(pair.partition("=")[2].strip())

    def scrub(self, text: str) -> str:
        for value in self.values:
            if value in text:
                text = text.replace(value, MASK)
        return text

    def scrub_tree(self, node: Any) -> Any:
        """Every string in a JSON-like tree scrubbed (values only: keys are names)."""
        if isinstance(node, str):
            return self.scrub(node)
        if isinstance(node, Mapping):
            return {key: self.scrub_tree(value) for key, value in node.items()}
        if isinstance(node, list):
            return [self.scrub_tree(item) for item in node]
        return node


def mask_query(url: str, names: SensitiveNames, scrubber: Scrubber) -> str:
    """`?token=abc&page=2` -> `?token=********&page=2`; the rest of the URL byte for byte."""
    head, sep, rest = url.partition("?")
    if not sep:
        return url
    query, hash_sep, fragment = rest.partition("#")
    parts = []
    for part in query.split("&"):
        key, eq, value = part.partition("=")
        if eq and unquote_plus(key) in names:
            scrubber.add(value)
            scrubber.add(unquote_plus(value))
            part = f"{key}={MASK}"
        parts.append(part)
    return f"{head}?{'&'.join(parts)}{hash_sep}{fragment}"


def _mask_pairs(pairs: Any, names: SensitiveNames, scrubber: Scrubber) -> Any:
    if not isinstance(pairs, Mapping):
        return pairs
    out: dict[str, Any] = {}
    for name, value in pairs.items():
        if name in names:
            if isinstance(value, str):
                scrubber.add_header(name, value)
            value = MASK
        out[name] = value
    return out


def _mask_side(side: Any, names: SensitiveNames, scrubber: Scrubber) -> Any:
    if not isinstance(side, Mapping):
        return side
    out = dict(side)
    for key in ("headers", "params"):
        if key in out:
            out[key] = _mask_pairs(out[key], names, scrubber)
    for key in ("url", "href"):
        if isinstance(out.get(key), str):
            out[key] = mask_query(out[key], names, scrubber)
    return out


def mask_api_detail(
    detail: Mapping[str, Any], names: SensitiveNames, scrubber: Scrubber | None = None
) -> dict[str, Any]:
    """An `apiCheckResult` with sensitive headers and parameters masked by name, and their values
    (plus any the scrubber already holds) scrubbed from everything else in it."""
    scrubber = scrubber or Scrubber()
    # Every value is collected before anything is scrubbed: a response header's value may be
    # echoed in the request's part, a request's in the response's
    masked = dict(detail)
    for side in ("request", "response"):
        if side in masked:
            masked[side] = _mask_side(masked[side], names, scrubber)
    if not scrubber.values:  # the common case: nothing to search for in a (large) body
        return masked
    scrubbed: dict[str, Any] = scrubber.scrub_tree(masked)
    return scrubbed


def mask_result(result: ProbeResult, names: SensitiveNames) -> ProbeResult:
    """A result as received from an agent, masked with this server's names."""
    if result.detail_key != "apiCheckResult":
        return result
    scrubber = Scrubber()
    detail = mask_api_detail(result.detail, names, scrubber)
    error = None if result.error is None else scrubber.scrub(result.error)
    return dataclasses.replace(result, detail=detail, error=error)
