"""Retry strategies (`vantage.sessions.retries`): who is retried, after how long, and how much
time a session must allow for its retries."""

from __future__ import annotations

from typing import Any

import pytest

from vantage.sessions.retries import (
    MAX_BACKOFF_SECONDS,
    MAX_RETRY_SECONDS,
    NO_RETRY,
    RetryDecision,
    backoff_seconds,
    decide,
    max_retries,
    retry_budget_seconds,
)


def strategy(kind: str, base: int = 60, **fields: Any) -> dict[str, Any]:
    return {
        "type": kind,
        "baseBackoffSeconds": base,
        "maxRetries": 2,
        "maxDurationSeconds": 600,
        "sameRegion": True,
        "onlyOn": None,
        **fields,
    }


@pytest.mark.parametrize(
    ("kind", "base", "delays"),
    [
        ("FIXED", 60, [60, 60, 60]),
        ("LINEAR", 60, [60, 120, 180]),
        ("LINEAR", 5, [5, 10, 15, 20]),
        # the docs' example: base 5 gives 5 s, 25 s, 125 s
        ("EXPONENTIAL", 5, [5, 25, 125]),
        ("EXPONENTIAL", 2, [2, 4, 8, 16]),
        ("EXPONENTIAL", 1, [1, 1, 1]),
        ("EXPONENTIAL", 0, [0, 0]),
        ("SINGLE_RETRY", 30, [30]),
        ("FIXED", 0, [0, 0]),
    ],
)
def test_the_backoff_grows_as_the_strategy_says(kind: str, base: int, delays: list[int]) -> None:
    got = [backoff_seconds(strategy(kind, base), n) for n in range(1, len(delays) + 1)]
    assert got == delays


@pytest.mark.parametrize(
    ("kind", "base", "retry_number"),
    [("LINEAR", 600, 2), ("EXPONENTIAL", 60, 2), ("EXPONENTIAL", 10, 5), ("FIXED", 3600, 1)],
)
def test_a_single_backoff_is_capped_at_fifteen_minutes(
    kind: str, base: int, retry_number: int
) -> None:
    assert backoff_seconds(strategy(kind, base), retry_number) == MAX_BACKOFF_SECONDS == 900


def test_the_backoff_defaults_to_sixty_seconds() -> None:
    assert backoff_seconds({"type": "FIXED"}, 1) == 60


@pytest.mark.parametrize(
    ("given", "retries"),
    [
        (None, 0),
        ({}, 0),
        (strategy("NO_RETRIES"), 0),
        (strategy("SINGLE_RETRY", maxRetries=5), 1),
        (strategy("FIXED"), 2),
        (strategy("LINEAR", maxRetries=10), 10),
        ({"type": "FIXED"}, 2),
    ],
)
def test_the_number_of_retries(given: dict[str, Any] | None, retries: int) -> None:
    assert max_retries(given) == retries


