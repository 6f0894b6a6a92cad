"""One defaults table per check type, and one rule for a null or missing response time."""

from __future__ import annotations

from typing import Any

import pytest

from vantage.checks import schemas
from vantage.probes.defaults import RESPONSE_TIMES, Limits, response_limits
from vantage.probes.runner import GRACE_SECONDS, run_timeout_seconds


@pytest.mark.parametrize("check_type", sorted(RESPONSE_TIMES))
def test_a_null_or_missing_limit_means_the_types_default(check_type: str) -> None:
    defaults = RESPONSE_TIMES[check_type]
    check = {"degradedResponseTime": None, "maxResponseTime": None}
    assert response_limits(check_type, check) == Limits(defaults.degraded_ms, defaults.max_ms)
    assert response_limits(check_type, {}) == Limits(defaults.degraded_ms, defaults.max_ms)


@pytest.mark.parametrize("value", ["soon", True, [5000]])
def test_a_limit_that_is_not_a_number_is_refused(value: Any) -> None:
    with pytest.raises(ValueError, match="must be a number"):
        response_limits("TCP", {"maxResponseTime": value})


def test_a_limit_written_as_a_numeric_string_is_read_as_its_number() -> None:
    assert response_limits("API", {"maxResponseTime": "2500"}).max_ms == 2500.0


def test_a_limit_of_zero_is_a_limit() -> None:
    check = {"degradedResponseTime": 0, "maxResponseTime": 0}
    assert response_limits("TCP", check) == Limits(0.0, 0.0)


def test_an_unknown_check_type_gets_the_api_checks_limits() -> None:
    assert response_limits("BROWSER", {}) == response_limits("API", {})


def test_the_runner_abandons_a_run_shortly_after_the_types_default_limit() -> None:
    for check_type, defaults in RESPONSE_TIMES.items():
        expected = defaults.max_ms / 1000 + GRACE_SECONDS
        assert run_timeout_seconds(check_type, {"maxResponseTime": None}) == expected


@pytest.mark.parametrize(
    ("model", "check_type"),
    [
        (schemas.ApiCheck, "API"),
        (schemas.UrlCheck, "URL"),
        (schemas.TcpCheck, "TCP"),
        (schemas.DnsCheck, "DNS"),
        (schemas.IcmpCheck, "ICMP"),
    ],
)
def test_a_new_check_shows_the_probes_defaults(model: Any, check_type: str) -> None:
    fields = model.model_fields
    defaults = RESPONSE_TIMES[check_type]
    assert fields["degradedResponseTime"].default == defaults.degraded_ms
    assert fields["maxResponseTime"].default == defaults.max_ms
