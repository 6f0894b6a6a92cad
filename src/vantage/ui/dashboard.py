"""The home dashboard's read: state counters, one page of checks worst first, and each row's last
24 hours (hourly bars, availability, P95) and 7 days (availability), from roll-ups.

Roll-ups are bucketed by the intake's clock, so a bucket that ended a little while ago never
changes again (until retention or a deleted check removes it). Those settled figures are kept per
check in a small per-process memo, for as long as the current hour lasts; each view reads only
the buckets still filling (this hour, today) for its 50 checks, and the settled ones of the checks
not yet in the memo. Without the memo a view reads ~4,500 roll-up rows; with it, ~300.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from vantage.db.tables import check_statuses, checks, result_rollups
from vantage.rollups.digest import BINS, Summary, bucket_start
from vantage.timeutil import iso
from vantage.ui.state import STATES, severity_expression, state_expression

PAGE_SIZE = 50
# How long after a bucket ends a result may still land in it (another replica's clock, a batch
# in flight): only buckets older than this are memoised.
GRACE = timedelta(minutes=2)
MEMO_LIMIT = 20_000  # checks; past it the memo starts over (a few KB each)
_BAR_SUMS = ("finals", "failed", "degraded", "rt_sum")
_SUMS = ("finals", "passed", "degraded", "failed", "attempts", "rt_sum", *BINS)

Bar = tuple[int, int, int, float]  # finals, failed, degraded, summed response time


@dataclass(slots=True)
class Settled:
    """A check's figures over the settled part of the dashboard's windows."""

    bars: dict[datetime, Bar] = field(default_factory=dict)
    day: Summary = field(default_factory=Summary)
    week: Summary = field(default_factory=Summary)


class Memo:
    """Settled figures per check for one epoch (the current hour and the settled bounds); a new
    epoch starts empty, so nothing is kept past the hour it was read in."""

    def __init__(self) -> None:
        self.epoch: tuple[datetime, ...] | None = None
        self.checks: dict[str, Settled] = {}

    def of(self, epoch: tuple[datetime, ...]) -> dict[str, Settled]:
        if epoch != self.epoch or len(self.checks) > MEMO_LIMIT:
            self.epoch, self.checks = epoch, {}
        return self.checks


def memo_of(state: Any) -> Memo:
    """The app's memo (one per app, so two apps in one process never share figures)."""
    memo = getattr(state, "ui_dashboard_memo", None)
    if memo is None:
        memo = Memo()
        state.ui_dashboard_memo = memo
    return memo


@dataclass(frozen=True, slots=True)
class Windows:
    hour: datetime  # the current hour; the bars cover the 24 hours ending with it
    since: datetime
    until: datetime
    settled_hour: datetime  # hours before this one are settled
    week_start: datetime
    week_end: datetime
    settled_day: datetime

    @classmethod
    def at(cls, now: datetime) -> Windows:
        hour = bucket_start(now, 3600)
        day = bucket_start(now, 86400)
        return cls(
            hour=hour,
            since=hour - timedelta(hours=23),
            until=hour + timedelta(hours=1),
            settled_hour=bucket_start(now - GRACE, 3600),
            week_start=day - timedelta(days=6),
            week_end=day + timedelta(days=1),
            settled_day=bucket_start(now - GRACE, 86400),
        )

    @property
    def epoch(self) -> tuple[datetime, ...]:
        return (self.hour, self.settled_hour, self.settled_day)


def _statement(seconds: int, per_bucket: bool, names: tuple[str, ...]) -> Any:
    """Roll-ups of the checks `ids` in [start, end), summed per check (and bucket), in SQL. Built
    once: building the 26 sums anew cost more than running them on a small page."""
    rr = result_rollups
    keys = [rr.c.check_id, rr.c.bucket_start] if per_bucket else [rr.c.check_id]
    return (
        sa.select(*keys, *(sa.func.sum(rr.c[n]).label(n) for n in names))
        .where(
            rr.c.check_id.in_(sa.bindparam("ids", expanding=True)),
            rr.c.bucket_seconds == seconds,
            rr.c.bucket_start >= sa.bindparam("start"),
            rr.c.bucket_start < sa.bindparam("end"),
        )
        .group_by(*keys)
    )


_BARS = _statement(3600, True, _BAR_SUMS)
_HOURS = _statement(3600, True, _SUMS)
_HOURS_SUMMED = _statement(3600, False, _SUMS)
_DAYS_SUMMED = _statement(86400, False, _SUMS)


