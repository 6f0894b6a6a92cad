"""Secret variables are write-only (pure): answers show `null` for their value, and a client that
reads an object and sends it back, echoing those nulls, keeps the stored values."""

from __future__ import annotations

from typing import Any


def without_secret_values(variables: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Secret variables are write-only: as at Checkly, their value is always returned as null."""
    return [{**v, "value": None} if v.get("secret") else v for v in variables]


def keep_secret_values(
    stored: list[dict[str, Any]], sent: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """A client that reads an object and sends it back echoes null for every secret value: that
    keeps the stored value instead of erasing it. A key once secret stays secret (Checkly: "once
    set, its value cannot be unlocked"); a new value replaces the old one."""
    secrets = {v["key"]: v.get("value") for v in stored if v.get("secret")}
    out = []
    for variable in sent:
        key = variable["key"]
        if key in secrets:
            value = variable.get("value")
            variable = {**variable, "secret": True}
            if value is None or value == "":
                variable["value"] = secrets[key]
        out.append(variable)
    return out
