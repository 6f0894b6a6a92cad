"""The home dashboard's read: state counters, one page of checks worst first, and each row's last
24 hours (hourly bars, availability, P95) and 7 days (availability), from roll-ups.

Roll-ups are bucketed by the intake's clock, so a bucket that ended a little while ago never
changes again (until retention or a deleted check removes it). Those settled figures are kept per
check in a small per-process memo, for as long as the current hour lasts; each view reads only
the buckets still filling (this hour, today) for its 50 checks, and the settled ones of the checks
not yet in the memo. Without the memo a view reads ~4,500 roll-up rows; with it, ~300.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncConnection

from vantage.checks.filtering import CheckFilter, api_url, conditions, contains
from vantage.checks.schemas import CHECK_TYPES
from vantage.db.tables import check_groups, check_statuses, checks, result_rollups
from vantage.rollups.digest import BINS, Summary, bucket_start
from vantage.timeutil import iso
from vantage.ui.state import STATES

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
        # Per account: when its tags were read (time.monotonic) and the tags.
        self.tags: dict[str, tuple[float, list[str]]] = {}

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


@dataclass(frozen=True, slots=True)
class View:
    """What the dashboard shows: filters, order, grouping and page, all from the query string (so
    a view is a link, and works with JavaScript off). Unknown values fall back to the defaults."""

    state: str | None = None
    check_type: str | None = None
    tag: str | None = None
    group_id: int | None = None
    search: str = ""
    sort: str = "state"
    descending: bool = False
    grouped: bool = False
    page: int = 1

    @classmethod
    def of(cls, params: Mapping[str, str]) -> View:
        sort = params.get("sort") or "state"
        check_type = (params.get("type") or "").upper()
        try:
            page = max(1, int(params.get("page") or 1))
        except ValueError:
            page = 1
        try:
            group_id: int | None = int(params.get("groupId") or "")
        except ValueError:
            group_id = None
        return cls(
            state=params.get("state") if params.get("state") in STATES else None,
            check_type=check_type if check_type in CHECK_TYPES else None,
            tag=(params.get("tag") or "").strip()[:200] or None,
            group_id=group_id,
            search=(params.get("q") or "").strip()[:200],
            sort=sort if sort in SORTS else "state",
            descending=params.get("dir") == "desc",
            grouped=params.get("group") == "1",
            page=page,
        )

    def query(self) -> dict[str, Any]:
        """The view as query parameters (defaults left out), for the page's links."""
        return {
            "state": self.state,
            "type": self.check_type,
            "tag": self.tag,
            "groupId": self.group_id,
            "q": self.search,
            "sort": None if self.sort == "state" else self.sort,
            "dir": "desc" if self.descending else None,
            "group": "1" if self.grouped else None,
        }


SORTS: dict[str, Any] = {
    # Stored on the check's row (vantage.checks.severity), so that this default order reads
    # `ix_checks_account_severity` and stops after a page instead of sorting every check.
    "state": lambda: checks.c.severity,
    "name": lambda: checks.c.name_key,
    "type": lambda: checks.c.check_type,
    "last": lambda: check_statuses.c.last_result_at,
    "every": lambda: checks.c.interval_seconds,
    # Figures of the last 24 hours, from roll-ups: ranked in Python (`_ranked`), as shown.
    "availability": None,
    "p95": None,
}
FIGURE_SORTS = ("availability", "p95")
TAGS_TTL_SECONDS = 60.0


def _filters(view: View, dialect: str) -> list[Any]:
    """Every filter but the state (the counters show each state's count under the others)."""
    out = conditions(
        CheckFilter(tags=[view.tag] if view.tag else (), check_type=view.check_type), dialect
    )
    if view.group_id is not None:
        out.append(checks.c.group_id == view.group_id)
    if view.search:
        # Name or an API check's URL, as Checkly's "Search by name, request url".
        out.append(
            sa.or_(
                contains(checks.c.name, view.search),
                contains(sa.func.coalesce(api_url(), ""), view.search),
            )
        )
    return out


def _order(view: View) -> list[Any]:
    key = SORTS[view.sort]()
    # Checks that never ran sort after those that did, whichever the direction.
    first = [key.is_(None)] if view.sort == "last" else []
    keys = [*first, key.desc() if view.descending else key]
    if view.sort != "name":
        # Ascending whatever the direction: ties stay in name order, and the index
        # (account, severity, name_key, id) serves the default order.
        keys.append(checks.c.name_key)
    if view.grouped:
        # Ungrouped checks last, then groups by name; the chosen order within each.
        keys = [
            check_groups.c.id.is_(None),
            sa.func.lower(check_groups.c.name),
            check_groups.c.id,
            *keys,
        ]
    return [*keys, checks.c.id]


