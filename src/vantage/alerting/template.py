"""Checkly's webhook templates: a Handlebars subset, rendered without running any code (pure).

- `{{VAR}}` is HTML-escaped as Handlebars escapes (`& < > " ' ` =`); `{{{VAR}}}` is raw;
- `{{#if X}}…{{else}}…{{/if}}`, `{{#unless X}}…{{/unless}}`, `{{#each X}}…{{/each}}` with `this`,
  `@index`, `@first`, `@last` inside;
- helpers `{{json X}}` (Vantage's: the value as a JSON literal, safe inside a JSON body whatever
  the error message holds), `{{$UUID}}`, `{{$RANDOM_NUMBER}}`, and `{{eq A B}}` / `{{#eq A B}}`.
An unknown variable renders as nothing, as in Handlebars. A malformed template is a
`TemplateError` (the notification fails with its message; it is not retried).
"""

from __future__ import annotations

import html
import json
import random
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

_TAG = re.compile(r"\{\{\{\s*(.*?)\s*\}\}\}|\{\{(~?)\s*(.*?)\s*(~?)\}\}", re.DOTALL)
MAX_OUTPUT = 1_000_000


class TemplateError(ValueError):
    pass


@dataclass
class _Node:
    kind: str  # "text", "var", "raw", "block"
    value: str = ""
    args: list[str] = field(default_factory=list)
    body: list[_Node] = field(default_factory=list)
    inverse: list[_Node] = field(default_factory=list)


def _parse(template: str) -> list[_Node]:
    root: list[_Node] = []
    stack: list[tuple[_Node, list[_Node]]] = []
    current = root
    pos = 0
    for match in _TAG.finditer(template):
        if match.start() > pos:
            current.append(_Node("text", template[pos : match.start()]))
        pos = match.end()
        if match.group(1) is not None:
            current.append(_Node("raw", args=match.group(1).split()))
            continue
        inner = match.group(3)
        if inner.startswith("!"):
            continue
        if inner.startswith("#"):
            words = inner[1:].split()
            if not words:
                raise TemplateError("a block needs a helper: {{#if X}}")
            block = _Node("block", words[0], words[1:])
            current.append(block)
            stack.append((block, current))
            current = block.body
        elif inner == "else":
            if not stack:
                raise TemplateError("{{else}} outside a block")
            current = stack[-1][0].inverse
        elif inner.startswith("/"):
            if not stack or stack[-1][0].value != inner[1:].strip():
                raise TemplateError(f"unexpected {{{{{inner}}}}}")
            _, current = stack.pop()
        else:
            current.append(_Node("var", args=inner.split()))
    if stack:
        raise TemplateError(f"{{{{#{stack[-1][0].value}}}}} is never closed")
    current.append(_Node("text", template[pos:]))
    return root


@dataclass(frozen=True)
class _Scope:
    variables: Mapping[str, Any]
    this: Any = None
    locals: Mapping[str, Any] = field(default_factory=dict)


def _lookup(name: str, scope: _Scope) -> Any:
    if name.startswith('"') and name.endswith('"') and len(name) >= 2:
        return name[1:-1]
    if re.fullmatch(r"-?\d+", name):
        return int(name)
    if name in ("this", "."):
        return scope.this
    if name.startswith("@"):
        return scope.locals.get(name[1:])
    if name == "$UUID":
        return str(uuid.uuid4())
    if name == "$RANDOM_NUMBER":
        return random.randrange(1_000_000_000)
    return scope.variables.get(name)


def _text(value: Any) -> str:
    if value is None or value is False:
        return "" if value is None else "false"
    if value is True:
        return "true"
    if isinstance(value, list):
        return ",".join(_text(v) for v in value)
    return str(value)


def _escape(text: str) -> str:
    return html.escape(text, quote=True).replace("`", "&#x60;").replace("=", "&#x3D;")


def _call(args: Sequence[str], scope: _Scope) -> Any:
    if not args:
        return None
    name, rest = args[0], [_lookup(a, scope) for a in args[1:]]
    if name == "json":
        return json.dumps(rest[0] if rest else None)
    if name == "eq":
        return len(rest) == 2 and rest[0] == rest[1]
    if len(args) > 1:
        raise TemplateError(f"unknown helper {name!r}")
    return _lookup(name, scope)


def _truthy(value: Any) -> bool:
    return bool(value) and value != "false"


def _render(nodes: Sequence[_Node], scope: _Scope, out: list[str]) -> None:
    for node in nodes:
        if node.kind == "text":
            out.append(node.value)
        elif node.kind == "raw":
            out.append(_text(_call(node.args, scope)))
        elif node.kind == "var":
            value = _call(node.args, scope)
            out.append(value if node.args[0] == "json" else _escape(_text(value)))
        elif node.value == "each":
            _each(node, scope, out)
        elif node.value in ("if", "unless", "eq"):
            if node.value == "eq":
                test = _call(["eq", *node.args], scope)
            else:
                test = _truthy(_call(node.args, scope))
            if node.value == "unless":
                test = not test
            _render(node.body if test else node.inverse, scope, out)
        else:
            raise TemplateError(f"unknown block helper {node.value!r}")
        if sum(len(part) for part in out) > MAX_OUTPUT:
            raise TemplateError("the template renders more than 1 MB")


def _each(node: _Node, scope: _Scope, out: list[str]) -> None:
    items = _call(node.args, scope)
    if isinstance(items, Mapping):
        items = list(items.values())
    if not isinstance(items, list) or not items:
        _render(node.inverse, scope, out)
        return
    for index, item in enumerate(items):
        local = {"index": index, "first": index == 0, "last": index == len(items) - 1}
        _render(node.body, _Scope(scope.variables, item, local), out)


def render(template: str, variables: Mapping[str, Any]) -> str:
    out: list[str] = []
    _render(_parse(template), _Scope(variables), out)
    return "".join(out)
