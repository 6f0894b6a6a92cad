"""What JSON both databases can store and every answer can echo.

`json.loads` accepts what PostgreSQL refuses (a NUL character in text or JSONB) and what cannot
be encoded as UTF-8 on the way out (a lone surrogate such as `"\\ud800"`), as well as numbers no
column holds and nesting deep enough to exhaust the recursion limit. Such a value stored once
makes every later read of its row fail, so it is refused on the way in (`check`), or, in an
agent's result, where the text is what a probe saw, replaced (`scrub`).
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

# Joi's number() limit, which Checkly applies: integers beyond it lose precision in JavaScript.
MAX_SAFE_INTEGER = 2**53 - 1
REPLACEMENT = "\ufffd"
_SURROGATES = re.compile("[\ud800-\udfff]")
_BAD_TEXT = re.compile("[\x00\ud800-\udfff]")
# In json.dumps output a NUL is the escape \u0000, preceded by an even number of backslashes.
_ESCAPED_NUL = re.compile(r"(?<!\\)(?:\\\\)*\\u0000")
# Raw JSON can carry a NUL or a lone surrogate only as one of these escapes (a literal control
# character or an unpaired surrogate is not valid JSON text); a match may be a false alarm.
_RAW_BAD_ESCAPE = re.compile(rb"\\u(?:0000|[dD][89abcdefABCDEF][0-9a-fA-F]{2})")


class Unstorable(ValueError):
    def __init__(self, path: str, message: str) -> None:
        super().__init__(message)
        self.path = path
        self.message = message


def text_problem(text: str) -> str | None:
    if "\x00" in text:
        return "must not contain a NUL character"
    if not text.isascii() and _SURROGATES.search(text):
        return "must be valid Unicode text (it contains a lone surrogate)"
    return None


def _name(path: list[str | int]) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            part = _BAD_TEXT.sub(REPLACEMENT, part)  # the message itself must be encodable
            out += f".{part}" if out else part
    return out or "value"


def check(doc: Any, *, max_depth: int, max_values: int) -> None:
    """Raise Unstorable naming the first value that cannot be stored and echoed, or that makes
    the document deeper than `max_depth` or larger than `max_values` values. Each value is
    visited at most once and the walk stops at `max_values`, so its cost is bounded."""
    seen = 1
    stack: list[tuple[Any, list[str | int]]] = [(doc, [])]
    while stack:
        value, path = stack.pop()
        kind = type(value)
        if kind is str:
            problem = text_problem(value)
            if problem:
                raise Unstorable(_name(path), f'"{_name(path)}" {problem}')
        elif kind is int:
            if not -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
                raise Unstorable(_name(path), f'"{_name(path)}" must be a safe number')
        elif kind is float:
            if not math.isfinite(value):
                raise Unstorable(_name(path), f'"{_name(path)}" must be a safe number')
        elif kind is dict or kind is list:
            if len(path) >= max_depth:
                raise Unstorable(
                    _name(path), f'"{_name(path)}" is nested more than {max_depth} levels deep'
                )
            seen += len(value)
            if seen > max_values:
                raise Unstorable(_name(path), f"The payload must hold at most {max_values} values")
            if kind is dict:
                for key, item in value.items():
                    problem = text_problem(key)
                    if problem:
                        raise Unstorable(_name([*path, key]), f'"{_name([*path, key])}" {problem}')
                    stack.append((item, [*path, key]))
            else:
                stack.extend((item, [*path, index]) for index, item in enumerate(value))


def is_clean(doc: Any) -> bool:
    """Whether `doc` holds no NUL, lone surrogate or non-finite number, tested at C speed: the
    Python walk of `scrub` then runs only for documents that need it."""
    return clean_json(doc) is not None


def scrub(doc: Any) -> Any:
    """A copy of `doc` with NULs and lone surrogates replaced by U+FFFD and non-finite numbers by
    null: what a probe saw, made storable, rather than lost."""
    if isinstance(doc, str):
        return doc if _BAD_TEXT.search(doc) is None else _BAD_TEXT.sub(REPLACEMENT, doc)
    if is_clean(doc):
        return doc
    return _scrubbed(doc)


def raw_is_clean(raw: bytes) -> bool:
    """Whether nothing parsed from the JSON text `raw` can hold a NUL or a lone surrogate: one
    scan of the bytes instead of a test of every value parsed from them."""
    return _RAW_BAD_ESCAPE.search(raw) is None


def clean_json(doc: Any) -> bytes | None:
    """`doc` as compact UTF-8 JSON when it is storable as it is, else None (then `scrub` it):
    one encoding serves as both the test and the bytes to send."""
    try:
        data = json.dumps(doc, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        encoded = data.encode("utf-8")
    except (ValueError, RecursionError):  # NaN/Infinity, a lone surrogate (UnicodeEncodeError)
        return None
    return None if _has_escaped_nul(data) else encoded


def _has_escaped_nul(text: str) -> bool:
    # The plain search runs at C speed; the regex, far slower, only tells an escaped NUL from an
    # escaped backslash followed by "u0000" text.
    return "\\u0000" in text and _ESCAPED_NUL.search(text) is not None


def _scrubbed(value: Any) -> Any:
    if isinstance(value, str):
        return _BAD_TEXT.sub(REPLACEMENT, value)
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {_BAD_TEXT.sub(REPLACEMENT, k): _scrubbed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrubbed(v) for v in value]
    return value
