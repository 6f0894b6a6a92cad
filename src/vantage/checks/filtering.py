"""Which of an account's checks a list shows, as SQL conditions: `GET /v1/checks` and the web
UI's dashboard filter in the database and read one page, instead of loading every check.

Tags and an API check's URL live in JSON columns, so two conditions are written per dialect
(SQLite's `json_each`, PostgreSQL's `jsonb` operators); the rest is plain SQL.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB, array

from vantage.db.tables import check_statuses, checks


@dataclass(frozen=True, slots=True)
class CheckFilter:
    tags: Sequence[str] = ()
    check_type: str | None = None
    # A part of the name (case-insensitive).
    search: str | None = None
    # passing, degraded or failing: a check that has not run yet has no status and never matches.
    status: str | None = None
    # A part of an API check's URL; other types never match.
    url_pattern: str | None = None


def status_expression() -> Any:
    """passing / degraded / failing of a check's status row (NULL for a check that never ran)."""
    cs = check_statuses
    return sa.case(
        (cs.c.check_id.is_(None), sa.null()),
        (sa.or_(cs.c.has_failures, cs.c.has_errors), "failing"),
        (cs.c.is_degraded, "degraded"),
        else_="passing",
    )


def api_url() -> Any:
    """An API check's request URL, from its stored JSON (NULL for other types)."""
    return checks.c.config["request"]["url"].as_string()


def contains(column: Any, part: str) -> Any:
    """Case-insensitive substring match; `%` and `_` in `part` match themselves."""
    return sa.func.lower(column).contains(part.lower(), autoescape=True)


def any_tag(tags: Sequence[str], dialect: str) -> Any:
    """The check carries at least one of `tags`."""
    if dialect == "postgresql":
        return sa.type_coerce(checks.c.tags, JSONB).has_any(array(list(tags)))
    each = sa.func.json_each(checks.c.tags).table_valued("value")
    return sa.exists(sa.select(1).select_from(each).where(each.c.value.in_(list(tags))))


def conditions(flt: CheckFilter, dialect: str) -> list[Any]:
    """The WHERE terms of `flt` (the caller joins `check_statuses` when `flt.status` is set)."""
    out: list[Any] = []
    if flt.tags:
        out.append(any_tag(flt.tags, dialect))
    if flt.check_type:
        out.append(checks.c.check_type == flt.check_type)
    if flt.search:
        out.append(contains(checks.c.name, flt.search))
    if flt.status:
        out.append(status_expression() == flt.status)
    if flt.url_pattern is not None:
        out.append(checks.c.check_type == "API")
        out.append(contains(sa.func.coalesce(api_url(), ""), flt.url_pattern))
    return out


def with_status(query: sa.Select[Any]) -> sa.Select[Any]:
    """`query` over checks, with each check's status row (if any) joined."""
    return query.select_from(
        checks.outerjoin(check_statuses, check_statuses.c.check_id == checks.c.id)
    )
