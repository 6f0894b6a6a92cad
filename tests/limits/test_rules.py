from __future__ import annotations

import pytest

from vantage.limits.counters import LocalCounters
from vantage.limits.rules import (
    EXPENSIVE_ROUTES,
    Limits,
    RuleError,
    Window,
    count,
    parse_routes,
    retry_after,
)


def test_a_first_request_opens_a_window_of_one() -> None:
    assert count(None, 100.0, 60) == Window(started=100.0, hits=1)


def test_requests_inside_the_window_add_up_and_keep_its_start() -> None:
    assert count(Window(100.0, 5), 159.9, 60) == Window(100.0, 6)


def test_a_request_after_the_window_ends_opens_a_new_one() -> None:
    assert count(Window(100.0, 600), 160.0, 60) == Window(160.0, 1)


def test_retry_after_is_the_rest_of_the_window_rounded_up_and_never_zero() -> None:
    assert retry_after(Window(100.0, 601), 130.2, 60) == 30
    assert retry_after(Window(100.0, 601), 159.99, 60) == 1


def test_route_limits_read_as_method_path_and_number() -> None:
    assert parse_routes(" GET /v1/checks=100 , POST /v1/check-sessions/trigger=0,") == {
        "GET /v1/checks": 100,
        "POST /v1/check-sessions/trigger": 0,
    }


def test_the_default_route_limits_are_checklys_for_the_raw_result_lists() -> None:
    assert parse_routes(EXPENSIVE_ROUTES) == {
        "GET /v1/check-results/{check_id}": 60,
        "GET /v2/check-results/{check_id}": 60,
    }


@pytest.mark.parametrize("item", ["GET /v1/checks", "/v1/checks=5", "GET /v1/checks=-1", "x"])
def test_an_unreadable_route_limit_is_an_error_naming_it(item: str) -> None:
    with pytest.raises(RuleError, match="METHOD /path=N"):
        parse_routes(item)


def test_a_route_of_its_own_wins_over_the_default_and_zero_means_no_limit() -> None:
    limits = Limits(default=600, window=60, routes={"GET /a": 60, "GET /b": 0})
    assert limits.limit_for("GET /a") == 60
    assert limits.limit_for("GET /b") == 0
    assert limits.limit_for("GET /c") == 600


async def test_local_counters_forget_windows_that_ended() -> None:
    counters = LocalCounters()
    await counters.hit("old-key", "GET /a", 100.0, 60)
    await counters.hit("new-key", "GET /a", 170.0, 60)
    assert set(counters._windows) == {("new-key", "GET /a")}
