"""A page's refresh renders again only when what it reads has changed (`public.fingerprint`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from vantage.statuspages.public import Loaded, fingerprint

NOW = datetime(2026, 5, 4, 12, 0, tzinfo=UTC)
TODAY = datetime(2026, 5, 4, tzinfo=UTC)


def loaded(*, now: datetime = NOW, failed: int = 0, name: str = "Payments") -> Loaded:
    page = SimpleNamespace(id="p1", config={"name": "Acme"}, cards=[{"services": ["s1"]}])
    return Loaded(
        page=page,
        now=now,
        known={"s1": SimpleNamespace(name=name)},
        feeds={"s1": ["c1"]},
        days=[("c1", TODAY, 1440, failed)],
        incidents=[],
        updates={},
    )


def test_the_same_reads_digest_alike_whenever_they_are_made() -> None:
    assert fingerprint(loaded(), "html", "") == fingerprint(
        loaded(now=NOW + timedelta(hours=1)), "html", ""
    )


def test_new_figures_a_renamed_service_or_a_new_day_change_it() -> None:
    first = fingerprint(loaded(), "html", "")
    assert fingerprint(loaded(failed=1), "html", "") != first
    assert fingerprint(loaded(name="Billing"), "html", "") != first
    assert fingerprint(loaded(now=NOW + timedelta(days=1)), "html", "") != first


def test_each_kind_and_address_of_the_page_has_its_own() -> None:
    first = fingerprint(loaded(), "html", "")
    assert fingerprint(loaded(), "json", "") != first
    assert fingerprint(loaded(), "html", "/status/acme") != first
