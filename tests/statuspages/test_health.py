"""What a public page says about a service (pure)."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

from vantage.statuspages import health


def test_a_major_or_critical_incident_is_an_outage_a_minor_one_degrades() -> None:
    assert health.service_state([]) == "operational"
    assert health.service_state(["MINOR", "MEDIUM"]) == "degraded"
    assert health.service_state(["MINOR", "CRITICAL"]) == "outage"
    assert health.service_state(["MAJOR"]) == "outage"


def test_the_page_says_its_worst_service() -> None:
    assert health.worst([]) == "operational"
    assert health.worst(["operational", "outage", "degraded"]) == "outage"


def test_bars_cover_ninety_days_ending_today_with_gaps_as_no_data() -> None:
    today = date(2026, 11, 27)
    days = health.bars({today: (100, 1), date(2026, 11, 1): (10, 10)}, {today: 1}, today)
    assert len(days) == 90 and days[-1].day == today and days[0].day == date(2026, 8, 30)
    assert days[-1].uptime == 99.0 and days[-1].level == "dip"
    assert [d.level for d in days if d.day == date(2026, 11, 1)] == ["down"]
    assert days[-2].uptime is None and days[-2].level == "none"
    assert health.uptime(days) == 100.0 * 99 / 110


def test_a_day_without_failures_but_with_an_incident_is_not_all_green() -> None:
    today = date(2026, 11, 27)
    assert health.bars({today: (5, 0)}, {}, today)[-1].level == "up"
    assert health.bars({today: (5, 0)}, {today: 1}, today)[-1].level == "dip"


def test_checks_feed_the_service_their_trigger_incident_names() -> None:
    checks = [
        SimpleNamespace(id="a", config={"triggerIncident": {"serviceId": "s1"}}),
        SimpleNamespace(id="b", config={"triggerIncident": None}),
        SimpleNamespace(id="c", config={"triggerIncident": {"serviceId": "other"}}),
    ]
    assert health.feeding(checks, {"s1", "s2"}) == {"s1": ["a"], "s2": []}
