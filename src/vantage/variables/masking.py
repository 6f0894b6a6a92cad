"""Secret variables are write-only (pure): answers show `null` for their value, a client that
reads an object and sends it back, echoing those nulls, keeps the stored values, and a secret value
is kept sealed (vantage.sealing) in the check's or group's stored config."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from vantage.sealing import is_sealed

Seal = Callable[[str], str]


def without_secret_values(variables: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Secret variables are write-only: as at Checkly, their value is always returned as null."""
    return [{**v, "value": None} if v.get("secret") else v for v in variables]


def keep_secret_values(
    stored: list[dict[str, Any]], sent: list[dict[str, Any]], seal: Seal
) -> list[dict[str, Any]]:
    """The variables to store, secret values sealed. A client that reads an object and sends it
    back echoes null for every secret value: that keeps the stored value instead of erasing it. A
    key once secret stays secret (Checkly: "once set, its value cannot be unlocked"); a new value
    replaces the old one. A stored value sent back as it is stored (a PUT that did not name
    `environmentVariables` carries the stored list) stays as it is: no client ever sees a sealed
    value, so it cannot have typed one."""
    secrets = {v["key"]: v.get("value") for v in stored if v.get("secret")}
    out = []
    for variable in sent:
        key, value = variable["key"], variable.get("value")
        if key in secrets or variable.get("secret"):
            variable = {**variable, "secret": True}
            if key in secrets and (value is None or value == "" or value == secrets[key]):
                value = secrets[key]
            variable["value"] = _sealed(value, seal)
        out.append(variable)
    return out


def _sealed(value: Any, seal: Seal) -> Any:
    if value is None or (isinstance(value, str) and is_sealed(value)):
        return value
    # A new value, or one stored before secret values of checks and groups were sealed.
    return seal(str(value))


def opened(variables: list[dict[str, Any]], open_: Callable[[str], str]) -> list[dict[str, Any]]:
    """The variables as a run uses them: secret values opened."""
    return [
        {**v, "value": open_(v["value"])}
        if v.get("secret") and isinstance(v.get("value"), str)
        else v
        for v in variables
    ]