# decide(strategy, attempt, failed, network_error, seconds_since_first_attempt) -> decision
DECISIONS = [
    pytest.param(strategy("FIXED"), 1, False, False, 0, NO_RETRY, id="a pass is never retried"),
    pytest.param(None, 1, True, True, 0, NO_RETRY, id="no strategy, no retry"),
    pytest.param(strategy("NO_RETRIES"), 1, True, True, 0, NO_RETRY, id="NO_RETRIES, no retry"),
    pytest.param(
        strategy("FIXED"), 1, True, False, 0, RetryDecision(True, 60), id="first failure is retried"
    ),
    pytest.param(
        strategy("FIXED"),
        2,
        True,
        False,
        70,
        RetryDecision(True, 60),
        id="second failure is retried",
    ),
    pytest.param(strategy("FIXED"), 3, True, False, 140, NO_RETRY, id="third failure gives up"),
    pytest.param(
        strategy("LINEAR", 10),
        2,
        True,
        False,
        15,
        RetryDecision(True, 20),
        id="linear waits longer each time",
    ),
    pytest.param(
        strategy("EXPONENTIAL", 5, maxRetries=3),
        2,
        True,
        False,
        6,
        RetryDecision(True, 25),
        id="exponential squares",
    ),
    pytest.param(
        strategy("SINGLE_RETRY", 30),
        1,
        True,
        False,
        0,
        RetryDecision(True, 30),
        id="single retry once",
    ),
    pytest.param(
        strategy("SINGLE_RETRY", 30, maxRetries=5),
        2,
        True,
        False,
        31,
        NO_RETRY,
        id="single retry not twice",
    ),
    pytest.param(
        strategy("FIXED", onlyOn=["NETWORK_ERROR"]),
        1,
        True,
        False,
        0,
        NO_RETRY,
        id="network only: assertion failure",
    ),
    pytest.param(
        strategy("FIXED", onlyOn=["NETWORK_ERROR"]),
        1,
        True,
        True,
        0,
        RetryDecision(True, 60),
        id="network only: network error",
    ),
    pytest.param(
        strategy("FIXED"),
        1,
        True,
        True,
        0,
        RetryDecision(True, 60),
        id="any failure: network error",
    ),
    pytest.param(
        strategy("FIXED", maxDurationSeconds=100),
        2,
        True,
        False,
        61,
        NO_RETRY,
        id="over maxDurationSeconds",
    ),
    pytest.param(
        strategy("FIXED", maxDurationSeconds=120),
        2,
        True,
        False,
        60,
        RetryDecision(True, 60),
        id="exactly maxDurationSeconds",
    ),
    pytest.param(
        strategy("FIXED", maxDurationSeconds=0),
        1,
        True,
        False,
        0,
        NO_RETRY,
        id="maxDurationSeconds 0",
    ),
    pytest.param(
        strategy("FIXED", maxDurationSeconds=3600),
        2,
        True,
        False,
        541,
        NO_RETRY,
        id="ten minutes at most",
    ),
]


@pytest.mark.parametrize(
    ("given", "attempt", "failed", "network_error", "elapsed", "decision"),
    DECISIONS,
)
def test_decide(
    given: dict[str, Any] | None,
    attempt: int,
    failed: bool,
    network_error: bool,
    elapsed: float,
    decision: RetryDecision,
) -> None:
    got = decide(
        given,
        attempt=attempt,
        failed=failed,
        network_error=network_error,
        seconds_since_first_attempt=elapsed,
    )
    assert got == decision


@pytest.mark.parametrize(
    ("given", "run_timeout", "budget"),
    [
        (None, 30, 0),
        (strategy("NO_RETRIES"), 30, 0),
        (strategy("FIXED"), 30, 60 + 60 + 2 * 30),
        (strategy("LINEAR", 60, maxRetries=3), 10, 60 + 120 + 180 + 3 * 10),
        (strategy("SINGLE_RETRY", 30), 20, 30 + 20),
        # waits past maxDurationSeconds are cut to it
        (strategy("EXPONENTIAL", 60, maxRetries=3), 10, 600 + 3 * 10),
        (strategy("FIXED", 300, maxRetries=5, maxDurationSeconds=120), 5, 120 + 5 * 5),
        (strategy("FIXED", 300, maxRetries=5, maxDurationSeconds=3600), 5, MAX_RETRY_SECONDS + 25),
    ],
)
def test_the_retry_budget(given: dict[str, Any] | None, run_timeout: float, budget: float) -> None:
    assert retry_budget_seconds(given, run_timeout) == budget


STRATEGIES = [
    strategy(kind, base, maxRetries=retries, maxDurationSeconds=duration)
    for kind in ("FIXED", "LINEAR", "EXPONENTIAL", "SINGLE_RETRY")
    for base in (0, 1, 5, 60, 300)
    for retries in (1, 2, 5, 10)
    for duration in (0, 60, 600)
]


@pytest.mark.parametrize("run_time", [0.5, 10.0, 30.0])
def test_a_session_deadline_allows_for_every_retry_decide_grants(run_time: float) -> None:
    """Simulate a run that always fails after `run_time` seconds: it must end (FINAL) within
    its first run plus the retry budget, or its session would time out under it."""
    for given in STRATEGIES:
        elapsed = run_time
        attempt = 1
        while True:
            decision = decide(
                given,
                attempt=attempt,
                failed=True,
                network_error=False,
                seconds_since_first_attempt=elapsed,
            )
            if not decision.retry:
                break
            elapsed += decision.delay_seconds + run_time
            attempt += 1
        assert attempt - 1 <= max_retries(given)
        assert elapsed <= run_time + retry_budget_seconds(given, run_time) + 1e-9, given
