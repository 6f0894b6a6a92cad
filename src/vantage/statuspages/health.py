"""What a public page says about each service (pure): its status from the open incidents on it,
and its daily uptime bars from the day roll-ups of the checks that feed it.

A service is an outage while a MAJOR or CRITICAL incident is open on it, degraded while a MINOR
or MEDIUM one is, else operational; the page says the worst of its services. A day's uptime is
the share of its runs that did not fail (degraded runs count as up, as Checkly's availability
does); a day without runs has no figure.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

DAYS = 90
STATES = ("operational", "degraded", "outage")
LABELS = {
    "operational": "Operational",
    "degraded": "Degraded performance",
    "outage": "Outage",
}
PAGE_LABELS = {
    "operational": "All systems operational",
    "degraded": "Some systems are degraded",
    "outage": "Some systems are down",
}
OUTAGE_SEVERITIES = ("MAJOR", "CRITICAL")


def service_state(severities: Iterable[str]) -> str:
    state = "operational"
    for severity in severities:
        if severity in OUTAGE_SEVERITIES:
            return "outage"
        state = "degraded"
    return state


def worst(states: Iterable[str]) -> str:
    return max(states, key=STATES.index, default="operational")


@dataclass(frozen=True, slots=True)
class Day:
    day: date
    runs: int
    failed: int
    incidents: int

    @property
    def uptime(self) -> float | None:
        return None if self.runs == 0 else 100.0 * (self.runs - self.failed) / self.runs

    @property
    def level(self) -> str:
        """The bar's colour class: none, up, dip (under 99.9 %), down (under 95 %)."""
        uptime = self.uptime
        if uptime is None:
            return "none"
        if uptime < 95:
            return "down"
        if uptime < 99.9 or self.incidents:
            return "dip"
        return "up"


def bars(
    counts: Mapping[date, tuple[int, int]],
    incident_days: Mapping[date, int],
    today: date,
    days: int = DAYS,
) -> list[Day]:
    """One bar per day, oldest first, ending today; counts are (runs, failed) per day."""
    out = []
    for back in range(days - 1, -1, -1):
        day = today - timedelta(days=back)
        runs, failed = counts.get(day, (0, 0))
        out.append(Day(day, runs, failed, incident_days.get(day, 0)))
    return out


def uptime(days: Sequence[Day]) -> float | None:
    runs = sum(d.runs for d in days)
    failed = sum(d.failed for d in days)
    return None if runs == 0 else 100.0 * (runs - failed) / runs


def feeding(checks: Iterable[Any], service_ids: set[str]) -> dict[str, list[str]]:
    """Per service, the ids of the checks whose `triggerIncident` names it."""
    out: dict[str, list[str]] = {sid: [] for sid in service_ids}
    for check in checks:
        trigger = (check.config or {}).get("triggerIncident")
        if isinstance(trigger, dict) and trigger.get("serviceId") in out:
            out[str(trigger["serviceId"])].append(check.id)
    return out
