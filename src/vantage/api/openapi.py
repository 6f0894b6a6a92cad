"""What `/openapi.json` says that FastAPI cannot infer.

Endpoints read their bodies with `json_body` (so a bad one is a 400 in Checkly's shape, not
FastAPI's 422) and answer with `JSONResponse`, so FastAPI sees neither. Their decorators name the
pydantic types instead: `request_body(...)` for what a POST or PUT takes, `answer(...)` for what a
2xx returns. Each named type becomes one component, generated from the same models that validate
the input, so the document cannot drift from the checks the server makes.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import TypeAdapter
from pydantic.json_schema import JsonSchemaMode

REF = "#/components/schemas/"
TOO_MANY_REQUESTS: dict[str, Any] = {
    "description": "Rate limit reached for this API key and route (Checkly error body)",
    "headers": {
        "Retry-After": {
            "description": "Seconds until the window ends",
            "schema": {"type": "integer"},
        }
    },
    "content": {"application/json": {"schema": {"$ref": REF + "ErrorBody"}}},
}


@dataclass(frozen=True, slots=True)
class _Component:
    type_: Any
    mode: JsonSchemaMode
    # Properties that a partial update may also give in part (merged key by key).
    partial: tuple[str, ...] | None = None


_components: dict[str, _Component] = {}


def component(
    name: str, type_: Any, mode: JsonSchemaMode, *, partial: Iterable[str] | None = None
) -> dict[str, str]:
    """A `$ref` to the component `name`: the JSON schema of `type_` (`partial`: with nothing
    required, also in the named nested objects), or `type_` itself when it is a JSON schema."""
    entry = _Component(type_, mode, None if partial is None else tuple(partial))
    known = _components.setdefault(name, entry)
    if known != entry:
        raise ValueError(f"OpenAPI component {name!r} is declared twice, differently")
    return {"$ref": REF + name}


def request_body(
    name: str, type_: Any = None, *, partial: Iterable[str] | None = None, required: bool = True
) -> dict[str, Any]:
    """`openapi_extra` of an operation whose JSON body `type_` validates (without `type_`: the
    component `name` declared elsewhere)."""
    schema = (
        {"$ref": REF + name}
        if type_ is None
        else component(name, type_, "validation", partial=partial)
    )
    return {
        "requestBody": {"required": required, "content": {"application/json": {"schema": schema}}}
    }


def answer(status: int, description: str, name: str, type_: Any) -> dict[int | str, Any]:
    """`responses=` entry of a 2xx answer: a JSON body of `type_`."""
    schema = component(name, type_, "serialization")
    return {
        status: {"description": description, "content": {"application/json": {"schema": schema}}}
    }


def no_content(description: str) -> dict[int | str, Any]:
    """`responses=` entry of a 204: no body at all (FastAPI's default declares a JSON one)."""
    return {204: {"description": description}}


def _partial(
    schema: dict[str, Any], nested: tuple[str, ...], defs: dict[str, Any]
) -> dict[str, Any]:
    out = copy.deepcopy(schema)
    out.pop("required", None)
    properties = out.get("properties", {})
    for name in nested:
        ref = properties.get(name, {}).get("$ref", "")
        if ref.startswith(REF):
            inner = copy.deepcopy(defs[ref[len(REF) :]])
            inner.pop("required", None)
            inner.pop("title", None)
            properties[name] = inner
    return out


def _generated() -> dict[str, Any]:
    """Every declared component and the definitions they use, in one pass so that pydantic names
    a model's input and output forms apart (`-Input`, `-Output`) when they differ."""
    keyed = [
        ((name, entry.mode), entry.mode, TypeAdapter(entry.type_))
        for name, entry in _components.items()
        if not isinstance(entry.type_, dict)
    ]
    tops, extra = TypeAdapter.json_schemas(keyed, ref_template=REF + "{model}")
    defs: dict[str, Any] = dict(extra.get("$defs", {}))
    for ((name, _), _mode), top in tops.items():
        entry = _components[name]
        if entry.partial is not None:
            top = _partial(_resolve(top, defs), entry.partial, defs)
        if top.get("$ref") != REF + name and defs.setdefault(name, top) != top:
            raise ValueError(f"OpenAPI component {name!r} is also the name of a model")
    for name, entry in _components.items():
        if isinstance(entry.type_, dict):
            defs[name] = entry.type_
    return defs


def _resolve(schema: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref", "")
    return defs[ref[len(REF) :]] if ref.startswith(REF) else schema


def document(app: FastAPI) -> dict[str, Any]:
    """FastAPI's schema with the declared bodies and answers, and two corrections: no 422s (Vantage
    answers invalid input with a 400 in Checkly's error body, which every operation that validates
    declares), and the security requirements: FastAPI lists each scheme as an alternative, but
    the public API needs the key, with or without the account header (a key has one account).
    Every operation of the public API may answer 429 (vantage.limits)."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(
        title=app.title, version=app.version, summary=app.summary, routes=app.routes
    )
    for path in schema.get("paths", {}).values():
        for operation in path.values():
            if operation.get("security"):
                merged: dict[str, list[str]] = {
                    name: [] for need in operation["security"] for name in need
                }
                operation["security"] = [merged]
                if len(merged) > 1 and "Bearer" in merged:
                    operation["security"].append({"Bearer": []})
                if "Bearer" in merged:
                    operation.setdefault("responses", {})["429"] = TOO_MANY_REQUESTS
            responses = operation.get("responses", {})
            if responses.pop("422", None) is not None and "400" not in responses:
                responses["400"] = {
                    "description": "Invalid input (Checkly error body)",
                    "content": {"application/json": {"schema": {"$ref": REF + "ErrorBody"}}},
                }
            if "requestBody" in operation and "413" not in responses:
                # Every body is refused past the size limit, before it is read.
                responses["413"] = {
                    "description": "Body too large (Checkly error body)",
                    "content": {"application/json": {"schema": {"$ref": REF + "ErrorBody"}}},
                }
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        components.pop(name, None)
    for name, definition in _generated().items():
        if components.setdefault(name, definition) != definition:
            raise ValueError(f"OpenAPI component {name!r} clashes with one FastAPI generated")
    app.openapi_schema = schema
    return schema


def allow_header(app: FastAPI, path: str) -> str | None:
    """The methods `/openapi.json` lists for `path`, for a 405's `Allow`. As in OpenAPI, a path
    without parameters wins over a templated one: `/v1/check-sessions/trigger` is no session id."""
    found = []
    for template, operations in app.openapi().get("paths", {}).items():
        pattern = re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template))
        if re.fullmatch(pattern, path):
            found.append((template.count("{"), template, operations))
    if not found:
        return None
    _, _, operations = min(found, key=lambda item: item[:2])
    return ", ".join(sorted(method.upper() for method in operations))
