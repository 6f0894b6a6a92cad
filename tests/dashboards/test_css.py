"""The safe subset of a dashboard's custom CSS (pure)."""

from __future__ import annotations

import pytest

from vantage.dashboards import css


@pytest.mark.parametrize(
    "text",
    [
        "",
        ".header { color: #333; }",
        "/* brand */ @media (prefers-color-scheme: dark) { body { background: #000 } }",
    ],
)
def test_plain_rules_and_media_blocks_are_inside(text: str) -> None:
    assert css.problem(text) is None


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("@import 'x.css';", "at-rule"),
        ("@font-face { src: local(x) }", "at-rule"),
        ("a { background: URL(x.png) }", "load"),
        ("a { background-image: image-set('x.png' 1x) }", "load"),
        ("a { width: expression(alert(1)) }", "script"),
        ("a { -moz-binding: x }", "script"),
        ("a::after { content: '</style>' }", "<"),
        ("a { color: \\72 ed }", "escape"),
        ("a { color: red", "unbalanced"),
        ("a { color: red } }", "unbalanced"),
        ("/* open", "comment"),
        ("x" * 10_001, "at most"),
    ],
)
def test_what_loads_runs_or_escapes_is_outside(text: str, reason: str) -> None:
    problem = css.problem(text)
    assert problem is not None and reason in problem
