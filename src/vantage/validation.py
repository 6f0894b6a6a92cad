"""Turn pydantic's validation errors into Checkly's 400 body, Joi-style: the message names the
field (`"request.url" is required`) and `validation.keys` lists the fields."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from pydantic import ValidationError

from vantage.errors import BadRequest


def _path(loc: Sequence[int | str]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _message(error: Any) -> tuple[str, str]:
    loc = list(error["loc"])
    # FastAPI prefixes where the value came from; the field names follow.
    if loc and loc[0] in ("body", "query", "path", "header"):
        loc = loc[1:]
    kind = error["type"]
    text = str(error.get("msg", "is invalid"))
    ctx = error.get("ctx") or {}
    # Model-level rules report "field: reason" so the message can still name the field.
    if kind == "value_error" and ":" in str(ctx.get("error", "")):
        field, _, reason = str(ctx["error"]).partition(":")
        path = _path([*loc, field.strip()]) if loc else field.strip()
        return path, f'"{path}" {reason.strip()}'
    path = _path(loc) or "value"
    if kind == "missing":
        return path, f'"{path}" is required'
    if kind == "extra_forbidden":
        return path, f'"{path}" is not allowed'
    if kind in ("literal_error", "enum"):
        return path, f'"{path}" must be one of [{ctx.get("expected", "")}]'
    if kind in ("int_parsing", "int_type", "float_parsing", "float_type", "int_from_float"):
        return path, f'"{path}" must be a number'
    if kind in ("bool_parsing", "bool_type"):
        return path, f'"{path}" must be a boolean'
    if kind in ("string_type",):
        return path, f'"{path}" must be a string'
    if kind in ("list_type",):
        return path, f'"{path}" must be an array'
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return path, f'"{path}" must be of type object'
    if kind == "string_too_long":
        limit = ctx.get("max_length")
        return path, f'"{path}" length must be less than or equal to {limit} characters long'
    if kind == "too_long":
        limit = ctx.get("max_length")
        return path, f'"{path}" must contain less than or equal to {limit} items'
    if kind == "string_too_short":
        return path, f'"{path}" is not allowed to be empty'
    if kind in ("greater_than_equal", "greater_than"):
        return path, f'"{path}" must be greater than or equal to {ctx.get("ge", ctx.get("gt"))}'
    if kind in ("less_than_equal", "less_than"):
        return path, f'"{path}" must be less than or equal to {ctx.get("le", ctx.get("lt"))}'
    if kind == "uuid_parsing":
        return path, f'"{path}" must be a valid GUID'
    if kind == "json_invalid":
        return "body", "Invalid request payload JSON format"
    return path, f'"{path}" {text[0].lower() + text[1:] if text else "is invalid"}'


# One request reports at most this many problems: enough to fix a payload, and a body with
# thousands of bad items costs no more to answer than one with a few.
MAX_REPORTED = 20


def bad_request(exc: ValidationError | Iterable[Any], source: str = "payload") -> BadRequest:
    errors = exc.errors(include_url=False) if isinstance(exc, ValidationError) else exc
    messages: dict[str, str] = {}  # a dict: the first message per field, found in linear time
    for error in errors:
        key, message = _message(error)
        messages.setdefault(key, message)
        if len(messages) >= MAX_REPORTED:
            break
    return BadRequest(
        ". ".join(messages.values()) or "Invalid request", keys=list(messages), source=source
    )
