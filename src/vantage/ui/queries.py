"""The pages' reads. Each returns the page's data as JSON-ready dicts (the `.json` twin) and reads
status rows, roll-ups, or raw results by id or by a short indexed range: never a scan of history."""

from __future__ import annotations

import base64
import uuid
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from vantage.db.tables import (
    check_results,
    check_sessions,
    check_statuses,
    checks,
    locations,
    result_rollups,
)
from vantage.errors import NotFound
from vantage.locations import service as locations_service
from vantage.locations.ref import LocationRef
from vantage.rollups.digest import BINS, PHASE_COLUMNS, Summary
from vantage.sessions.state import public_status
from vantage.sessions.wire import session_link
from vantage.timeutil import elapsed_ms, iso
from vantage.ui.ranges import Window
from vantage.ui.run_filters import RunFilter
from vantage.ui.state import result_state, state_expression

PAGE_SIZE = 50
RECENT_RUNS = 20
_COUNTS = ("finals", "passed", "degraded", "failed", "attempts", "rt_sum", *BINS)
_SUMS = (*_COUNTS, "phase_count", *PHASE_COLUMNS)


def _uuid_or_404(value: str, what: str) -> None:
    try:
        uuid.UUID(value)
    except ValueError:
        raise NotFound(f"No such {what}.") from None


def _figures(summary: Summary) -> dict[str, Any]:
    return {
        "finals": summary.finals,
        "passed": summary.passed,
        "degraded": summary.degraded,
        "failed": summary.failed,
        "attempts": summary.attempts,
        "availability": summary.availability,
        "retries": summary.retries,
        "average": summary.average,
        "p50": summary.percentile(50),
        "p95": summary.percentile(95),
        "p99": summary.percentile(99),
    }


async def _summed(
    conn: AsyncConnection,
    check_ids: list[str],
    bucket_seconds: int,
    start: datetime,
    end: datetime,
    by: tuple[str, ...],
    sums: tuple[str, ...] = _SUMS,
) -> list[Any]:
    """Roll-up rows of the checks in [start, end), summed per `by` columns, in SQL."""
    rr = result_rollups
    keys = [rr.c[name] for name in by]
    return list(
        (
            await conn.execute(
                sa.select(*keys, *(sa.func.sum(rr.c[name]).label(name) for name in sums))
                .where(
                    rr.c.check_id.in_(check_ids),
                    rr.c.bucket_seconds == bucket_seconds,
                    rr.c.bucket_start >= start,
                    rr.c.bucket_start < end,
                )
                .group_by(*keys)
            )
        ).all()
    )


# --- check overview ---------------------------------------------------------------------------


async def check_row(conn: AsyncConnection, account_id: str, check_id: str) -> Any:
    _uuid_or_404(check_id, "check")
    row = (
        await conn.execute(
            sa.select(checks, state_expression().label("state"))
            .select_from(checks.outerjoin(check_statuses, check_statuses.c.check_id == checks.c.id))
            .where(checks.c.id == check_id, checks.c.account_id == account_id)
        )
    ).first()
    if row is None:
        raise NotFound("No such check.")
    return row


def check_header(row: Any) -> dict[str, Any]:
    request = (row.config or {}).get("request") or {}
    return {
        "id": row.id,
        "name": row.name,
        "checkType": row.check_type,
        "state": row.state,
        "activated": row.activated,
        "tags": list(row.tags or []),
        "frequencySeconds": row.interval_seconds,
        "locations": list((row.config or {}).get("locations") or []),
        "method": request.get("method"),
        "url": request.get("url") or (row.config or {}).get("url"),
    }


