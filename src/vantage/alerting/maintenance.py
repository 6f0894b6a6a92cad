"""Maintenance windows silence alerts: whether a window is on now (pure, with its repeats), and
the account's windows read in the result's transaction.

A window is on from `startsAt` to `endsAt`, and again every `repeatInterval` `repeatUnit`s (DAY,
WEEK, MONTH) in its `timezone`'s wall time (so 09:00 stays 09:00 across DST), until the end of the
local date `repeatEndsAt`. A MONTH repeat from the 31st falls back to the month's last day.
It silences the checks that carry, or whose group carries, any of its `tags` (Checkly's legacy
meaning) or `silenceAlertsTags`; `silenceAllAlerts` silences every check of the account.
`pauseAllChecks` also pauses every check of the account: the scheduler skips their runs.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from vantage.db.tables import maintenance_windows


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


def is_active(window: Mapping[str, Any], now: datetime) -> bool:
    starts, ends = _parse(window.get("startsAt")), _parse(window.get("endsAt"))
    if starts is None or ends is None or ends <= starts:
        return False
    if starts <= now < ends:
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
        if begin <= now < begin + duration:
            return True
    return False


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


async def active_windows(
    conn: AsyncConnection, account_ids: Collection[str], now: datetime
) -> dict[str, Sequence[Mapping[str, Any]]]:
    """The windows on now, per account."""
    if not account_ids:
        return {}
    rows = await conn.execute(
        sa.select(maintenance_windows.c.account_id, maintenance_windows.c.config).where(
            maintenance_windows.c.account_id.in_(sorted(account_ids))
        )
    )
    out: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for row in rows.all():
        if is_active(row.config, now):
            out[row.account_id].append(row.config)
    return dict(out)
