"""A small JSONPath evaluator for JSON_BODY assertions.

Covers what Checkly users write (Checkly evaluates with jsonpath-plus): `$`, `.key`, `['key']`,
`[n]` (negative counts from the end), `[a:b:c]` slices, `[0,2]` / `['a','b']` unions, `[*]` and
`.*`, `..key` recursive descent, and `.length` on arrays and strings (a JavaScript property that
jsonpath-plus exposes). Filter expressions (`[?(...)]`) are not supported and raise.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any


class JsonPathError(ValueError):
    """The path is not valid (or uses a feature this evaluator does not support)."""


@dataclass(frozen=True, slots=True)
class _Step:
    kind: str  # "key" | "index" | "wild" | "slice" | "descend"
    keys: tuple[str, ...] = ()
    indexes: tuple[int, ...] = ()
    bounds: tuple[int | None, int | None, int | None] = (None, None, None)


_DESCEND = _Step("descend")
_WILD = _Step("wild")


def evaluate(path: str, doc: Any) -> list[Any]:
    """All values `path` selects in `doc`, in document order (empty when nothing matches)."""
    nodes = [doc]
    descend = False
    for step in parse(path):
        if step.kind == "descend":
            descend = True
            continue
        if descend:
            nodes = [n for node in nodes for n in _walk(node)]
            descend = False
        nodes = [out for node in nodes for out in _apply(step, node)]
    return nodes


def parse(path: str) -> list[_Step]:
    text = path.strip()
    if not text:
        raise JsonPathError("empty JSONPath")
    i = 0
    if text[0] == "$":
        i = 1
    elif text[0] not in ".[":
        # Checkly users often write `data.id` for `$.data.id`
        text = "." + text
    steps: list[_Step] = []
    n = len(text)
    while i < n:
        if text.startswith("..", i):
            steps.append(_DESCEND)
            i += 2
            if i < n and text[i] == "[":
                continue
            i = _name(text, i, steps)
        elif text[i] == ".":
            i = _name(text, i + 1, steps)
        elif text[i] == "[":
            i = _bracket(text, i + 1, steps)
        else:
            raise JsonPathError(f"unexpected {text[i]!r} at {i} in {path!r}")
    if steps and steps[-1].kind == "descend":
        raise JsonPathError(f"{path!r} ends with '..'")
    return steps


def _name(text: str, i: int, steps: list[_Step]) -> int:
    j = i
    while j < len(text) and text[j] not in ".[":
        j += 1
    name = text[i:j].strip()
    if not name:
        raise JsonPathError(f"missing name at {i} in {text!r}")
    steps.append(_WILD if name == "*" else _Step("key", keys=(name,)))
    return j


def _bracket(text: str, i: int, steps: list[_Step]) -> int:
    end = _closing(text, i)
    inner = text[i:end].strip()
    if not inner:
        raise JsonPathError(f"empty [] in {text!r}")
    if inner == "*":
        steps.append(_WILD)
    elif inner[0] in "?(":
        raise JsonPathError(f"filter and script expressions are not supported: [{inner}]")
    elif inner[0] in "'\"":
        steps.append(_Step("key", keys=tuple(_quoted(p.strip()) for p in _split(inner))))
    elif ":" in inner:
        steps.append(_Step("slice", bounds=_slice(inner)))
    else:
        try:
            steps.append(_Step("index", indexes=tuple(int(p) for p in _split(inner))))
        except ValueError:
            # jsonpath-plus also accepts bare names in brackets: $[name]
            steps.append(_Step("key", keys=tuple(p.strip() for p in _split(inner))))
    return end + 1


def _closing(text: str, i: int) -> int:
    quote = ""
    escaped = False
    for j in range(i, len(text)):
        c = text[j]
        if quote:
            if escaped:
                escaped = False
            elif c == "\\":
                escaped = True
            elif c == quote:
                quote = ""
        elif c in "'\"":
            quote = c
        elif c == "]":
            return j
    raise JsonPathError(f"unclosed [ in {text!r}")


def _split(inner: str) -> list[str]:
    parts: list[str] = []
    quote = ""
    start = 0
    for j, c in enumerate(inner):
        if quote:
            if c == quote:
                quote = ""
        elif c in "'\"":
            quote = c
        elif c == ",":
            parts.append(inner[start:j])
            start = j + 1
    parts.append(inner[start:])
    return parts


def _quoted(part: str) -> str:
    if len(part) < 2 or part[0] not in "'\"" or part[-1] != part[0]:
        raise JsonPathError(f"bad quoted name {part!r}")
    return part[1:-1].replace("\\" + part[0], part[0])


def _slice(inner: str) -> tuple[int | None, int | None, int | None]:
    pieces = [p.strip() for p in inner.split(":")]
    if len(pieces) > 3:
        raise JsonPathError(f"bad slice [{inner}]")
    try:
        nums = [int(p) if p else None for p in pieces]
    except ValueError:
        raise JsonPathError(f"bad slice [{inner}]") from None
    nums += [None] * (3 - len(nums))
    if nums[2] == 0:
        raise JsonPathError("slice step cannot be zero")
    return (nums[0], nums[1], nums[2])


def _apply(step: _Step, node: Any) -> Iterator[Any]:
    if step.kind == "key":
        for key in step.keys:
            if isinstance(node, dict):
                if key in node:
                    yield node[key]
                elif key == "length":
                    continue
            elif isinstance(node, list):
                if key == "length":
                    yield len(node)
                elif _is_int(key) and -len(node) <= int(key) < len(node):
                    yield node[int(key)]
            elif isinstance(node, str) and key == "length":
                yield len(node)
    elif step.kind == "index":
        if isinstance(node, list):
            for idx in step.indexes:
                if -len(node) <= idx < len(node):
                    yield node[idx]
        elif isinstance(node, dict):
            for idx in step.indexes:
                if str(idx) in node:
                    yield node[str(idx)]
    elif step.kind == "wild":
        if isinstance(node, dict):
            yield from node.values()
        elif isinstance(node, list):
            yield from node
    elif step.kind == "slice" and isinstance(node, list):
        start, stop, stride = step.bounds
        yield from node[slice(start, stop, stride)]


def _is_int(text: str) -> bool:
    return text.lstrip("-").isdigit()


def _walk(node: Any) -> Iterator[Any]:
    """The node and all its descendants, pre-order (the order jsonpath-plus reports)."""
    yield node
    if isinstance(node, dict):
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)