async def overview(
    conn: AsyncConnection,
    account_id: str,
    check_id: str,
    win: Window,
    now: datetime,
    runs: RunFilter | None = None,
) -> dict[str, Any]:
    """The overview in `win`; `runs` filters its recent runs, and its location the figures too."""
    runs = runs or RunFilter()
    row = await check_row(conn, account_id, check_id)
    prev = win.previous
    rows = await _summed(
        conn, [check_id], win.rollup_seconds, prev.start, win.end, ("location", "bucket_start")
    )
    current, previous = Summary(), Summary()
    per_bucket: dict[datetime, Summary] = defaultdict(Summary)
    per_location: dict[str, Summary] = defaultdict(Summary)
    per_bar_location: dict[tuple[datetime, str], Summary] = defaultdict(Summary)
    seen_locations = {r.location for r in rows}
    for r in rows:
        if runs.location is not None and r.location != runs.location:
            continue
        if r.bucket_start < win.start:
            previous.add(r)
            continue
        bar = win.bucket_of(r.bucket_start)
        current.add(r)
        per_bucket[bar].add(r)
        per_location[r.location].add(r)
        per_bar_location[bar, r.location].add(r)
    buckets = []
    bars = win.buckets()
    for at in bars:
        s = per_bucket.get(at) or Summary()
        buckets.append(
            {
                "start": iso(at),
                "end": iso(at + timedelta(seconds=win.bucket_seconds)),
                "finals": s.finals,
                "passed": s.passed,
                "degraded": s.degraded,
                "failed": s.failed,
                "p50": s.percentile(50),
                "p95": s.percentile(95),
                "phases": s.phases,
            }
        )
    # Response time per location: one P95 line each, over the same bars.
    series = [
        {
            "location": name,
            "p95": [(per_bar_location.get((at, name)) or Summary()).percentile(95) for at in bars],
        }
        for name in sorted(per_location)
    ]
    recent_where = [check_results.c.check_id == check_id]
    if runs.active:
        # A filter is bounded by the range shown: one that matches little never walks the
        # check's whole history (each has an index by check and time, see db/tables.py).
        recent_where += [
            *runs.conditions(),
            check_results.c.created_at >= win.start,
            check_results.c.created_at < win.end,
        ]
    recent = (
        await conn.execute(
            sa.select(check_results)
            .where(*recent_where)
            .order_by(check_results.c.created_at.desc(), check_results.c.id.desc())
            .limit(RECENT_RUNS)
        )
    ).all()
    return {
        "accountId": account_id,
        "check": check_header(row),
        "range": win.preset,
        "from": iso(win.start),
        "to": iso(win.end),
        "bucketSeconds": win.bucket_seconds,
        "earlier": {**_shift(win, -1), **runs.query()},
        "later": {**_shift(win, 1), **runs.query()} if win.end < now else None,
        "summary": {**_figures(current), "phases": current.phases},
        "previous": _figures(previous),
        "buckets": buckets,
        "locations": [
            {"location": name, **_figures(s)} for name, s in sorted(per_location.items())
        ],
        "locationSeries": series,
        "runFilter": runs.query(),
        # The location filter's choices: every location with results in the two windows.
        "runLocations": sorted(seen_locations | ({runs.location} if runs.location else set())),
        "runFilterActive": runs.active,
        "recentRuns": [_result_brief(r, account_id) for r in recent],
    }


def _shift(win: Window, steps: int) -> dict[str, str | None]:
    """The query of the window `steps` lengths away (the ◀ ▶ links)."""
    start, end = win.shifted(steps)
    return {"from": iso(start), "to": iso(end)}


def _result_link(account_id: str, r: Any) -> str:
    base = session_link("", account_id, r.check_id, r.session_id)
    return f"{base}/results/{r.id}"


def _result_brief(r: Any, account_id: str) -> dict[str, Any]:
    return {
        "id": r.id,
        "link": _result_link(account_id, r) if r.session_id else None,
        "runLocation": r.run_location,
        "resultType": r.result_type,
        "state": result_state(r.has_failures, r.has_errors, r.is_degraded),
        "responseTime": r.response_time,
        "attempts": r.attempts,
        "startedAt": iso(r.started_at),
        "createdAt": iso(r.created_at),
        "inMaintenance": r.in_maintenance,
    }


