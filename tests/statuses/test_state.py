"""A check's status from its status row's flags."""

from __future__ import annotations

from vantage.statuses.state import status_of


def test_a_failure_or_an_error_is_failing_even_when_degraded() -> None:
    assert status_of(has_failures=True, has_errors=False, is_degraded=True) == "failing"
    assert status_of(has_failures=False, has_errors=True, is_degraded=False) == "failing"


def test_degraded_without_failures_is_degraded_and_neither_is_passing() -> None:
    assert status_of(has_failures=False, has_errors=False, is_degraded=True) == "degraded"
    assert status_of(has_failures=False, has_errors=False, is_degraded=False) == "passing"
