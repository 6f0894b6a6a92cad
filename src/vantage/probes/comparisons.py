"""Checkly's assertion comparisons, applied to a value a probe has already extracted.

Pure functions: every check type extracts its actual value (status code, a JSONPath match, a header,
a DNS answer) and hands it here with the assertion's `comparison` and `target`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, Literal, get_args

# The comparisons Checkly offers, per check type. The Literals type the API's models
# (checks/schemas.py); the sets, derived from them, are what the probes accept.
Comparison = Literal[
    "EQUALS",
    "NOT_EQUALS",
    "HAS_KEY",
    "NOT_HAS_KEY",
    "HAS_VALUE",
    "NOT_HAS_VALUE",
    "IS_EMPTY",
    "NOT_EMPTY",
    "GREATER_THAN",
    "LESS_THAN",
    "CONTAINS",
    "NOT_CONTAINS",
    "IS_NULL",
    "NOT_NULL",
]
UrlComparison = Literal["EQUALS", "NOT_EQUALS", "LESS_THAN", "GREATER_THAN"]
TcpComparison = Literal[
    "EQUALS",
    "NOT_EQUALS",
    "IS_EMPTY",
    "NOT_EMPTY",
    "LESS_THAN",
    "GREATER_THAN",
    "CONTAINS",
    "NOT_CONTAINS",
]
IcmpComparison = Literal[
    "EQUALS",
    "NOT_EQUALS",
    "IS_EMPTY",
    "NOT_EMPTY",
    "GREATER_THAN",
    "LESS_THAN",
    "CONTAINS",
    "NOT_CONTAINS",
    "IS_NULL",
    "NOT_NULL",
]
COMPARISONS: frozenset[str] = frozenset(get_args(Comparison))
URL_COMPARISONS: frozenset[str] = frozenset(get_args(UrlComparison))
TCP_COMPARISONS: frozenset[str] = frozenset(get_args(TcpComparison))


def target_text(target: Any) -> str:
    """The configured target as the string `compare` expects (the API stores 200 or "200")."""
    if target is None:
        return ""
    if isinstance(target, bool):
        return "true" if target else "false"
    if isinstance(target, float) and target.is_integer():
        return str(int(target))
    return str(target)


def _as_number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return None
    return None


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        # 200.0 and 200 must both read as "200", as a user typing a target expects
        return str(int(value)) if float(value).is_integer() else str(value)
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


def _equals(actual: Any, target: str) -> bool:
    a_num, t_num = _as_number(actual), _as_number(target)
    if a_num is not None and t_num is not None:
        return a_num == t_num
    return _as_text(actual) == target


def _is_empty(actual: Any) -> bool:
    if actual is None:
        return True
    if isinstance(actual, str | bytes | Sequence | Mapping):
        return len(actual) == 0
    return False


def compare(comparison: str, actual: Any, target: str) -> bool:
    """Return whether `actual` satisfies `comparison` against the assertion's `target` string.

    Raises `ValueError` for an unknown comparison (validation should have refused it earlier).
    """
    if comparison == "EQUALS":
        return _equals(actual, target)
    if comparison == "NOT_EQUALS":
        return not _equals(actual, target)
    if comparison in ("GREATER_THAN", "LESS_THAN"):
        a_num, t_num = _as_number(actual), _as_number(target)
        if a_num is None or t_num is None:
            return False
        return a_num > t_num if comparison == "GREATER_THAN" else a_num < t_num
    if comparison == "CONTAINS":
        return _contains(actual, target)
    if comparison == "NOT_CONTAINS":
        return not _contains(actual, target)
    if comparison == "IS_EMPTY":
        return _is_empty(actual)
    if comparison == "NOT_EMPTY":
        return not _is_empty(actual)
    if comparison == "IS_NULL":
        return actual is None
    if comparison == "NOT_NULL":
        return actual is not None
    if comparison == "HAS_KEY":
        return isinstance(actual, Mapping) and target in actual
    if comparison == "NOT_HAS_KEY":
        return not (isinstance(actual, Mapping) and target in actual)
    if comparison == "HAS_VALUE":
        return _has_value(actual, target)
    if comparison == "NOT_HAS_VALUE":
        return not _has_value(actual, target)
    raise ValueError(f"unknown comparison {comparison!r}")


def _contains(actual: Any, target: str) -> bool:
    if isinstance(actual, list):
        return any(_equals(item, target) for item in actual)
    return target in _as_text(actual)


def _has_value(actual: Any, target: str) -> bool:
    if isinstance(actual, Mapping):
        return any(_equals(v, target) for v in actual.values())
    if isinstance(actual, list):
        return any(_equals(v, target) for v in actual)
    return _equals(actual, target)