# --- results list -----------------------------------------------------------------------------


def encode_cursor(created_at: datetime, result_id: str) -> str:
    raw = f"{created_at.timestamp():.6f}|{result_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str] | None:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        stamp, result_id = raw.split("|", 1)
        uuid.UUID(result_id)
        return datetime.fromtimestamp(float(stamp)).astimezone(), result_id
    except (ValueError, UnicodeDecodeError):
        return None


async def results_list(
    conn: AsyncConnection,
    account_id: str,
    check_id: str,
    *,
    result_type: str,
    location: str,
    failures: bool,
    start: datetime | None,
    end: datetime | None,
    cursor: str,
) -> dict[str, Any]:
    row = await check_row(conn, account_id, check_id)
    cr = check_results
    query = sa.select(cr).where(cr.c.check_id == check_id, cr.c.account_id == account_id)
    if result_type in ("FINAL", "ATTEMPT"):
        query = query.where(cr.c.result_type == result_type)
    if location:
        query = query.where(cr.c.run_location == location)
    if failures:
        query = query.where(sa.or_(cr.c.has_failures, cr.c.has_errors))
    if start is not None:
        query = query.where(cr.c.created_at >= start)
    if end is not None:
        query = query.where(cr.c.created_at < end)
    after = decode_cursor(cursor) if cursor else None
    if after is not None:
        at, last_id = after
        # The plain bound lets the index stop at the cursor; the OR orders ties by id.
        query = query.where(
            cr.c.created_at <= at,
            sa.or_(cr.c.created_at < at, cr.c.id < last_id),
        )
    rows = (
        await conn.execute(
            query.order_by(cr.c.created_at.desc(), cr.c.id.desc()).limit(PAGE_SIZE + 1)
        )
    ).all()
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    return {
        "accountId": account_id,
        "check": check_header(row),
        "filters": {
            "resultType": result_type if result_type in ("FINAL", "ATTEMPT") else "ALL",
            "location": location,
            "failures": failures,
            "from": iso(start),
            "to": iso(end),
        },
        "results": [_result_brief(r, account_id) for r in rows],
        "next": encode_cursor(rows[-1].created_at, rows[-1].id) if more and rows else None,
    }


# --- check session and check result ---------------------------------------------------------


async def _session(conn: AsyncConnection, account_id: str, check_id: str, session_id: str) -> Any:
    _uuid_or_404(session_id, "check session")
    row = (
        await conn.execute(
            sa.select(check_sessions).where(
                check_sessions.c.id == session_id,
                check_sessions.c.account_id == account_id,
                check_sessions.c.check_id == check_id,
            )
        )
    ).first()
    if row is None:
        raise NotFound("No such check session.")
    return row


async def _session_results(conn: AsyncConnection, session_id: str) -> list[Any]:
    return list(
        (
            await conn.execute(
                sa.select(check_results)
                .where(check_results.c.session_id == session_id)
                .order_by(check_results.c.started_at, check_results.c.id)
            )
        ).all()
    )


def _session_body(s: Any, results: list[Any], now: datetime) -> dict[str, Any]:
    by_location: dict[str, list[Any]] = defaultdict(list)
    for r in results:
        by_location[r.run_location].append(r)
    rows = []
    for location in list(s.run_locations) + sorted(set(by_location) - set(s.run_locations)):
        runs = by_location.get(location, [])
        final = next((r for r in runs if r.result_type == "FINAL"), None)
        rows.append(
            {
                "location": location,
                "state": "pending"
                if final is None
                else result_state(final.has_failures, final.has_errors, final.is_degraded),
                "final": _result_brief(final, s.account_id) if final else None,
                "attempts": [
                    _result_brief(r, s.account_id) for r in runs if r.result_type == "ATTEMPT"
                ],
            }
        )
    status = public_status(s.status, 2)
    return {
        "id": s.id,
        "checkId": s.check_id,
        "name": s.name,
        "checkType": s.check_type,
        "status": status,
        "ended": s.stopped_at is not None,
        "runSource": s.run_source,
        "startedAt": iso(s.started_at),
        "stoppedAt": iso(s.stopped_at),
        "timeElapsed": elapsed_ms(s.started_at, s.stopped_at or now),
        "runLocations": list(s.run_locations),
        "locations": rows,
    }


