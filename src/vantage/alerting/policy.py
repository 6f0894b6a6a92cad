"""When to alert (pure): Checkly's alert settings and state transitions, no I/O.

A check's runs are its sessions: a session's verdict (`verdict`) is one run, whatever its number of
locations and retries. `evaluate` feeds one run into the check's `AlertState` and says which alerts
that run raises; `due_reminder` says whether a reminder is due. Which channels hear an alert is
`wants` (the channel's sendFailure / sendDegraded / sendRecovery).

Transitions (Checkly's table; "threshold" = the run- or time-based escalation):
- passing -> degraded / failing: ALERT_DEGRADED / ALERT_FAILURE once the threshold is met on the
  first such run, else ALERT_DEGRADED_REMAIN / ALERT_FAILURE_REMAIN on the run that meets it;
- degraded (announced) -> failing: ALERT_DEGRADED_FAILURE at once (escalation);
- failing (announced) -> degraded: ALERT_FAILURE_DEGRADED at once (de-escalation);
- back to passing: ALERT_RECOVERY / ALERT_DEGRADED_RECOVERY, only if the failure or degradation was
  announced (no "recovered" without "down"), and only to the channels that heard some of it: a
  channel without sendDegraded hears no recovery from a degradation it was never told of
  (Checkly: "only if you received a degraded notification before"); a channel that asked for
  recoveries alone hears them all;
- silenced (muted, maintenance) when an alert would fire: nothing is sent and nothing is sent later
  for that episode ("SUPPRESSED"), until the check passes again.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

Verdict = Literal["PASSING", "DEGRADED", "FAILING"]
Notified = Literal["NONE", "DEGRADED", "FAILING", "SUPPRESSED"]
AlertType = Literal[
    "ALERT_FAILURE",
    "ALERT_FAILURE_REMAIN",
    "ALERT_FAILURE_DEGRADED",
    "ALERT_RECOVERY",
    "ALERT_DEGRADED",
    "ALERT_DEGRADED_REMAIN",
    "ALERT_DEGRADED_FAILURE",
    "ALERT_DEGRADED_RECOVERY",
]
Kind = Literal["failure", "degraded", "recovery"]
# What an incident announced so far (`AlertState.announced`, a bit set): so its recovery goes to
# the channels that heard it, and only to them.
ANNOUNCED_FAILURE, ANNOUNCED_DEGRADED = 1, 2
ANNOUNCED: Mapping[Kind, int] = {"failure": ANNOUNCED_FAILURE, "degraded": ANNOUNCED_DEGRADED}

KIND: Mapping[AlertType, Kind] = {
    "ALERT_FAILURE": "failure",
    "ALERT_FAILURE_REMAIN": "failure",
    "ALERT_DEGRADED_FAILURE": "failure",
    "ALERT_DEGRADED": "degraded",
    "ALERT_DEGRADED_REMAIN": "degraded",
    "ALERT_FAILURE_DEGRADED": "degraded",
    "ALERT_RECOVERY": "recovery",
    "ALERT_DEGRADED_RECOVERY": "recovery",
}

# Checkly's reminder amount that means "until it recovers".
UNBOUNDED_REMINDERS = 100000


@dataclass(frozen=True, slots=True)
class AlertSettings:
    """Checkly's `alertSettings`, defaults as Checkly's (the account's, unless the operator set
    the account's own: `vantage accounts alert-settings`)."""

    escalation: Literal["RUN_BASED", "TIME_BASED"] = "RUN_BASED"
    failed_run_threshold: int = 1
    minutes_failing_threshold: int = 5
    reminder_amount: int = 0
    reminder_interval_minutes: int = 5
    parallel_enabled: bool = False
    parallel_percentage: int = 10

    @classmethod
    def from_json(cls, raw: Mapping[str, Any] | None) -> AlertSettings:
        raw = raw or {}
        run = raw.get("runBasedEscalation") or {}
        time = raw.get("timeBasedEscalation") or {}
        reminders = raw.get("reminders") or {}
        parallel = raw.get("parallelRunFailureThreshold") or {}
        default = cls()
        return cls(
            escalation="TIME_BASED" if raw.get("escalationType") == "TIME_BASED" else "RUN_BASED",
            failed_run_threshold=int(run.get("failedRunThreshold", default.failed_run_threshold)),
            minutes_failing_threshold=int(
                time.get("minutesFailingThreshold", default.minutes_failing_threshold)
            ),
            reminder_amount=int(reminders.get("amount", default.reminder_amount)),
            reminder_interval_minutes=int(
                reminders.get("interval", default.reminder_interval_minutes)
            ),
            parallel_enabled=bool(parallel.get("enabled", False)),
            parallel_percentage=int(parallel.get("percentage", default.parallel_percentage)),
        )


ACCOUNT_DEFAULTS = AlertSettings()


def effective_settings(
    check: Mapping[str, Any],
    group: Mapping[str, Any] | None,
    account: AlertSettings = ACCOUNT_DEFAULTS,
) -> AlertSettings:
    """Account -> group -> check: a group with `useGlobalAlertSettings: false` forces its own
    settings on its checks; otherwise a check with `useGlobalAlertSettings: false` uses its own,
    and every other check the account's."""
    if group is not None and group.get("useGlobalAlertSettings") is False:
        return AlertSettings.from_json(group.get("alertSettings"))
    if check.get("useGlobalAlertSettings", True) is False:
        return AlertSettings.from_json(check.get("alertSettings"))
    return account


def is_muted(check: Mapping[str, Any], group: Mapping[str, Any] | None) -> bool:
    """A muted check, or any check of a muted group, notifies nobody (its runs go on)."""
    return bool(check.get("muted")) or bool(group is not None and group.get("muted"))


def verdict(
    *,
    finals: int,
    failed: int,
    degraded: int,
    parallel: bool,
    settings: AlertSettings,
    timed_out: int = 0,
) -> Verdict | None:
    """One session as one run. A parallel run across two locations or more with the
    parallel threshold on fails only when at least `percentage` of its locations failed.
    `timed_out`: locations that gave no result before the session's deadline (it TIMED_OUT);
    each counts as a failed location, as a run that exceeds its timeout fails. None: no location
    reported or timed out, which says nothing about the check."""
    finals += max(timed_out, 0)
    failed += max(timed_out, 0)
    if finals <= 0:
        return None
    if parallel and settings.parallel_enabled and finals >= 2:
        failing = failed * 100 >= settings.parallel_percentage * finals
    else:
        failing = failed > 0
    if failing:
        return "FAILING"
    return "DEGRADED" if degraded > 0 else "PASSING"


@dataclass(frozen=True, slots=True)
class AlertState:
    status: Verdict = "PASSING"
    notified: Notified = "NONE"
    consecutive_failed: int = 0
    consecutive_degraded: int = 0
    failing_since: datetime | None = None
    degraded_since: datetime | None = None
    # Counts the check's announced incidents: recovery and reminders carry the episode they close,
    # so PagerDuty's dedup_key and Opsgenie's alias are the same for its trigger and resolve.
    episode: int = 0
    reminders_sent: int = 0
    next_reminder_at: datetime | None = None
    # TIME_BASED: when the failure (or degradation) not yet announced meets its threshold, so a
    # timer announces it then rather than at the check's next run.
    escalate_at: datetime | None = None
    # ANNOUNCED_FAILURE | ANNOUNCED_DEGRADED: what this incident announced (0 when none).
    announced: int = 0


@dataclass(frozen=True, slots=True)
class Alert:
    alert_type: AlertType
    episode: int
    is_reminder: bool = False
    reminder_sequence: int = 0
    # A recovery's: what its incident announced (ANNOUNCED_* bits); which channels hear it.
    announced: int = 0

    @property
    def kind(self) -> Kind:
        return KIND[self.alert_type]


def _threshold_met(
    settings: AlertSettings, consecutive: int, since: datetime | None, now: datetime
) -> bool:
    if settings.escalation == "TIME_BASED":
        return since is not None and now - since >= timedelta(
            minutes=settings.minutes_failing_threshold
        )
    return consecutive >= settings.failed_run_threshold


def _escalation_timer(state: AlertState, settings: AlertSettings) -> AlertState:
    """A failure or degradation below a TIME_BASED threshold: when the timer should judge it."""
    since = state.failing_since if state.status == "FAILING" else state.degraded_since
    if settings.escalation != "TIME_BASED" or state.notified != "NONE" or since is None:
        return dataclasses.replace(state, escalate_at=None)
    at = since + timedelta(minutes=settings.minutes_failing_threshold)
    return dataclasses.replace(state, escalate_at=at)


def _reminders_from(state: AlertState, settings: AlertSettings, now: datetime) -> AlertState:
    """A newly announced failure schedules its reminders; anything else cancels them."""
    if state.notified == "FAILING" and settings.reminder_amount > 0:
        interval = timedelta(minutes=settings.reminder_interval_minutes)
        return dataclasses.replace(state, reminders_sent=0, next_reminder_at=now + interval)
    return dataclasses.replace(state, reminders_sent=0, next_reminder_at=None)


def evaluate(
    state: AlertState,
    run: Verdict,
    settings: AlertSettings,
    now: datetime,
    *,
    silenced: bool = False,
) -> tuple[AlertState, list[Alert]]:
    """The state after one run, and the alerts the run raises (at most one, plus a reminder)."""
    if run == "PASSING":
        return _passing(state, silenced)
    if run == "FAILING":
        return _failing(state, settings, now, silenced)
    return _degraded(state, settings, now, silenced)


def _passing(state: AlertState, silenced: bool) -> tuple[AlertState, list[Alert]]:
    alerts: list[Alert] = []
    if not silenced and state.notified == "FAILING":
        alerts.append(Alert("ALERT_RECOVERY", state.episode, announced=state.announced))
    elif not silenced and state.notified == "DEGRADED":
        alerts.append(Alert("ALERT_DEGRADED_RECOVERY", state.episode, announced=state.announced))
    return AlertState(episode=state.episode), alerts


def _announce(
    state: AlertState,
    alert_type: AlertType,
    notified: Notified,
    settings: AlertSettings,
    now: datetime,
    silenced: bool,
) -> tuple[AlertState, list[Alert]]:
    state = dataclasses.replace(state, escalate_at=None)
    if silenced:
        return _reminders_from(dataclasses.replace(state, notified="SUPPRESSED"), settings, now), []
    # A new incident when nothing was announced yet; an escalation stays in its incident.
    fresh = state.notified == "NONE"
    episode = state.episode + 1 if fresh else state.episode
    announced = (0 if fresh else state.announced) | ANNOUNCED[KIND[alert_type]]
    after = dataclasses.replace(state, notified=notified, episode=episode, announced=announced)
    return _reminders_from(after, settings, now), [Alert(alert_type, episode)]


def _failing(
    state: AlertState, settings: AlertSettings, now: datetime, silenced: bool
) -> tuple[AlertState, list[Alert]]:
    continuing = state.status == "FAILING"
    state = dataclasses.replace(
        state,
        status="FAILING",
        consecutive_failed=state.consecutive_failed + 1 if continuing else 1,
        failing_since=state.failing_since if continuing else now,
        consecutive_degraded=0,
        degraded_since=None,
    )
    if state.notified == "FAILING":
        return due_reminder(state, settings, now, silenced=silenced)
    if state.notified == "SUPPRESSED":
        return state, []
    if state.notified == "DEGRADED":
        return _announce(state, "ALERT_DEGRADED_FAILURE", "FAILING", settings, now, silenced)
    if not _threshold_met(settings, state.consecutive_failed, state.failing_since, now):
        return _escalation_timer(state, settings), []
    first = state.consecutive_failed == 1
    alert_type: AlertType = "ALERT_FAILURE" if first else "ALERT_FAILURE_REMAIN"
    return _announce(state, alert_type, "FAILING", settings, now, silenced)


def _degraded(
    state: AlertState, settings: AlertSettings, now: datetime, silenced: bool
) -> tuple[AlertState, list[Alert]]:
    continuing = state.status == "DEGRADED"
    state = dataclasses.replace(
        state,
        status="DEGRADED",
        consecutive_degraded=state.consecutive_degraded + 1 if continuing else 1,
        degraded_since=state.degraded_since if continuing else now,
        consecutive_failed=0,
        failing_since=None,
    )
    if state.notified in ("DEGRADED", "SUPPRESSED"):
        return state, []
    if state.notified == "FAILING":
        return _announce(state, "ALERT_FAILURE_DEGRADED", "DEGRADED", settings, now, silenced)
    if not _threshold_met(settings, state.consecutive_degraded, state.degraded_since, now):
        return _escalation_timer(state, settings), []
    first = state.consecutive_degraded == 1
    alert_type: AlertType = "ALERT_DEGRADED" if first else "ALERT_DEGRADED_REMAIN"
    return _announce(state, alert_type, "DEGRADED", settings, now, silenced)


def due_reminder(
    state: AlertState, settings: AlertSettings, now: datetime, *, silenced: bool = False
) -> tuple[AlertState, list[Alert]]:
    """A reminder of an announced failure, when one is due: ALERT_FAILURE_REMAIN with its
    sequence number; the next one is scheduled `interval` minutes on, until `amount` are sent.
    A silenced check's reminder is skipped, not postponed."""
    due = state.next_reminder_at
    if state.notified != "FAILING" or due is None or now < due:
        return state, []
    sent = state.reminders_sent + 1
    more = settings.reminder_amount >= UNBOUNDED_REMINDERS or sent < settings.reminder_amount
    interval = timedelta(minutes=settings.reminder_interval_minutes)
    after = dataclasses.replace(
        state, reminders_sent=sent, next_reminder_at=now + interval if more else None
    )
    if silenced:
        return after, []
    return after, [Alert("ALERT_FAILURE_REMAIN", state.episode, True, sent)]


def due_escalation(
    state: AlertState, settings: AlertSettings, now: datetime, *, silenced: bool = False
) -> tuple[AlertState, list[Alert]]:
    """A TIME_BASED threshold met between runs: the check has been failing (or degraded) for
    `minutesFailingThreshold` minutes and nothing was announced, so the alert its next run would
    raise is raised now (ALERT_FAILURE after one failing run, else ALERT_FAILURE_REMAIN; the
    same for degraded). Not yet due: the timer stays; no longer applicable: it is dropped."""
    due = state.escalate_at
    if due is None or now < due:
        return state, []
    if state.notified != "NONE" or state.status == "PASSING":
        return dataclasses.replace(state, escalate_at=None), []
    failing = state.status == "FAILING"
    count = state.consecutive_failed if failing else state.consecutive_degraded
    since = state.failing_since if failing else state.degraded_since
    if not _threshold_met(settings, count, since, now):
        return _escalation_timer(state, settings), []
    first: AlertType = "ALERT_FAILURE" if failing else "ALERT_DEGRADED"
    remain: AlertType = "ALERT_FAILURE_REMAIN" if failing else "ALERT_DEGRADED_REMAIN"
    notified: Notified = "FAILING" if failing else "DEGRADED"
    return _announce(state, first if count == 1 else remain, notified, settings, now, silenced)


def due_timers(
    state: AlertState, settings: AlertSettings, now: datetime, *, silenced: bool = False
) -> tuple[AlertState, list[Alert]]:
    """What the timer owes a check now: a time-based escalation, else a reminder."""
    if state.escalate_at is not None:
        return due_escalation(state, settings, now, silenced=silenced)
    return due_reminder(state, settings, now, silenced=silenced)


@dataclass(frozen=True, slots=True)
class ChannelFilter:
    send_failure: bool
    send_degraded: bool
    send_recovery: bool


def wants(channel: ChannelFilter, alert: Alert) -> bool:
    """Whether a channel hears this alert: failures (and escalations) on sendFailure, degradations
    (and de-escalations) on sendDegraded, recoveries on sendRecovery when the channel heard some of
    what its incident announced (a failure with sendFailure, a degradation with sendDegraded), or
    when it asked for recoveries alone."""
    kind = alert.kind
    if kind == "failure":
        return channel.send_failure
    if kind == "degraded":
        return channel.send_degraded
    if not (channel.send_failure or channel.send_degraded):
        return channel.send_recovery
    heard = (channel.send_failure and bool(alert.announced & ANNOUNCED_FAILURE)) or (
        channel.send_degraded and bool(alert.announced & ANNOUNCED_DEGRADED)
    )
    return channel.send_recovery and heard
