"""The check-session state machine (`vantage.sessions.state`), table by table."""

from __future__ import annotations

import itertools

import pytest

from vantage.sessions.state import TERMINAL, is_terminal, public_status, status_for

# expected locations, results reported (ATTEMPTs included), FINALs, failed, degraded -> status
TABLE = [
    # nothing reported yet
    (1, 0, 0, 0, 0, "STARTED"),
    (3, 0, 0, 0, 0, "STARTED"),
    # retries under way: ATTEMPT results never decide the status
    (1, 1, 0, 0, 0, "PROGRESS"),
    (1, 3, 0, 0, 0, "PROGRESS"),
    # some locations in, others still running
    (2, 1, 1, 0, 0, "PROGRESS"),
    (2, 1, 1, 1, 0, "PROGRESS_FAILED"),
    (2, 1, 1, 0, 1, "PROGRESS_DEGRADED"),
    (3, 2, 2, 1, 1, "PROGRESS_FAILED"),
    (3, 2, 2, 0, 2, "PROGRESS_DEGRADED"),
    # every location in
    (1, 1, 1, 0, 0, "PASSED"),
    (1, 1, 1, 1, 0, "FAILED"),
    (1, 1, 1, 0, 1, "DEGRADED"),
    (1, 2, 1, 0, 0, "PASSED"),  # passed on its retry
    (2, 2, 2, 0, 0, "PASSED"),
    (2, 2, 2, 1, 0, "FAILED"),
    (2, 2, 2, 0, 1, "DEGRADED"),
    (2, 2, 2, 1, 1, "FAILED"),
    (3, 5, 3, 0, 3, "DEGRADED"),
]


@pytest.mark.parametrize(("expected", "reported", "finals", "failed", "degraded", "status"), TABLE)
def test_the_status_follows_the_final_results(
    expected: int, reported: int, finals: int, failed: int, degraded: int, status: str
) -> None:
    got = status_for(
        expected=expected, reported=reported, finals=finals, failed=failed, degraded=degraded
    )
    assert got == status


def counters(expected: int) -> list[tuple[int, int, int]]:
    """Every (finals, failed, degraded) a session of `expected` locations can reach."""
    return [
        (finals, failed, degraded)
        for finals in range(expected + 1)
        for failed in range(finals + 1)
        for degraded in range(finals - failed + 1)
    ]


@pytest.mark.parametrize("expected", [1, 2, 3, 4])
def test_a_session_is_terminal_exactly_when_every_final_is_in(expected: int) -> None:
    for finals, failed, degraded in counters(expected):
        status = status_for(
            expected=expected, reported=finals, finals=finals, failed=failed, degraded=degraded
        )
        assert is_terminal(status) == (finals == expected), (finals, failed, degraded)


@pytest.mark.parametrize("expected", [2, 3, 4])
def test_an_in_progress_verdict_is_never_taken_back(expected: int) -> None:
    """PROGRESS_FAILED always ends FAILED; PROGRESS_DEGRADED never ends PASSED."""
    for finals, failed, degraded in counters(expected):
        if finals == expected:
            continue
        now = status_for(
            expected=expected, reported=finals, finals=finals, failed=failed, degraded=degraded
        )
        rest = expected - finals
        for more_failed, more_degraded in itertools.product(range(rest + 1), repeat=2):
            if more_failed + more_degraded > rest:
                continue
            end = status_for(
                expected=expected,
                reported=expected,
                finals=expected,
                failed=failed + more_failed,
                degraded=degraded + more_degraded,
            )
            if now == "PROGRESS_FAILED":
                assert end == "FAILED"
            if now == "PROGRESS_DEGRADED":
                assert end in ("FAILED", "DEGRADED")


@pytest.mark.parametrize(
    ("status", "terminal"),
    [
        ("STARTED", False),
        ("PROGRESS", False),
        ("PROGRESS_FAILED", False),
        ("PROGRESS_DEGRADED", False),
        ("PASSED", True),
        ("FAILED", True),
        ("DEGRADED", True),
        ("TIMED_OUT", True),
        ("CANCELLED", True),
    ],
)
def test_terminal_states_are_checklys_final_ones(status: str, terminal: bool) -> None:
    assert is_terminal(status) is terminal
    assert (status in TERMINAL) is terminal


@pytest.mark.parametrize(
    ("status", "v1", "v2"),
    [
        ("CANCELLED", "TIMED_OUT", "CANCELLED"),
        ("TIMED_OUT", "TIMED_OUT", "TIMED_OUT"),
        ("PASSED", "PASSED", "PASSED"),
        ("PROGRESS_FAILED", "PROGRESS_FAILED", "PROGRESS_FAILED"),
    ],
)
def test_v1_shows_a_cancelled_session_as_timed_out(status: str, v1: str, v2: str) -> None:
    assert public_status(status, 1) == v1
    assert public_status(status, 2) == v2
