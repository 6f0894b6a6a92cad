"""Login throttling: a sliding window per email and per client address."""

from __future__ import annotations

from vantage.users.throttle import LoginThrottle


def test_an_email_is_blocked_after_its_budget_and_free_again_after_the_window() -> None:
    throttle = LoginThrottle(per_email=3, per_address=100, window=60)
    for t in range(3):
        assert not throttle.blocked("a@x", "1.1.1.1", t)
        throttle.failed("a@x", "1.1.1.1", t)
    assert throttle.blocked("a@x", "9.9.9.9", 10)
    assert not throttle.blocked("b@x", "1.1.1.1", 10)
    assert not throttle.blocked("a@x", "1.1.1.1", 63)


def test_one_address_guessing_many_emails_is_blocked_too() -> None:
    throttle = LoginThrottle(per_email=100, per_address=5, window=60)
    for i in range(5):
        throttle.failed(f"user{i}@x", "6.6.6.6", 1)
    assert throttle.blocked("new@x", "6.6.6.6", 2)
    assert not throttle.blocked("new@x", "7.7.7.7", 2)


def test_a_successful_login_clears_the_emails_failures() -> None:
    throttle = LoginThrottle(per_email=2, per_address=100, window=60)
    throttle.failed("a@x", "1.1.1.1", 1)
    throttle.succeeded("a@x")
    throttle.failed("a@x", "1.1.1.1", 2)
    assert not throttle.blocked("a@x", "1.1.1.1", 3)