async def _groups(
    conn: AsyncConnection, account_id: str, ids: set[int], where: list[Any]
) -> dict[int, dict[str, Any]]:
    """Name and state counts (under the view's filters) of the groups on the page."""
    if not ids:
        return {}
    out: dict[int, dict[str, Any]] = {}
    for row in await conn.execute(
        sa.select(check_groups.c.id, check_groups.c.name).where(
            check_groups.c.account_id == account_id, check_groups.c.id.in_(ids)
        )
    ):
        out[row.id] = {"id": row.id, "name": row.name, "counts": dict.fromkeys(STATES, 0)}
    for group_id, severity, count in await conn.execute(
        sa.select(checks.c.group_id, checks.c.severity, sa.func.count())
        .where(checks.c.account_id == account_id, checks.c.group_id.in_(ids), *where)
        .group_by(checks.c.group_id, checks.c.severity)
    ):
        if group_id in out:
            out[group_id]["counts"][STATES[severity]] = count
    for group in out.values():
        group["total"] = sum(group["counts"].values())
    return out


async def _ranked(
    conn: AsyncConnection, query: sa.Select[Any], view: View, w: Windows
) -> list[str]:
    """The ids of every check `query` selects, ordered by its 24-hour availability or P95 (the
    figures the page shows, from the same hourly roll-ups); checks without results in the window
    last whichever the direction, then by name. It reads the window's roll-ups of every such
    check (one grouped statement), so it costs more than the state order: it is asked for."""
    listed = query.with_only_columns(
        checks.c.id,
        checks.c.name_key.label("key"),
        checks.c.group_id,
        *([sa.func.lower(check_groups.c.name).label("group_key")] if view.grouped else []),
    )
    rows = (await conn.execute(listed)).all()
    rr = result_rollups
    summed = (
        sa.select(rr.c.check_id, *(sa.func.sum(rr.c[n]).label(n) for n in _SUMS))
        .where(
            rr.c.check_id.in_(query.with_only_columns(checks.c.id).scalar_subquery()),
            rr.c.bucket_seconds == 3600,
            rr.c.bucket_start >= w.since,
            rr.c.bucket_start < w.until,
        )
        .group_by(rr.c.check_id)
    )
    figures: dict[str, float | None] = {}
    for row in await conn.execute(summed):
        summary = Summary()
        summary.add(row)
        figures[row.check_id] = (
            summary.availability if view.sort == "availability" else summary.percentile(95)
        )
    sign = -1 if view.descending else 1

    def key(r: Any) -> tuple[Any, ...]:
        figure = figures.get(r.id)
        group = (r.group_id is None, r.group_key or "", r.group_id or 0) if view.grouped else ()
        value = sign * figure if figure is not None else 0.0
        return (*group, figure is None, value, r.key, r.id)

    return [r.id for r in sorted(rows, key=key)]


async def options(
    conn: AsyncConnection, account_id: str, memo: Memo | None, clock: float
) -> dict[str, Any]:
    """The group and tag dropdowns' choices. Tags are read from every check's JSON, so they are
    kept per account for TAGS_TTL_SECONDS: a new tag shows in the list within that time (and at
    once in a link or the address)."""
    groups = [
        {"id": r.id, "name": r.name}
        for r in await conn.execute(
            sa.select(check_groups.c.id, check_groups.c.name)
            .where(check_groups.c.account_id == account_id)
            .order_by(sa.func.lower(check_groups.c.name), check_groups.c.id)
        )
    ]
    kept = memo.tags.get(account_id) if memo is not None else None
    if kept is not None and clock - kept[0] < TAGS_TTL_SECONDS:
        tags = kept[1]
    else:
        tags = await account_tags(conn, account_id)
        if memo is not None:
            memo.tags[account_id] = (clock, tags)
    return {"groups": groups, "tags": tags}


