"""Alert decisions in the result's transaction: the intake hands over the sessions a batch ended,
this feeds each as one run into its check's alert state (`policy`, pure) and writes the
notifications the runs raise into the outbox (`alert_notifications`), all in the caller's
transaction. So a stored result and its notifications commit together or not at all, and a
notification is never decided twice: the check's state row is locked (PostgreSQL; SQLite has one
writer) while its runs are fed in.

A batch that ends no session costs nothing; one that does costs a handful of statements whatever
its size: sessions with their checks and groups, the states (created, then locked and read), the
maintenance windows, and only when an alert fires the subscriptions, the results, and the inserts.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from vantage.alerting import maintenance
from vantage.alerting import outbox as outbox_repo
from vantage.alerting import states as states_repo
from vantage.alerting.context import event_context
from vantage.alerting.policy import (
    ACCOUNT_DEFAULTS,
    Alert,
    AlertSettings,
    AlertState,
    ChannelFilter,
    due_timers,
    effective_settings,
    evaluate,
    is_muted,
    verdict,
    wants,
)
from vantage.db.tables import (
    accounts,
    alert_channel_subscriptions,
    alert_channels,
    check_alert_states,
    check_alerts,
    check_groups,
    check_results,
    check_sessions,
    checks,
)
from vantage.db.types import UtcDateTime
from vantage.statuspages import triggered

# Sessions that end this way were not a run of the check (Checkly: cancelled runs never alert).
# A TIMED_OUT session is a run: the locations that did not report by its deadline failed.
NOT_RUNS = ("CANCELLED",)


async def on_sessions_ended(conn: AsyncConnection, ended: Mapping[str, str], now: datetime) -> int:
    """Feed the sessions this transaction ended into their checks' alert states; queue the
    notifications they raise. Returns how many were queued."""
    wanted = [sid for sid, status in ended.items() if status not in NOT_RUNS]
    if not wanted:
        return 0
    quiet = await _quiet(conn, wanted, ended)
    wanted = [sid for sid in wanted if sid not in quiet]
    if not wanted:
        return 0
    sessions = await _sessions(conn, wanted)
    if not sessions:
        return 0
    check_ids = sorted({s.check_id for s in sessions})
    states = await states_repo.lock(conn, [(s.check_id, s.account_id) for s in sessions], now)
    locked = dict(states)
    windows = await maintenance.active_windows(conn, {s.account_id for s in sessions}, now)

    raised: list[tuple[Any, Alert]] = []
    for session in sessions:  # oldest first, so two runs of one check count in order
        group = session.group_config
        settings = settings_of(session)
        run = verdict(
            finals=session.finals,
            failed=session.failed,
            degraded=session.degraded,
            parallel=bool(session.config.get("runParallel"))
            or bool(group and group.get("runParallel")),
            settings=settings,
            timed_out=missing(session),
        )
        if run is None:
            continue
        silenced = is_muted(session.config, group) or maintenance.silences(
            windows.get(session.account_id, ()), session.tags, group
        )
        state, alerts = evaluate(states[session.check_id], run, settings, now, silenced=silenced)
        states[session.check_id] = state
        raised.extend((session, alert) for alert in alerts)
    # Only the states a run changed: a passing run of a passing check changes nothing.
    await states_repo.save(
        conn, {cid: states[cid] for cid in check_ids if states[cid] != locked[cid]}, now
    )
    if not raised:
        return 0
    # A check's `triggerIncident`: its failure opens an incident on a status page service, its
    # recovery resolves it (nothing to do, and no statement, for alerts of other checks).
    await triggered.on_alerts(conn, raised, now)
    return await _queue(conn, raised, now)


async def on_timers_due(conn: AsyncConnection, now: datetime, limit: int = 500) -> int:
    """Queue the reminders and time-based escalations that are due (the states are claimed, so
    one replica sends each)."""
    due = await states_repo.claim_due_timers(conn, now, limit)
    if not due:
        return 0
    subjects = {row.check_id: row for row in await _checks(conn, [r.check_id for r in due], now)}
    windows = await maintenance.active_windows(conn, {r.account_id for r in due}, now)
    raised: list[tuple[Any, Alert]] = []
    changed = {}
    for row in due:
        subject = subjects.get(row.check_id)
        if subject is None:
            continue
        group = subject.group_config
        silenced = is_muted(subject.config, group) or maintenance.silences(
            windows.get(subject.account_id, ()), subject.tags, group
        )
        settings = settings_of(subject)
        state, alerts = due_timers(states_repo.state_of(row), settings, now, silenced=silenced)
        changed[row.check_id] = state
        raised.extend((subject, alert) for alert in alerts)
    await states_repo.save(conn, changed, now)
    return await _queue(conn, raised, now) if raised else 0


async def _quiet(
    conn: AsyncConnection, session_ids: Sequence[str], ended: Mapping[str, str]
) -> set[str]:
    """The sessions whose run cannot change anything: every session of its check in this batch
    PASSED, and the check's alert state is at rest (nothing announced, no failure or degradation
    counted, no timer; or no state yet). A PASSED session is a PASSING run whatever the settings
    (no location failed, and a parallel threshold is at least 10%), and a PASSING run leaves such
    a state as it is and raises nothing (`policy.evaluate`). So the common case, a passing run of
    a passing check, costs one read instead of the check's configuration, the state's lock and
    the maintenance windows."""
    if not any(ended[sid] == "PASSED" for sid in session_ids):
        return set()
    rows = (await conn.execute(_QUIET, {"b_ids": list(session_ids)})).all()
    sessions_of: dict[str, list[str]] = defaultdict(list)
    at_rest: dict[str, bool] = {}
    for row in rows:
        sessions_of[row.check_id].append(row.id)
        if row.state_check_id is None:
            at_rest[row.check_id] = True
        else:
            state = states_repo.state_of(row)
            at_rest[row.check_id] = state == AlertState(episode=state.episode)
    return {
        sid
        for check_id, sids in sessions_of.items()
        if at_rest[check_id] and all(ended[sid] == "PASSED" for sid in sids)
        for sid in sids
    }


_QUIET = (
    sa.select(
        check_sessions.c.id,
        check_sessions.c.check_id,
        check_alert_states.c.check_id.label("state_check_id"),
        *(check_alert_states.c[name] for name in states_repo.FIELDS),
    )
    .outerjoin(check_alert_states, check_alert_states.c.check_id == check_sessions.c.check_id)
    .where(check_sessions.c.id.in_(sa.bindparam("b_ids", expanding=True)))
)


def missing(session: Any) -> int:
    """Locations of a TIMED_OUT session without a FINAL result: each is a failed location."""
    if session.status != "TIMED_OUT":
        return 0
    return max(len(session.run_locations or ()) - int(session.finals), 1)


def _subject_columns() -> list[Any]:
    return [
        checks.c.name,
        checks.c.check_type,
        checks.c.tags,
        checks.c.config,
        checks.c.group_id,
        check_groups.c.name.label("group_name"),
        check_groups.c.config.label("group_config"),
        accounts.c.alert_settings.label("account_alert_settings"),
    ]


def _with_group(query: sa.Select[Any]) -> sa.Select[Any]:
    return query.outerjoin(
        check_groups,
        sa.and_(
            check_groups.c.id == checks.c.group_id,
            check_groups.c.account_id == checks.c.account_id,
        ),
    ).join(accounts, accounts.c.id == checks.c.account_id)


def settings_of(subject: Any) -> AlertSettings:
    """The subject's effective alert settings: account, group or check (`effective_settings`)."""
    account = subject.account_alert_settings
    return effective_settings(
        subject.config,
        subject.group_config,
        ACCOUNT_DEFAULTS if account is None else AlertSettings.from_json(account),
    )


