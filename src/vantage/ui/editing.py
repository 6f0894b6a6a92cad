"""The check Edit form (pure): the fields it shows for a stored check, and the partial update it
sends to the API's own update path (`checks.service.update`), which validates it as a PUT would."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from vantage.errors import BadRequest

# Checkly's allowed `frequency` values in minutes (0 is the sub-minute `frequencyOffset` mode,
# which the form does not offer).
FREQUENCIES = (1, 2, 5, 10, 15, 30, 60, 120, 180, 360, 720, 1440)
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")


def _words(raw: str) -> list[str]:
    """A comma- or newline-separated field as a list, blanks dropped, order and case kept."""
    return [part.strip() for part in raw.replace("\n", ",").split(",") if part.strip()]


def fields_of(config: Mapping[str, Any]) -> dict[str, Any]:
    """What the form shows for a stored check's Checkly config."""
    request = config.get("request") if isinstance(config.get("request"), Mapping) else {}
    assert isinstance(request, Mapping)
    return {
        "name": config.get("name") or "",
        "activated": bool(config.get("activated")),
        "muted": bool(config.get("muted")),
        "frequency": config.get("frequency"),
        "locations": ", ".join(config.get("locations") or []),
        "tags": ", ".join(config.get("tags") or []),
        "degradedResponseTime": config.get("degradedResponseTime"),
        "maxResponseTime": config.get("maxResponseTime"),
        "method": request.get("method"),
        "url": request.get("url"),
        "hasRequest": bool(request),
    }


def _milliseconds(form: Mapping[str, str], key: str) -> int | None:
    raw = form.get(key, "").strip()
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        raise BadRequest(f'"{key}" must be a number', keys=[key]) from None


def payload_of(form: Mapping[str, str], *, has_request: bool) -> dict[str, Any]:
    """The partial update the submitted form asks for. Bad numbers are a 400 naming the field;
    everything else is left to the API's own validation, so the form accepts what a PUT does."""
    try:
        frequency = int(form.get("frequency", ""))
    except ValueError:
        raise BadRequest('"frequency" must be a number', keys=["frequency"]) from None
    payload: dict[str, Any] = {
        "name": form.get("name", "").strip(),
        "activated": form.get("activated") == "on",
        "muted": form.get("muted") == "on",
        "frequency": frequency,
        "locations": _words(form.get("locations", "")),
        "tags": _words(form.get("tags", "")),
    }
    for key in ("degradedResponseTime", "maxResponseTime"):
        value = _milliseconds(form, key)
        if value is not None:
            payload[key] = value
    if has_request:
        payload["request"] = {
            "method": form.get("method", "GET").upper(),
            "url": form.get("url", "").strip(),
        }
    return payload