async def account_tags(conn: AsyncConnection, account_id: str) -> list[str]:
    """Every tag of the account's checks, sorted."""
    if conn.dialect.name == "postgresql":
        each: Any = sa.func.jsonb_array_elements_text(
            sa.type_coerce(checks.c.tags, JSONB)
        ).table_valued("value")
    else:
        each = sa.func.json_each(checks.c.tags).table_valued("value")
    found = await conn.execute(
        sa.select(each.c.value)
        .select_from(checks)
        .join(each, sa.true())
        .where(checks.c.account_id == account_id)
        .distinct()
    )
    return sorted((str(v) for (v,) in found), key=lambda t: (t.lower(), t))


async def dashboard(
    conn: AsyncConnection,
    account_id: str,
    view: View,
    *,
    now: datetime,
    memo: Memo | None = None,
) -> dict[str, Any]:
    where = [checks.c.account_id == account_id, *_filters(view, conn.dialect.name)]
    counts = dict.fromkeys(STATES, 0)
    # No join: without other filters this counts entries of `ix_checks_account_severity`.
    for severity, count in await conn.execute(
        sa.select(checks.c.severity, sa.func.count()).where(*where).group_by(checks.c.severity)
    ):
        counts[STATES[severity]] = count

    joined = checks.outerjoin(check_statuses, check_statuses.c.check_id == checks.c.id)
    if view.grouped:
        joined = joined.outerjoin(
            check_groups,
            sa.and_(
                check_groups.c.id == checks.c.group_id, check_groups.c.account_id == account_id
            ),
        )
    query = (
        sa.select(
            checks.c.id,
            checks.c.name,
            checks.c.check_type,
            checks.c.interval_seconds,
            checks.c.tags,
            checks.c.group_id,
            checks.c.severity,
            check_statuses.c.last_result_at,
            check_statuses.c.last_run_location,
        )
        .select_from(joined)
        .where(*where)
    )
    if view.state:
        query = query.where(checks.c.severity == STATES.index(view.state))
    w = Windows.at(now)
    offset = (view.page - 1) * PAGE_SIZE
    if view.sort in FIGURE_SORTS:
        ranked = await _ranked(conn, query, view, w)
        page_ids = ranked[offset : offset + PAGE_SIZE + 1]
        by_id = {r.id: r for r in await conn.execute(query.where(checks.c.id.in_(page_ids)))}
        rows = [by_id[i] for i in page_ids if i in by_id]
    else:
        rows = list(
            await conn.execute(query.order_by(*_order(view)).limit(PAGE_SIZE + 1).offset(offset))
        )
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    groups = (
        await _groups(
            conn,
            account_id,
            {r.group_id for r in rows if r.group_id is not None},
            [*where[1:], *([checks.c.severity == STATES.index(view.state)] if view.state else [])],
        )
        if view.grouped
        else {}
    )
    figures = await _figures(conn, [r.id for r in rows], w, memo) if rows else {}
    hours = [w.since + timedelta(hours=i) for i in range(24)]
    hour_names = [iso(at) for at in hours]
    items = []
    for r in rows:
        f = figures[r.id]
        state = STATES[r.severity]
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
            state in ("passing", "degraded", "failing")
            and r.interval_seconds
            and r.last_result_at is not None
            and (now - r.last_result_at).total_seconds() > 3 * r.interval_seconds + 60
        )
        items.append(
            {
                "id": r.id,
                "name": r.name,
                "checkType": r.check_type,
                "state": state,
                "stale": stale,
                "tags": list(r.tags or []),
                "groupId": r.group_id,
                "frequencySeconds": r.interval_seconds,
                "lastResultAt": iso(r.last_result_at),
                "lastRunLocation": r.last_run_location,
                "availability24h": f.day.availability,
                "availability7d": f.week.availability,
                "p95": f.day.percentile(95),
                "lastResults": bars,
            }
        )
    sections: list[dict[str, Any]] = []
    for item in items:
        key = item["groupId"] if view.grouped else None
        if not sections or sections[-1]["key"] != key:
            sections.append({"key": key, "group": groups.get(key) if key else None, "checks": []})
        sections[-1]["checks"].append(item)
    return {
        "accountId": account_id,
        "options": await options(conn, account_id, memo, time.monotonic()),
        "counts": counts,
        "total": sum(counts.values()),
        "state": view.state,
        "checkType": view.check_type,
        "tag": view.tag,
        "groupId": view.group_id,
        "search": view.search,
        "sort": view.sort,
        "dir": "desc" if view.descending else "asc",
        "grouped": view.grouped,
        "view": view.query(),
        "page": view.page,
        "nextPage": view.page + 1 if more else None,
        "checks": items,
        "sections": sections,
    }
