"""Assertion regexes on RE2: the extraction rules as before, no backtracking, a bounded cost."""

from __future__ import annotations

import pytest

from vantage.probes.regex import (
    INLINE_WORK,
    MAX_PATTERN_LENGTH,
    NeedsWorker,
    RegexError,
    compile_pattern,
    extract,
)


def test_the_first_capture_group_of_the_first_match_is_extracted() -> None:
    assert extract(r"build (\d+)", "build 4711, build 4712") == "4711"


def test_the_whole_match_is_extracted_when_the_pattern_has_no_group() -> None:
    assert extract(r"\d+", "build 4711") == "4711"


def test_nothing_is_extracted_without_a_match_or_when_the_group_took_no_part() -> None:
    assert extract(r"version (\d+)", "build 4711") is None
    assert extract(r"x(y)?", "x") is None


def test_non_ascii_text_is_matched_by_characters() -> None:
    assert extract(r"é(.)", "café!") == "!"


def test_a_catastrophic_pattern_for_backtracking_engines_answers_at_once() -> None:
    # Python's re takes hours on this; pytest's timeout fails the test long before
    assert extract("(a+)+$", "a" * 40 + "!") is None
    assert extract("(a+)+$", "a" * 1_000_000 + "!") is None


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        (r"(a)\1", r"uses a backreference (\1), which RE2 does not support"),
        ("(?P<n>a)(?P=n)", "uses a named backreference (?P=...), which RE2 does not support"),
        ("a(?=b)", "uses lookahead (?=...), which RE2 does not support"),
        ("a(?!b)", "uses negative lookahead (?!...), which RE2 does not support"),
        ("(?<=a)b", "uses lookbehind (?<=...), which RE2 does not support"),
        ("(?<!a)b", "uses negative lookbehind (?<!...), which RE2 does not support"),
        ("(?>a)", "uses an atomic group (?>...), which RE2 does not support"),
        ("[", "is not a valid RE2 regular expression (missing ]: [)"),
        ("x" * (MAX_PATTERN_LENGTH + 1), "is longer than 1000 characters"),
        (r"\pL{150}", "compiles to more than RE2's 256 KiB limit"),
        (r"\pL" * 21, r"uses more than 20 Unicode classes (\p, \P)"),
    ],
)
def test_a_pattern_re2_cannot_run_is_refused_with_the_reason(pattern: str, message: str) -> None:
    with pytest.raises(RegexError) as refused:
        compile_pattern(pattern)
    assert str(refused.value) == message


def test_an_escaped_backslash_before_p_is_not_a_unicode_class() -> None:
    assert extract(r"(\\p)" * 30, "\\p" * 30) == "\\p"


def test_a_search_beyond_the_callers_budget_asks_for_a_worker() -> None:
    text = "ab" * 10_000
    with pytest.raises(NeedsWorker):
        extract("[ab]*a[ab]{1000}c", text, budget=INLINE_WORK)
    assert extract("[ab]*a[ab]{1000}c", text) is None


def test_a_search_too_costly_for_any_thread_is_refused() -> None:
    with pytest.raises(RegexError, match="is too costly for a text of 1000000 characters"):
        extract("[ab]*a[ab]{1000}c", "ab" * 500_000)
