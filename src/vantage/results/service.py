"""Reading check results: by id, by page (v1) and by cursor (v2)."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from vantage.db.tables import check_results, checks
from vantage.errors import BadRequest, NotFound

V1_WINDOW = timedelta(hours=6)
# `from`/`to` (Unix seconds) up to the start of the year 9999: the window arithmetic and both
# databases hold every moment up to there. `page` up to what keeps the row offset in an int64.
MAX_TIMESTAMP = 253_370_764_800
MAX_PAGE = 1_000_000


@dataclass(frozen=True, slots=True)
class ResultFilter:
    start: datetime | None = None
    end: datetime | None = None
    location: str | None = None
    has_failures: bool | None = None
    result_type: str = "FINAL"


def v1_window(from_: int | None, to: int | None, now: datetime) -> tuple[datetime, datetime]:
    """Checkly's v1 list reads at most 6 hours: [now-6h, now) by default."""
    start = moment(from_)
    end = moment(to)
    if start is None and end is None:
        return now - V1_WINDOW, now
    if start is None:
        assert end is not None
        return end - V1_WINDOW, end
    if end is None:
        return start, start + V1_WINDOW
    if end - start > V1_WINDOW:
        raise BadRequest('"to" must be at most 6 hours after "from"', keys=["to"], source="query")
    return start, end


def moment(seconds: int | None) -> datetime | None:
    """A query's Unix timestamp; the endpoints bound it to [0, MAX_TIMESTAMP]."""
    return datetime.fromtimestamp(seconds, UTC) if seconds is not None else None


async def ensure_check(conn: AsyncConnection, account_id: str, check_id: str) -> None:
    try:
        uuid.UUID(check_id)
    except ValueError:
        raise NotFound("No such check.") from None
    exists = await conn.scalar(
        sa.select(checks.c.id).where(checks.c.id == check_id, checks.c.account_id == account_id)
    )
    if exists is None:
        raise NotFound("No such check.")


def _filtered(account_id: str, check_id: str, flt: ResultFilter) -> sa.Select[Any]:
    query = sa.select(check_results).where(
        check_results.c.account_id == account_id, check_results.c.check_id == check_id
    )
    if flt.start is not None:
        query = query.where(check_results.c.created_at >= flt.start)
    if flt.end is not None:
        query = query.where(check_results.c.created_at < flt.end)
    if flt.location:
        query = query.where(check_results.c.run_location == flt.location)
    if flt.has_failures is not None:
        query = query.where(check_results.c.has_failures.is_(flt.has_failures))
    if flt.result_type != "ALL":
        query = query.where(check_results.c.result_type == flt.result_type)
    return query


async def page(
    conn: AsyncConnection,
    account_id: str,
    check_id: str,
    flt: ResultFilter,
    *,
    limit: int,
    page: int,
) -> Sequence[Any]:
    query = (
        _filtered(account_id, check_id, flt)
        .order_by(check_results.c.created_at.desc(), check_results.c.id.desc())
        .limit(limit)
        .offset((page - 1) * limit)
    )
    rows: Sequence[Any] = (await conn.execute(query)).all()
    return rows


def encode_cursor(row: Any) -> str:
    # The position after the last row, exact to the microsecond (a float would round it).
    raw = f"{row.created_at.isoformat()}|{row.id}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        stamp, _, row_id = raw.partition("|")
        return datetime.fromisoformat(stamp).astimezone(UTC), str(uuid.UUID(row_id))
    except (ValueError, UnicodeDecodeError, OverflowError):
        # OverflowError: a stamp near year 1 or 9999 whose offset moves it out of range.
        raise BadRequest(
            '"nextId" is not a valid cursor', keys=["nextId"], source="query"
        ) from None


async def cursor_page(
    conn: AsyncConnection,
    account_id: str,
    check_id: str,
    flt: ResultFilter,
    *,
    limit: int,
    next_id: str | None,
) -> tuple[Sequence[Any], str | None]:
    query = _filtered(account_id, check_id, flt)
    if next_id:
        at, row_id = decode_cursor(next_id)
        query = query.where(
            # Implied by the OR below, but an index range (and, on PostgreSQL, the skipping of
            # the days after the cursor's partition) needs the bound on its own.
            check_results.c.created_at <= at,
            sa.or_(
                check_results.c.created_at < at,
                sa.and_(check_results.c.created_at == at, check_results.c.id < row_id),
            ),
        )
    rows = (
        await conn.execute(
            query.order_by(check_results.c.created_at.desc(), check_results.c.id.desc()).limit(
                limit + 1
            )
        )
    ).all()
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, encode_cursor(rows[-1]) if more and rows else None


async def get_one(conn: AsyncConnection, account_id: str, check_id: str, result_id: str) -> Any:
    try:
        uuid.UUID(result_id)
    except ValueError:
        raise NotFound("No such check result.") from None
    row = (
        await conn.execute(
            sa.select(check_results).where(
                check_results.c.id == result_id,
                check_results.c.check_id == check_id,
                check_results.c.account_id == account_id,
            )
        )
    ).first()
    if row is None:
        raise NotFound("No such check result.")
    return row
