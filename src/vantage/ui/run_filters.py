"""The check overview's filters of its recent runs, from the query string (so a filtered view is
a link and works without JavaScript): `status` (passed, degraded, failed), `location` (a run
location's slug) and `retry` (final: a session's last word; attempt: a run that was retried;
all). A value outside these is a 400 naming its field, never an empty page that looks right."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from vantage.db.tables import check_results
from vantage.errors import BadRequest

STATUSES = ("passed", "degraded", "failed")
RETRIES = ("all", "final", "attempt")
# A location slug as the locations API accepts one (lower case, digits, dashes).
_SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,99}")


@dataclass(frozen=True, slots=True)
class RunFilter:
    status: str | None = None
    location: str | None = None
    retry: str = "all"

    @property
    def active(self) -> bool:
        return self != RunFilter()

    def query(self) -> dict[str, Any]:
        """The filter as query parameters (defaults left out), for the page's links."""
        return {
            "status": self.status,
            "location": self.location,
            "retry": None if self.retry == "all" else self.retry,
        }

    def conditions(self) -> list[Any]:
        cr = check_results
        out: list[Any] = []
        failed = sa.or_(cr.c.has_failures, cr.c.has_errors)
        if self.status == "failed":
            out.append(failed)
        elif self.status == "degraded":
            out.extend([sa.not_(failed), cr.c.is_degraded])
        elif self.status == "passed":
            out.extend([sa.not_(failed), sa.not_(cr.c.is_degraded)])
        if self.location is not None:
            out.append(cr.c.run_location == self.location)
        if self.retry != "all":
            out.append(cr.c.result_type == self.retry.upper())
        return out


def _one_of(params: Mapping[str, str], name: str, allowed: tuple[str, ...]) -> str | None:
    value = (params.get(name) or "").strip().lower()
    if not value:
        return None
    if value not in allowed:
        raise BadRequest(
            f'"{name}" must be one of: {", ".join(allowed)}', keys=[name], source="query"
        )
    return value


def requested(params: Mapping[str, str]) -> RunFilter:
    location = (params.get("location") or "").strip()
    if location and not _SLUG.fullmatch(location):
        raise BadRequest(
            '"location" must be a run location such as eu-west-1', keys=["location"], source="query"
        )
    return RunFilter(
        status=_one_of(params, "status", STATUSES),
        location=location or None,
        retry=_one_of(params, "retry", RETRIES) or "all",
    )
