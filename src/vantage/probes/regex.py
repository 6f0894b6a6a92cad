"""Assertion regexes on RE2: matching time linear in the text, whatever the pattern.

Python's `re` backtracks: `(a+)+$` against 40 characters runs for hours, and a probe run inside
the server would hold its event loop all that time. RE2 never backtracks, so it has no
backreferences and no lookaround; a pattern using them is refused with a message that says so.

Linear is not free: a search costs at worst the text's length times the size of the compiled
program (about 10 ns per character and instruction when RE2's DFA gives up, as it does on
`[ab]*a[ab]{1000}c`). `extract` weighs that work before it searches: above `MAX_WORK` the
assertion errors instead of occupying a thread for seconds; above the caller's `budget` it raises
`NeedsWorker`, so the event loop only ever runs cheap searches itself.
"""

from __future__ import annotations

from typing import Protocol

import re2

MAX_PATTERN_LENGTH = 1000
# Compiling holds the interpreter lock, so what it may cost is bounded too. It stops at this much
# memory: `\pL{150}` would otherwise take 200 ms. It leaves room for `.{1000}` (8,000
# instructions, 2-10 ms, about the most any 1,000 characters cost).
MAX_PROGRAM_BYTES = 256 * 1024
# A Unicode class (`\pL`, `\P{Greek}`) costs up to 0.5 ms to parse, before that memory counts.
MAX_UNICODE_CLASSES = 20
# Characters x program instructions: about 2 s of one thread at the worst rate (10 ns). A
# 30-instruction pattern over a 1 MiB body is 3e7.
MAX_WORK = 200_000_000
# What a search may cost on the event loop: about 10 ms at the worst rate.
INLINE_WORK = 1_000_000

_OPTIONS = re2.Options()
_OPTIONS.max_mem = MAX_PROGRAM_BYTES
_OPTIONS.log_errors = False  # RE2 would write every refused pattern to stderr

# RE2 names the construct it stopped at; these are the ones users of backtracking engines expect.
_UNSUPPORTED = {
    "(?=": "lookahead (?=...)",
    "(?!": "negative lookahead (?!...)",
    "(?<=": "lookbehind (?<=...)",
    "(?<!": "negative lookbehind (?<!...)",
    "(?>": "an atomic group (?>...)",
}


class Match(Protocol):
    def group(self, index: int, /) -> str | None: ...


class Compiled(Protocol):
    @property
    def groups(self) -> int: ...

    @property
    def programsize(self) -> int: ...

    def search(self, text: str, /) -> Match | None: ...


class RegexError(ValueError):
    """The pattern cannot be used. The message follows the pattern or field name in a sentence:
    `uses lookahead (?=...), which RE2 does not support`."""


class NeedsWorker(Exception):
    """The search costs more than the caller's budget: run it again in a worker thread."""


def compile_pattern(pattern: str) -> Compiled:
    """The compiled pattern (RE2 caches recent ones); `RegexError` if it cannot be used."""
    if len(pattern) > MAX_PATTERN_LENGTH:
        raise RegexError(f"is longer than {MAX_PATTERN_LENGTH} characters")
    if _unicode_classes(pattern) > MAX_UNICODE_CLASSES:
        raise RegexError(f"uses more than {MAX_UNICODE_CLASSES} Unicode classes (\\p, \\P)")
    try:
        compiled: Compiled = re2.compile(pattern, _OPTIONS)
    except re2.error as exc:
        raise RegexError(_reason(pattern, exc)) from None
    return compiled


def extract(pattern: str, text: str, *, budget: int = MAX_WORK) -> str | None:
    """First capture group of the first match (the whole match without groups); None if none."""
    compiled = compile_pattern(pattern)
    work = compiled.programsize * max(len(text), 1)
    if work > MAX_WORK:
        raise RegexError(
            f"is too costly for a text of {len(text)} characters: {compiled.programsize} RE2 "
            f"instructions x characters must stay under {MAX_WORK}"
        )
    if work > budget:
        raise NeedsWorker
    match = compiled.search(text)
    if match is None:
        return None
    return match.group(1) if compiled.groups else match.group(0)


def _unicode_classes(pattern: str) -> int:
    count = 0
    escaped = False
    for char in pattern:
        if escaped:
            count += char in "pP"
            escaped = False
        else:
            escaped = char == "\\"
    return count


def _reason(pattern: str, exc: Exception) -> str:
    raw = exc.args[0] if exc.args else ""
    message = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    _, _, where = message.rpartition(": ")
    if message.startswith("invalid escape sequence") and where[1:2].isdigit():
        return f"uses a backreference ({where}), which RE2 does not support"
    if where == "(?P" and "(?P=" in pattern:
        return "uses a named backreference (?P=...), which RE2 does not support"
    for prefix, name in _UNSUPPORTED.items():
        if where.startswith(prefix):
            return f"uses {name}, which RE2 does not support"
    if message.startswith("pattern too large"):
        return f"compiles to more than RE2's {MAX_PROGRAM_BYTES // 1024} KiB limit"
    return f"is not a valid RE2 regular expression ({message})"