async def session_page(
    conn: AsyncConnection, account_id: str, check_id: str, session_id: str, now: datetime
) -> dict[str, Any]:
    s = await _session(conn, account_id, check_id, session_id)
    results = await _session_results(conn, session_id)
    return {"accountId": account_id, "session": _session_body(s, results, now)}


async def result_page(
    conn: AsyncConnection,
    account_id: str,
    check_id: str,
    session_id: str,
    result_id: str,
    now: datetime,
) -> dict[str, Any]:
    s = await _session(conn, account_id, check_id, session_id)
    _uuid_or_404(result_id, "check result")
    results = await _session_results(conn, session_id)
    r = next((x for x in results if x.id == result_id), None)
    if r is None:
        raise NotFound("No such check result.")
    detail = r.detail if isinstance(r.detail, dict) else {}
    return {
        "accountId": account_id,
        "session": _session_body(s, results, now),
        "result": {
            **_result_brief(r, account_id),
            "name": r.name,
            "checkType": r.check_type,
            "hasFailures": r.has_failures,
            "hasErrors": r.has_errors,
            "isDegraded": r.is_degraded,
            "overMaxResponseTime": r.over_max_response_time,
            "stoppedAt": iso(r.stopped_at),
            "detailKey": r.detail_key,
            "detail": detail,
            "error": error_of(detail),
        },
    }


def error_of(detail: dict[str, Any]) -> str | None:
    """The message to show first on a failed result: the request's error, else the first failed
    assertion's."""
    for key in ("requestError", "error", "errorMessage"):
        if isinstance(detail.get(key), str) and detail[key]:
            return str(detail[key])
    for assertion in detail.get("assertions") or []:
        if isinstance(assertion, dict) and assertion.get("passed") is False:
            target = assertion.get("target")
            actual = assertion.get("actual")
            what = " ".join(
                str(x) for x in (assertion.get("source"), assertion.get("property")) if x
            )
            return (
                f"Assertion failed: {what} {assertion.get('comparison')} {target!r}, "
                f"actual {actual!r}"
            )
    return None


# --- locations ---------------------------------------------------------------------------------


async def locations_page(conn: AsyncConnection, account_id: str, now: datetime) -> dict[str, Any]:
    rows = (
        await conn.execute(
            sa.select(locations)
            .where(sa.or_(locations.c.account_id.is_(None), locations.c.account_id == account_id))
            .order_by(locations.c.account_id.is_not(None), locations.c.slug)
        )
    ).all()
    # The API's own view of each location: agents heard from in the last day, and its queue
    # (runs waiting and running, and how long the oldest waiting one has been due).
    health = await locations_service.health(
        conn, [LocationRef(r.id, r.slug, r.account_id) for r in rows], now
    )
    return {
        "accountId": account_id,
        "locations": [
            {
                "slug": r.slug,
                "name": r.name,
                "private": r.account_id is not None,
                "lastSeenAt": iso(r.last_seen_at),
                "agents": [
                    {
                        "id": a["agentId"],
                        "startedAt": a["startedAt"],
                        "lastSeenAt": a["lastSeen"],
                        "alive": a["alive"],
                    }
                    for a in health[r.slug]["agents"]
                ],
                "queue": health[r.slug]["queue"],
            }
            for r in rows
        ],
        "now": iso(now),
    }