async def _checks(conn: AsyncConnection, check_ids: Sequence[str], now: datetime) -> list[Any]:
    """The checks (with their groups) as alert subjects without a run: reminders."""
    query = _with_group(
        sa.select(
            sa.null().label("id"),
            checks.c.id.label("check_id"),
            checks.c.account_id,
            sa.literal(now, UtcDateTime()).label("started_at"),
            *_subject_columns(),
        ).select_from(checks)
    ).where(checks.c.id.in_(list(check_ids)))
    return list((await conn.execute(query)).all())


async def _sessions(conn: AsyncConnection, session_ids: Sequence[str]) -> list[Any]:
    query = (
        _with_group(
            sa.select(
                check_sessions.c.id,
                check_sessions.c.check_id,
                check_sessions.c.account_id,
                check_sessions.c.finals,
                check_sessions.c.failed,
                check_sessions.c.degraded,
                check_sessions.c.started_at,
                check_sessions.c.status,
                check_sessions.c.run_locations,
                *_subject_columns(),
            ).join(checks, checks.c.id == check_sessions.c.check_id)
        )
        .where(check_sessions.c.id.in_(session_ids))
        .order_by(check_sessions.c.started_at, check_sessions.c.id)
    )
    return list((await conn.execute(query)).all())


async def _channels_of(
    conn: AsyncConnection, check_ids: Sequence[str], group_ids: Sequence[int]
) -> tuple[dict[str, list[Any]], dict[int, list[Any]]]:
    """The activated subscriptions of these checks and groups, with their channels."""
    subs = alert_channel_subscriptions
    query = (
        sa.select(
            subs.c.check_id,
            subs.c.group_id,
            alert_channels.c.id,
            alert_channels.c.type,
            alert_channels.c.config,
            alert_channels.c.send_failure,
            alert_channels.c.send_degraded,
            alert_channels.c.send_recovery,
        )
        .join(alert_channels, alert_channels.c.id == subs.c.alert_channel_id)
        .where(
            subs.c.activated.is_(True),
            sa.or_(subs.c.check_id.in_(check_ids), subs.c.group_id.in_(group_ids or [-1])),
        )
        .order_by(alert_channels.c.id)
    )
    by_check: dict[str, list[Any]] = defaultdict(list)
    by_group: dict[int, list[Any]] = defaultdict(list)
    for row in (await conn.execute(query)).all():
        if row.check_id is not None:
            by_check[row.check_id].append(row)
        else:
            by_group[int(row.group_id)].append(row)
    return by_check, by_group


