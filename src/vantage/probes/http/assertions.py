"""API-check assertions: extract the value each assertion names from a response, then compare.

Pure: takes the facts of a response (`ResponseFacts`) and the configured assertions, returns one
outcome per assertion in Checkly's result shape plus `actual`, `passed` and, when it failed or the
value could not be extracted, `error`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from vantage.probes import jsonpath, regex
from vantage.probes.assertions import failure_message
from vantage.probes.comparisons import compare, target_text

URL_CHECK_SOURCES = frozenset({"STATUS_CODE"})

_NOT_PARSED = object()


class _Unextractable(Exception):
    """The assertion's value could not be extracted; the message is the outcome's `error`."""


@dataclass(slots=True)
class ResponseFacts:
    """What assertions can look at. `headers` has lower-case names."""

    status: int
    headers: Mapping[str, str]
    body_text: str
    response_time_ms: float
    _json: Any = field(default=_NOT_PARSED, repr=False)

    def json(self) -> Any:
        # Parsed at most once, however many JSON_BODY assertions there are
        if self._json is _NOT_PARSED:
            try:
                self._json = json.loads(self.body_text)
            except ValueError:
                self._json = _Unextractable("Response body is not valid JSON")
        if isinstance(self._json, _Unextractable):
            raise self._json
        return self._json


def echo(assertion: Mapping[str, Any], order: int) -> dict[str, Any]:
    """The configured assertion in the shape Checkly echoes it in results."""
    return {
        "order": order,
        "source": assertion.get("source"),
        "property": assertion.get("property") or "",
        "comparison": assertion.get("comparison"),
        "target": assertion.get("target", ""),
        "regex": assertion.get("regex") or None,
    }


def evaluate_assertions(
    assertions: Sequence[Mapping[str, Any]],
    facts: ResponseFacts,
    regex_budget: int = regex.MAX_WORK,
) -> list[dict[str, Any]]:
    """One outcome per assertion. `regex.NeedsWorker` when a regex would cost more than
    `regex_budget` (see `probes/offload.py`)."""
    return [evaluate_one(a, order, facts, regex_budget) for order, a in enumerate(assertions)]


def evaluate_one(
    assertion: Mapping[str, Any],
    order: int,
    facts: ResponseFacts,
    regex_budget: int = regex.MAX_WORK,
) -> dict[str, Any]:
    outcome = echo(assertion, order)
    source = str(assertion.get("source") or "")
    comparison = str(assertion.get("comparison") or "")
    target = target_text(assertion.get("target"))
    try:
        actual = _extract(source, str(assertion.get("property") or ""), facts)
        pattern = assertion.get("regex")
        if pattern and source in ("HEADERS", "TEXT_BODY", "JSON_BODY") and actual is not None:
            actual = _regex(str(pattern), actual, regex_budget)
        if source == "HEADERS" and isinstance(actual, Mapping) and "HAS_KEY" in comparison:
            target = target.lower()  # header names are case-insensitive
        passed = compare(comparison, actual, target)
    except _Unextractable as exc:
        outcome.update(actual=None, passed=False, error=str(exc))
        return outcome
    except ValueError as exc:  # unknown comparison
        outcome.update(actual=None, passed=False, error=str(exc))
        return outcome
    outcome.update(actual=actual, passed=passed)
    if not passed:
        outcome["error"] = failure_message(outcome)  # the CLI's ✖ (`probes.assertions`)
    return outcome


def _extract(source: str, prop: str, facts: ResponseFacts) -> Any:
    if source == "STATUS_CODE":
        return facts.status
    if source == "RESPONSE_TIME":
        return round(facts.response_time_ms, 3)
    if source == "TEXT_BODY":
        return facts.body_text
    if source == "HEADERS":
        if not prop:
            return dict(facts.headers)
        return facts.headers.get(prop.strip().lower())
    if source == "JSON_BODY":
        doc = facts.json()
        if not prop.strip() or prop.strip() == "$":
            return doc
        try:
            matches = jsonpath.evaluate(prop, doc)
        except jsonpath.JsonPathError as exc:
            raise _Unextractable(f"Invalid JSONPath {prop!r}: {exc}") from None
        if not matches:
            return None
        return matches[0] if len(matches) == 1 else matches
    raise _Unextractable(f"Unknown assertion source {source!r}")


def _regex(pattern: str, actual: Any, budget: int) -> Any:
    if isinstance(actual, str):
        text = actual
    else:
        text = (
            json.dumps(actual, separators=(",", ":"))
            if not isinstance(actual, int | float)
            else str(actual)
        )
    try:
        return regex.extract(pattern, text, budget=budget)
    except regex.RegexError as exc:
        raise _Unextractable(f"Invalid regex {pattern!r}: {exc}") from None
