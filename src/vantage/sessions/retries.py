"""Retry strategies (pure): whether a failed run is tried again, and after how long.

Checkly's types: FIXED (b, b, b), LINEAR (b, 2b, 3b), EXPONENTIAL (b, b², b³: the docs' example with
b=5 is 5 s, 25 s, 125 s), SINGLE_RETRY (one retry after b). A single backoff is capped at 15 minutes
and the time spent retrying at `maxDurationSeconds` (at most 10 minutes), as Checkly's backend does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

MAX_BACKOFF_SECONDS = 15 * 60
MAX_RETRY_SECONDS = 10 * 60


@dataclass(frozen=True, slots=True)
class RetryDecision:
    retry: bool
    delay_seconds: float = 0.0


NO_RETRY = RetryDecision(retry=False)


def max_retries(strategy: dict[str, Any] | None) -> int:
    if not strategy or strategy.get("type") == "NO_RETRIES":
        return 0
    if strategy.get("type") == "SINGLE_RETRY":
        return 1
    return int(strategy.get("maxRetries", 2))


def backoff_seconds(strategy: dict[str, Any], retry_number: int) -> float:
    """The wait before retry number `retry_number` (1 for the first retry)."""
    base = float(strategy.get("baseBackoffSeconds", 60))
    kind = strategy.get("type")
    if kind == "LINEAR":
        delay = base * retry_number
    elif kind == "EXPONENTIAL":
        delay = base**retry_number if base > 1 else base
    else:
        delay = base
    return min(delay, MAX_BACKOFF_SECONDS)


def decide(
    strategy: dict[str, Any] | None,
    *,
    attempt: int,
    failed: bool,
    network_error: bool,
    seconds_since_first_attempt: float,
) -> RetryDecision:
    """Whether the run that just ended as try number `attempt` (1-based) is retried."""
    if not failed or attempt > max_retries(strategy):
        return NO_RETRY
    assert strategy is not None
    if "NETWORK_ERROR" in (strategy.get("onlyOn") or []) and not network_error:
        return NO_RETRY
    delay = backoff_seconds(strategy, attempt)
    budget = min(float(strategy.get("maxDurationSeconds", 600)), MAX_RETRY_SECONDS)
    if seconds_since_first_attempt + delay > budget:
        return NO_RETRY
    return RetryDecision(retry=True, delay_seconds=delay)


def retry_budget_seconds(strategy: dict[str, Any] | None, run_timeout: float) -> float:
    """The longest a run with its retries can take: what a session's deadline must allow for."""
    retries = max_retries(strategy)
    if not retries:
        return 0.0
    assert strategy is not None
    waits = sum(backoff_seconds(strategy, n) for n in range(1, retries + 1))
    budget = min(float(strategy.get("maxDurationSeconds", 600)), MAX_RETRY_SECONDS)
    return min(waits, budget) + retries * run_timeout