async def _results(conn: AsyncConnection, session_ids: Sequence[str]) -> dict[str, Any]:
    """Per session, the FINAL result an alert points at: a failed one when there is one."""
    rows = await conn.execute(
        sa.select(
            check_results.c.id,
            check_results.c.session_id,
            check_results.c.run_location,
            check_results.c.response_time,
            check_results.c.started_at,
            check_results.c.has_failures,
            check_results.c.has_errors,
            check_results.c.is_degraded,
            check_results.c.detail,
        )
        .where(
            check_results.c.session_id.in_(session_ids),
            check_results.c.result_type == "FINAL",
        )
        .order_by(check_results.c.created_at)
    )
    best: dict[str, Any] = {}
    for row in rows.all():
        rank = 2 if row.has_failures or row.has_errors else 1 if row.is_degraded else 0
        held = best.get(row.session_id)
        if held is None or rank > held[0]:
            best[row.session_id] = (rank, row)
    return {sid: row for sid, (_, row) in best.items()}


async def _queue(conn: AsyncConnection, raised: Sequence[tuple[Any, Alert]], now: datetime) -> int:
    """Record the alerts (`check_alerts`) and queue one notification per alert and channel that
    wants it; returns how many notifications."""
    sessions = [s for s, _ in raised]
    by_check, by_group = await _channels_of(
        conn,
        sorted({s.check_id for s in sessions}),
        sorted({int(s.group_id) for s in sessions if s.group_id is not None}),
    )
    results = await _results(conn, sorted({s.id for s in sessions if s.id is not None}))
    rows: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    for session, alert in raised:
        # A group's subscriptions, when it has any, override its checks' own (Checkly).
        group_channels = by_group.get(int(session.group_id)) if session.group_id else None
        channels = group_channels or by_check.get(session.check_id, [])
        context = event_context(session, alert, results.get(session.id) if session.id else None)
        events.append(_event(session, context, now))
        for channel in channels:
            flags = ChannelFilter(
                channel.send_failure, channel.send_degraded, channel.send_recovery
            )
            if not wants(flags, alert):
                continue
            rows.append(
                {
                    "id": str(uuid.uuid4()),
                    "account_id": session.account_id,
                    "alert_channel_id": int(channel.id),
                    "check_id": session.check_id,
                    "alert_type": alert.alert_type,
                    "channel_type": channel.type,
                    "status": "PENDING",
                    "attempts": 0,
                    "next_attempt_at": now,
                    "lease_token": 0,
                    "context": context,
                    "channel": {
                        "id": int(channel.id),
                        "type": channel.type,
                        "config": channel.config,
                    },
                    "created_at": now,
                }
            )
    await conn.execute(check_alerts.insert(), events)
    await outbox_repo.insert_many(conn, rows)
    return len(rows)


def _event(session: Any, context: dict[str, Any], now: datetime) -> dict[str, Any]:
    started = context.get("STARTED_AT")
    return {
        "id": str(uuid.uuid4()),
        "account_id": session.account_id,
        "check_id": session.check_id,
        "name": session.name,
        "alert_type": context["ALERT_TYPE"],
        "check_type": session.check_type,
        "run_location": context.get("RUN_LOCATION") or None,
        "response_time": context.get("RESPONSE_TIME"),
        "error": context.get("CHECK_ERROR_MESSAGE") or None,
        "status_code": context.get("API_CHECK_RESPONSE_STATUS_CODE"),
        "started_at": datetime.fromisoformat(started.replace("Z", "+00:00")) if started else None,
        "created_at": now,
    }