async def _settled(conn: AsyncConnection, ids: list[str], w: Windows) -> dict[str, Settled]:
    """The settled figures of `ids`, read from roll-ups (three grouped reads for all of them)."""
    out = {check_id: Settled() for check_id in ids}
    if w.since < w.settled_hour:
        hours = {"ids": ids, "start": w.since, "end": w.settled_hour}
        for row in await conn.execute(_BARS, hours):
            out[row.check_id].bars[row.bucket_start] = (
                row.finals,
                row.failed,
                row.degraded,
                row.rt_sum,
            )
        for row in await conn.execute(_HOURS_SUMMED, hours):
            out[row.check_id].day.add(row)
    if w.week_start < w.settled_day:
        days = {"ids": ids, "start": w.week_start, "end": w.settled_day}
        for row in await conn.execute(_DAYS_SUMMED, days):
            out[row.check_id].week.add(row)
    return out


async def _figures(
    conn: AsyncConnection, ids: list[str], w: Windows, memo: Memo | None
) -> dict[str, Settled]:
    """Each check's figures over the whole windows: settled (memo or read) plus the buckets
    still filling, read fresh on every view."""
    known = memo.of(w.epoch) if memo is not None else {}
    missing = [i for i in ids if i not in known]
    read = await _settled(conn, missing, w) if missing else {}
    if memo is not None:
        known.update(read)
    out: dict[str, Settled] = {}
    for check_id in ids:
        settled = known.get(check_id) or read[check_id]
        # A copy: the fresh buckets are added to it, never to the memo.
        mine = Settled(bars=dict(settled.bars))
        mine.day.add_summary(settled.day)
        mine.week.add_summary(settled.week)
        out[check_id] = mine
    for row in await conn.execute(_HOURS, {"ids": ids, "start": w.settled_hour, "end": w.until}):
        mine = out[row.check_id]
        mine.bars[row.bucket_start] = (row.finals, row.failed, row.degraded, row.rt_sum)
        mine.day.add(row)
    for row in await conn.execute(
        _DAYS_SUMMED, {"ids": ids, "start": w.settled_day, "end": w.week_end}
    ):
        out[row.check_id].week.add(row)
    return out


async def dashboard(
    conn: AsyncConnection,
    account_id: str,
    *,
    state: str | None,
    search: str,
    page: int,
    now: datetime,
    memo: Memo | None = None,
) -> dict[str, Any]:
    st = state_expression().label("state")
    joined = checks.outerjoin(check_statuses, check_statuses.c.check_id == checks.c.id)
    counts = dict.fromkeys(STATES, 0)
    for name, count in await conn.execute(
        sa.select(st, sa.func.count())
        .select_from(joined)
        .where(checks.c.account_id == account_id)
        .group_by(st)
    ):
        counts[name] = count

    query = (
        sa.select(
            checks.c.id,
            checks.c.name,
            checks.c.check_type,
            checks.c.interval_seconds,
            checks.c.tags,
            st,
            check_statuses.c.last_result_at,
            check_statuses.c.last_run_location,
        )
        .select_from(joined)
        .where(checks.c.account_id == account_id)
    )
    if state in STATES:
        query = query.where(state_expression() == state)
    if search:
        query = query.where(sa.func.lower(checks.c.name).contains(search.lower(), autoescape=True))
    rows = (
        await conn.execute(
            query.order_by(severity_expression(), sa.func.lower(checks.c.name), checks.c.id)
            .limit(PAGE_SIZE + 1)
            .offset((page - 1) * PAGE_SIZE)
        )
    ).all()
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    w = Windows.at(now)
    figures = await _figures(conn, [r.id for r in rows], w, memo) if rows else {}
    hours = [w.since + timedelta(hours=i) for i in range(24)]
    hour_names = [iso(at) for at in hours]
    items = []
    for r in rows:
        f = figures[r.id]
        bars = []
        for at, name in zip(hours, hour_names, strict=True):
            finals, failed, degraded, rt_sum = f.bars.get(at) or (0, 0, 0, 0.0)
            bars.append(
                {
                    "start": name,
                    "finals": finals,
                    "failed": failed,
                    "degraded": degraded,
                    "average": rt_sum / finals if finals else None,
                }
            )
        stale = bool(
            r.state in ("passing", "degraded", "failing")
            and r.interval_seconds
            and r.last_result_at is not None
            and (now - r.last_result_at).total_seconds() > 3 * r.interval_seconds + 60
        )
        items.append(
            {
                "id": r.id,
                "name": r.name,
                "checkType": r.check_type,
                "state": r.state,
                "stale": stale,
                "tags": list(r.tags or []),
                "frequencySeconds": r.interval_seconds,
                "lastResultAt": iso(r.last_result_at),
                "lastRunLocation": r.last_run_location,
                "availability24h": f.day.availability,
                "availability7d": f.week.availability,
                "p95": f.day.percentile(95),
                "lastResults": bars,
            }
        )
    return {
        "accountId": account_id,
        "counts": counts,
        "total": sum(counts.values()),
        "state": state if state in STATES else None,
        "search": search,
        "page": page,
        "nextPage": page + 1 if more else None,
        "checks": items,
    }
