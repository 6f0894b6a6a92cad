"""Maintenance windows silence alerts: whether a window is on now (pure, with its repeats), and
the account's windows read in the result's transaction.

A window is on from `startsAt` to `endsAt`, and again every `repeatInterval` `repeatUnit`s (DAY,
WEEK, MONTH) in its `timezone`'s wall time (so 09:00 stays 09:00 across DST), until the end of the
local date `repeatEndsAt`. A MONTH repeat from the 31st falls back to the month's last day.
It silences the checks that carry, or whose group carries, any of its `tags` (Checkly's legacy
meaning) or `silenceAlertsTags`; `silenceAllAlerts` silences every check of the account.
`pauseAllChecks` also pauses every check of the account: the scheduler skips their runs.
A run a window covers is marked as in maintenance (`vantage.results.maintenance`) and left out
of availability figures.

One occurrence can be deleted or moved (alerting/maintenances.py): `windows_of` hands each
window's config on with those edits under `EDITS`, the scheduled start of each edited occurrence
mapped to None (deleted) or to where it was moved, and `is_active` honours them, so everything
that asks whether a window is on (alerts, paused runs, runs marked in maintenance) follows them.
"""

from __future__ import annotations

import calendar
import uuid
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from vantage.db.tables import maintenance_occurrences, maintenance_windows
from vantage.timeutil import iso

# Key of a window's occurrence edits in the config `windows_of` answers (not a field of Checkly's
# window, so no stored config carries it).
EDITS = "vantage:occurrenceEdits"
Edits = Mapping[str, tuple[datetime, datetime] | None]
_NAMESPACE = uuid.UUID("6f1c7d2e-5a4b-4c3d-9e8f-7a6b5c4d3e2f")


def _parse(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=ZoneInfo("UTC"))


