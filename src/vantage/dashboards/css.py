"""The safe subset of CSS a dashboard's `customCSS` may use (pure).

Style rules and `@media` blocks over the page's own elements: no at-rule that loads or declares
anything (`@import`, `@font-face`, `@namespace`, ...), no `url(...)` or `image-set(...)` (nothing
is fetched from elsewhere, so a dashboard's readers are not tracked), no legacy script hooks
(`expression(`, `behavior:`, `-moz-binding`, `javascript:`), no escapes (which could spell any
of those), and nothing that could end the `<style>` element (`<`).
"""

from __future__ import annotations

import re

MAX_CHARS = 10_000
FORBIDDEN = (
    (re.compile(r"<"), "must not contain <"),
    (re.compile(r"\\"), "must not contain escapes (\\)"),
    (re.compile(r"@(?!media\b)[a-z-]+", re.I), "may use no at-rule but @media"),
    (
        re.compile(r"\b(url|image-set|image|cross-fade|element|src)\s*\(", re.I),
        "must not load resources (url(...))",
    ),
    (
        re.compile(r"expression\s*\(|javascript:|behaviou?r\s*:|-moz-binding", re.I),
        "must not run script",
    ),
)


def problem(css: str) -> str | None:
    """Why `css` is outside the safe subset, or None when it is inside."""
    if len(css) > MAX_CHARS:
        return f"must be at most {MAX_CHARS} characters"
    text = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    if "/*" in text:
        return "has an unclosed comment"
    for pattern, reason in FORBIDDEN:
        if pattern.search(text):
            return reason
    depth = 0
    for char in text:
        depth += {"{": 1, "}": -1}.get(char, 0)
        if depth < 0 or depth > 2:
            return "has unbalanced or too deeply nested braces"
    if depth:
        return "has unbalanced braces"
    return None
