"""The alert policy as pure logic: thresholds, transitions, reminders, parallel runs, mute, the
settings' precedence and the channels' filters."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest

from vantage.alerting.policy import (
    Alert,
    AlertSettings,
    AlertState,
    ChannelFilter,
    Verdict,
    due_reminder,
    due_timers,
    effective_settings,
    evaluate,
    is_muted,
    verdict,
    wants,
)

T0 = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
RUNS = {"P": "PASSING", "F": "FAILING", "D": "DEGRADED"}


def run(
    sequence: str,
    settings: AlertSettings | None = None,
    *,
    minutes_apart: float = 1,
    silenced: Sequence[int] = (),
) -> list[list[str]]:
    """Feed runs (P, F, D) one minute apart; the alert types each run raises."""
    settings = settings or AlertSettings()
    state = AlertState()
    raised: list[list[str]] = []
    for index, letter in enumerate(sequence):
        now = T0 + timedelta(minutes=index * minutes_apart)
        outcome: Verdict = RUNS[letter]  # type: ignore[assignment]
        state, alerts = evaluate(state, outcome, settings, now, silenced=index in silenced)
        raised.append([a.alert_type for a in alerts])
    return raised


def test_one_failed_run_alerts_at_once_with_the_default_threshold() -> None:
    assert run("PF") == [[], ["ALERT_FAILURE"]]


def test_a_run_based_threshold_counts_consecutive_failures_and_a_pass_resets_it() -> None:
    three = AlertSettings(failed_run_threshold=3)
    assert run("FFPFFFP", three) == [
        [],
        [],
        [],
        [],
        [],
        ["ALERT_FAILURE_REMAIN"],
        ["ALERT_RECOVERY"],
    ]


def test_staying_failed_alerts_only_once() -> None:
    assert run("FFFF") == [["ALERT_FAILURE"], [], [], []]


def test_a_failure_below_the_threshold_recovers_silently() -> None:
    assert run("FP", AlertSettings(failed_run_threshold=2)) == [[], []]


def test_a_time_based_threshold_waits_for_the_minutes_failing() -> None:
    five = AlertSettings(escalation="TIME_BASED", minutes_failing_threshold=5)
    raised = run("FFFFFFF", five)
    # runs a minute apart: the run at +5 min is the first one 5 minutes into the failure
    assert raised == [[], [], [], [], [], ["ALERT_FAILURE_REMAIN"], []]


@pytest.mark.parametrize(
    ("sequence", "expected"),
    [
        ("D", [["ALERT_DEGRADED"]]),
        ("DD", [["ALERT_DEGRADED"], []]),
        ("DP", [["ALERT_DEGRADED"], ["ALERT_DEGRADED_RECOVERY"]]),
        ("DF", [["ALERT_DEGRADED"], ["ALERT_DEGRADED_FAILURE"]]),
        ("FD", [["ALERT_FAILURE"], ["ALERT_FAILURE_DEGRADED"]]),
        ("FDP", [["ALERT_FAILURE"], ["ALERT_FAILURE_DEGRADED"], ["ALERT_DEGRADED_RECOVERY"]]),
        ("FP", [["ALERT_FAILURE"], ["ALERT_RECOVERY"]]),
        ("DFP", [["ALERT_DEGRADED"], ["ALERT_DEGRADED_FAILURE"], ["ALERT_RECOVERY"]]),
    ],
)
def test_checklys_transition_table(sequence: str, expected: list[list[str]]) -> None:
    assert run(sequence) == expected


def test_escalation_and_de_escalation_ignore_the_threshold() -> None:
    two = AlertSettings(failed_run_threshold=2)
    assert run("DDFDP", two) == [
        [],
        ["ALERT_DEGRADED_REMAIN"],
        ["ALERT_DEGRADED_FAILURE"],
        ["ALERT_FAILURE_DEGRADED"],
        ["ALERT_DEGRADED_RECOVERY"],
    ]


def test_a_silenced_failure_is_never_announced_later_nor_its_recovery() -> None:
    assert run("FFP", silenced=[0]) == [[], [], []]
    # the next incident is announced again
    assert run("FPF", silenced=[0]) == [[], [], ["ALERT_FAILURE"]]


def test_one_incident_keeps_its_episode_from_trigger_to_recovery() -> None:
    state = AlertState()
    episodes = []
    for index, letter in enumerate("FDFPF"):
        outcome: Verdict = RUNS[letter]  # type: ignore[assignment]
        state, alerts = evaluate(state, outcome, AlertSettings(), T0 + timedelta(minutes=index))
        episodes += [a.episode for a in alerts]
    assert episodes == [1, 1, 1, 1, 2]


def test_reminders_come_every_interval_up_to_the_amount_and_stop_on_recovery() -> None:
    settings = AlertSettings(reminder_amount=2, reminder_interval_minutes=5)
    state, alerts = evaluate(AlertState(), "FAILING", settings, T0)
    assert state.next_reminder_at == T0 + timedelta(minutes=5)
    assert due_reminder(state, settings, T0 + timedelta(minutes=4))[1] == []
    state, first = due_reminder(state, settings, T0 + timedelta(minutes=5))
    assert first == [Alert("ALERT_FAILURE_REMAIN", 1, True, 1)]
    state, second = due_reminder(state, settings, T0 + timedelta(minutes=10))
    assert second == [Alert("ALERT_FAILURE_REMAIN", 1, True, 2)]
    assert state.next_reminder_at is None
    assert due_reminder(state, settings, T0 + timedelta(hours=1))[1] == []
    state, _ = evaluate(AlertState(), "FAILING", settings, T0)
    state, _ = evaluate(state, "PASSING", settings, T0 + timedelta(minutes=1))
    assert state.next_reminder_at is None
    assert due_reminder(state, settings, T0 + timedelta(minutes=5))[1] == []


def test_unbounded_reminders_keep_going() -> None:
    settings = AlertSettings(reminder_amount=100000, reminder_interval_minutes=1)
    state, _ = evaluate(AlertState(), "FAILING", settings, T0)
    for minute in range(1, 50):
        state, alerts = due_reminder(state, settings, T0 + timedelta(minutes=minute))
        assert [a.reminder_sequence for a in alerts] == [minute]


def test_a_failing_run_also_sends_a_due_reminder() -> None:
    settings = AlertSettings(reminder_amount=1, reminder_interval_minutes=1)
    assert run("FFF", settings) == [["ALERT_FAILURE"], ["ALERT_FAILURE_REMAIN"], []]


@pytest.mark.parametrize(
    ("failed", "finals", "expected"),
    [(0, 4, "PASSING"), (1, 4, "PASSING"), (2, 4, "FAILING"), (4, 4, "FAILING")],
)
def test_a_parallel_run_fails_when_enough_locations_fail(
    failed: int, finals: int, expected: str
) -> None:
    half = AlertSettings(parallel_enabled=True, parallel_percentage=50)
    got = verdict(finals=finals, failed=failed, degraded=0, parallel=True, settings=half)
    assert got == expected


def test_without_the_parallel_threshold_one_failed_location_fails_the_run() -> None:
    settings = AlertSettings(parallel_enabled=True, parallel_percentage=50)
    assert verdict(finals=4, failed=1, degraded=0, parallel=False, settings=settings) == "FAILING"
    assert verdict(finals=4, failed=1, degraded=0, parallel=True, settings=AlertSettings()) == (
        "FAILING"
    )
    assert verdict(finals=2, failed=0, degraded=1, parallel=True, settings=settings) == "DEGRADED"
    assert verdict(finals=0, failed=0, degraded=0, parallel=True, settings=settings) is None


def test_settings_come_from_the_account_group_or_check() -> None:
    own = {"escalationType": "RUN_BASED", "runBasedEscalation": {"failedRunThreshold": 3}}
    forced = {
        "escalationType": "TIME_BASED",
        "timeBasedEscalation": {"minutesFailingThreshold": 15},
    }
    check = {"useGlobalAlertSettings": False, "alertSettings": own}
    assert effective_settings(check, None).failed_run_threshold == 3
    assert effective_settings({**check, "useGlobalAlertSettings": True}, None) == AlertSettings()
    group = {"useGlobalAlertSettings": False, "alertSettings": forced}
    assert effective_settings(check, group).escalation == "TIME_BASED"
    assert effective_settings(check, group).minutes_failing_threshold == 15
    assert effective_settings(check, {"useGlobalAlertSettings": True}).failed_run_threshold == 3


def test_a_muted_check_or_group_mutes() -> None:
    assert is_muted({"muted": True}, None)
    assert is_muted({"muted": False}, {"muted": True})
    assert not is_muted({"muted": False}, {"muted": False})


def test_channels_hear_what_they_asked_for() -> None:
    only_failures = ChannelFilter(send_failure=True, send_degraded=False, send_recovery=False)
    assert wants(only_failures, Alert("ALERT_FAILURE", 1))
    assert wants(only_failures, Alert("ALERT_DEGRADED_FAILURE", 1))
    assert not wants(only_failures, Alert("ALERT_DEGRADED", 1))
    assert not wants(only_failures, Alert("ALERT_FAILURE_DEGRADED", 1))
    assert not wants(only_failures, Alert("ALERT_RECOVERY", 1))
    recoveries = ChannelFilter(send_failure=False, send_degraded=False, send_recovery=True)
    assert wants(recoveries, Alert("ALERT_DEGRADED_RECOVERY", 1))


def test_it_tells_a_recovery_only_to_channels_that_heard_some_of_its_incident() -> None:
    failures = ChannelFilter(send_failure=True, send_degraded=False, send_recovery=True)
    degradations = ChannelFilter(send_failure=False, send_degraded=True, send_recovery=True)
    # passing -> degraded -> passing: the failures channel never heard of it
    state, _ = evaluate(AlertState(), "DEGRADED", AlertSettings(), T0)
    _, [recovery] = evaluate(state, "PASSING", AlertSettings(), T0)
    assert recovery.alert_type == "ALERT_DEGRADED_RECOVERY"
    assert wants(degradations, recovery) and not wants(failures, recovery)
    # passing -> failing -> degraded -> passing: each channel heard one half of it
    state, _ = evaluate(AlertState(), "FAILING", AlertSettings(), T0)
    state, _ = evaluate(state, "DEGRADED", AlertSettings(), T0)
    _, [recovery] = evaluate(state, "PASSING", AlertSettings(), T0)
    assert recovery.alert_type == "ALERT_DEGRADED_RECOVERY"
    assert wants(degradations, recovery) and wants(failures, recovery)
    # a new incident starts with nothing heard
    state, _ = evaluate(AlertState(episode=1), "FAILING", AlertSettings(), T0)
    _, [recovery] = evaluate(state, "PASSING", AlertSettings(), T0)
    assert wants(failures, recovery) and not wants(degradations, recovery)


def test_a_time_based_threshold_met_between_runs_alerts_on_the_timer() -> None:
    five = AlertSettings(escalation="TIME_BASED", minutes_failing_threshold=5)
    state, alerts = evaluate(AlertState(), "FAILING", five, T0)
    assert alerts == [] and state.escalate_at == T0 + timedelta(minutes=5)
    assert due_timers(state, five, T0 + timedelta(minutes=4))[1] == []
    state, alerts = due_timers(state, five, T0 + timedelta(minutes=5))
    assert [a.alert_type for a in alerts] == ["ALERT_FAILURE"]
    assert state.notified == "FAILING" and state.escalate_at is None
    # Its next run, still failing, announces nothing more.
    assert evaluate(state, "FAILING", five, T0 + timedelta(minutes=10))[1] == []


def test_a_degradation_meets_its_time_based_threshold_on_the_timer_too() -> None:
    five = AlertSettings(escalation="TIME_BASED", minutes_failing_threshold=5)
    state, _ = evaluate(AlertState(), "DEGRADED", five, T0)
    state, _ = evaluate(state, "DEGRADED", five, T0 + timedelta(minutes=1))
    state, alerts = due_timers(state, five, T0 + timedelta(minutes=5))
    assert [a.alert_type for a in alerts] == ["ALERT_DEGRADED_REMAIN"]


def test_a_pass_before_the_timer_drops_the_escalation() -> None:
    five = AlertSettings(escalation="TIME_BASED", minutes_failing_threshold=5)
    state, _ = evaluate(AlertState(), "FAILING", five, T0)
    state, _ = evaluate(state, "PASSING", five, T0 + timedelta(minutes=1))
    assert state.escalate_at is None
    assert due_timers(state, five, T0 + timedelta(minutes=6))[1] == []


def test_a_run_based_failure_sets_no_timer() -> None:
    two = AlertSettings(failed_run_threshold=2)
    state, _ = evaluate(AlertState(), "FAILING", two, T0)
    assert state.escalate_at is None


def test_a_silenced_check_whose_timer_fires_is_suppressed_not_announced_later() -> None:
    five = AlertSettings(escalation="TIME_BASED", minutes_failing_threshold=5)
    state, _ = evaluate(AlertState(), "FAILING", five, T0)
    state, alerts = due_timers(state, five, T0 + timedelta(minutes=5), silenced=True)
    assert alerts == [] and state.notified == "SUPPRESSED"
    assert evaluate(state, "FAILING", five, T0 + timedelta(minutes=6))[1] == []


def test_locations_that_timed_out_count_as_failed() -> None:
    plain = AlertSettings()
    assert verdict(finals=1, failed=0, degraded=0, parallel=False, settings=plain) == "PASSING"
    timed_out = verdict(finals=1, failed=0, degraded=0, parallel=False, settings=plain, timed_out=1)
    assert timed_out == "FAILING"
    assert (
        verdict(finals=0, failed=0, degraded=0, parallel=False, settings=plain, timed_out=2)
        == "FAILING"
    )
    # A parallel run of four at 50 %: one timed-out location is not enough, two are.
    half = AlertSettings(parallel_enabled=True, parallel_percentage=50)
    one = verdict(finals=3, failed=0, degraded=0, parallel=True, settings=half, timed_out=1)
    two = verdict(finals=2, failed=0, degraded=0, parallel=True, settings=half, timed_out=2)
    assert (one, two) == ("PASSING", "FAILING")