def _zone(name: Any) -> ZoneInfo:
    try:
        return ZoneInfo(name) if isinstance(name, str) and name else ZoneInfo("UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _add_months(moment: datetime, months: int) -> datetime:
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def _occurrence(start: datetime, unit: str, count: int) -> datetime:
    """The start of repeat number `count`, in wall time of `start`'s zone."""
    if unit == "MONTH":
        return _add_months(start, count)
    days = count * (7 if unit == "WEEK" else 1)
    return start + timedelta(days=days)


def _edits(window: Mapping[str, Any]) -> Edits:
    edits = window.get(EDITS)
    return edits if isinstance(edits, Mapping) else {}


def is_active(window: Mapping[str, Any], now: datetime) -> bool:
    edits = _edits(window)
    if any(moved and moved[0] <= now < moved[1] for moved in edits.values()):
        return True
    starts, ends = _parse(window.get("startsAt")), _parse(window.get("endsAt"))
    if starts is None or ends is None or ends <= starts:
        return False
    if starts <= now < ends and iso(starts) not in edits:
        return True
    interval, unit = window.get("repeatInterval"), window.get("repeatUnit")
    if not interval or unit not in ("DAY", "WEEK", "MONTH") or now < starts:
        return False
    zone = _zone(window.get("timezone"))
    local_start = starts.astimezone(zone).replace(tzinfo=None)
    duration = ends - starts
    local_now = now.astimezone(zone).replace(tzinfo=None)
    step_days = {"DAY": 1, "WEEK": 7}.get(str(unit))
    if step_days is None:
        months = (local_now.year - local_start.year) * 12 + local_now.month - local_start.month
        guess = months // int(interval)
    else:
        guess = (local_now - local_start).days // (step_days * int(interval))
    last_day = _repeat_end(window.get("repeatEndsAt"))
    for count in (guess, guess - 1):
        if count < 0:
            continue
        local = _occurrence(local_start, str(unit), count * int(interval))
        if last_day is not None and local.date() > last_day:
            continue
        begin = local.replace(tzinfo=zone)
        if begin <= now < begin + duration and iso(begin) not in edits:
            return True
    return False


def occurrences(window: Mapping[str, Any], until: datetime) -> list[tuple[datetime, datetime]]:
    """The window's occurrences (start, end), oldest first, that start before `until`: the
    one-off, or each repeat up to its `repeatEndsAt` (the same arithmetic as `is_active`)."""
    starts, ends = _parse(window.get("startsAt")), _parse(window.get("endsAt"))
    if starts is None or ends is None or ends < starts:
        return []
    interval, unit = window.get("repeatInterval"), window.get("repeatUnit")
    if not interval or unit not in ("DAY", "WEEK", "MONTH"):
        return [(starts, ends)] if starts < until else []
    zone = _zone(window.get("timezone"))
    local_start = starts.astimezone(zone).replace(tzinfo=None)
    duration, last_day = ends - starts, _repeat_end(window.get("repeatEndsAt"))
    out: list[tuple[datetime, datetime]] = []
    count = 0
    while True:
        local = _occurrence(local_start, str(unit), count * int(interval))
        begin = local.replace(tzinfo=zone)
        if begin >= until or (last_day is not None and local.date() > last_day):
            return out
        out.append((begin, begin + duration))
        count += 1


def occurrence_id(window_id: int, start: datetime) -> str:
    """The id of the window's occurrence scheduled to start at `start`: the same across reads
    and replicas for as long as the window's schedule has that occurrence."""
    return str(uuid.uuid5(_NAMESPACE, f"{window_id}/{iso(start)}"))


def _repeat_end(value: Any) -> date | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def silences(
    windows: Iterable[Mapping[str, Any]], tags: Iterable[str], group: Mapping[str, Any] | None
) -> bool:
    """Whether an active window (of the check's account) silences a check with these tags."""
    own = set(tags) | set((group or {}).get("tags") or ())
    for window in windows:
        if window.get("silenceAllAlerts"):
            return True
        named = set(window.get("tags") or ()) | set(window.get("silenceAlertsTags") or ())
        if named & own:
            return True
    return False


def pauses(windows: Iterable[Mapping[str, Any]]) -> bool:
    """Whether an active window of the account pauses its checks (`pauseAllChecks`): their
    scheduled runs are skipped; a run triggered by hand still runs, silenced."""
    return any(window.get("pauseAllChecks") for window in windows)


async def unpaused(conn: AsyncConnection, due: Sequence[Any], now: datetime) -> list[Any]:
    """The due checks (rows with `account_id`) whose account no active window pauses."""
    windows = await active_windows(conn, {row.account_id for row in due}, now)
    return [row for row in due if not pauses(windows.get(row.account_id, ()))]


async def windows_of(
    conn: AsyncConnection, account_ids: Collection[str]
) -> dict[str, Sequence[Mapping[str, Any]]]:
    """Every window of these accounts, on or not, per account, with its occurrence edits."""
    if not account_ids:
        return {}
    rows = (
        await conn.execute(
            sa.select(
                maintenance_windows.c.id,
                maintenance_windows.c.account_id,
                maintenance_windows.c.config,
            ).where(maintenance_windows.c.account_id.in_(sorted(account_ids)))
        )
    ).all()
    edits = await edits_of(conn, [row.id for row in rows]) if rows else {}
    out: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for row in rows:
        mine = edits.get(row.id)
        out[row.account_id].append({**row.config, EDITS: mine} if mine else row.config)
    return dict(out)


async def edits_of(conn: AsyncConnection, window_ids: Collection[int]) -> dict[int, Edits]:
    """The deleted and moved occurrences of these windows (one with status updates only is as
    scheduled), per window."""
    table = maintenance_occurrences
    rows = await conn.execute(
        sa.select(
            table.c.window_id,
            table.c.scheduled_start,
            table.c.deleted,
            table.c.starts_at,
            table.c.ends_at,
        ).where(
            table.c.window_id.in_(sorted(window_ids)),
            sa.or_(table.c.deleted.is_(True), table.c.starts_at.is_not(None)),
        )
    )
    out: dict[int, dict[str, tuple[datetime, datetime] | None]] = defaultdict(dict)
    for row in rows.all():
        moved = None if row.deleted else (row.starts_at, row.ends_at)
        out[row.window_id][iso(row.scheduled_start) or ""] = moved
    return dict(out)


def covers(
    windows: Iterable[Mapping[str, Any]],
    moment: datetime,
    tags: Iterable[str],
    group: Mapping[str, Any] | None,
) -> bool:
    """Whether a window on at `moment` covers a check with these tags: the run it took then is
    in maintenance. The same windows and tags as `silences`, so a run is marked exactly when
    its alerts would have been silenced."""
    return silences([w for w in windows if is_active(w, moment)], tags, group)


async def active_windows(
    conn: AsyncConnection, account_ids: Collection[str], now: datetime
) -> dict[str, Sequence[Mapping[str, Any]]]:
    """The windows on now, per account (only the accounts that have one)."""
    every = await windows_of(conn, account_ids)
    on = {account: [w for w in windows if is_active(w, now)] for account, windows in every.items()}
    return {account: windows for account, windows in on.items() if windows}
