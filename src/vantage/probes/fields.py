"""Lenient readers for a check's Checkly JSON, shared by the TCP and DNS probes.

Validation happens where checks are created; a probe only refuses to crash on what slipped by.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


def as_mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def assertion_list(value: Any) -> list[Mapping[str, Any]]:
    if not isinstance(value, Sequence) or isinstance(value, str):
        return []
    return [a for a in value if isinstance(a, Mapping)]


def as_port(value: Any, default: int | None = None) -> int | None:
    """A port in 1..65535, `default` when absent, None when unusable."""
    if value is None:
        return default
    try:
        port = int(value)
    except (TypeError, ValueError):
        return None
    return port if 0 < port < 65536 else None
