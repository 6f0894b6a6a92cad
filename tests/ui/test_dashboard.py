"""The dashboard's read: its memo of settled roll-up buckets never changes what a view shows,
and buckets still filling are read fresh on every view."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from tests.support import checks as payloads
from tests.support.harness import Harness, Persona
from tests.support.sessions import create
from tests.targets.http_target import HttpTarget
from vantage.rollups import repository as rollups_repo
from vantage.rollups.digest import rows_of
from vantage.timeutil import utcnow
from vantage.ui import dashboard
from vantage.ui.dashboard import Memo, View, Windows


def outcome(check_id: str, account_id: str, at: datetime, **fields: Any) -> dict[str, Any]:
    row = {
        "check_id": check_id,
        "account_id": account_id,
        "run_location": "local",
        "result_type": "FINAL",
        "has_failures": False,
        "has_errors": False,
        "is_degraded": False,
        "response_time": 100.0,
        "created_at": at,
    }
    row.update(fields)
    return row


async def view(vantage: Harness, account_id: str, now: datetime, memo: Memo | None) -> Any:
    async with vantage.runtime.db.read() as conn:
        data = await dashboard.dashboard(conn, account_id, View(), now=now, memo=memo)
    return data["checks"][0]


async def test_a_memoised_view_shows_what_a_fresh_read_shows_and_new_results_at_once(
    vantage: Harness, alice: Persona, http_target: HttpTarget
) -> None:
    check_id = await create(alice, payloads.api_check(f"{http_target.base_url}/ok"))
    now = utcnow()
    history = [
        outcome(check_id, alice.account_id, now - timedelta(hours=5)),
        outcome(check_id, alice.account_id, now - timedelta(hours=5), has_failures=True),
        outcome(check_id, alice.account_id, now - timedelta(days=3), response_time=900.0),
    ]
    async with vantage.runtime.db.write() as conn:
        await rollups_repo.add(conn, rows_of(history))
    memo = Memo()
    first = await view(vantage, alice.account_id, now, memo)
    assert memo.checks  # the settled figures were kept
    assert first == await view(vantage, alice.account_id, now, None)
    assert first["availability24h"] == 50.0
    assert abs(first["availability7d"] - 100 * 2 / 3) < 1e-9
    assert sum(bar["finals"] for bar in first["lastResults"]) == 2

    async with vantage.runtime.db.write() as conn:
        await rollups_repo.add(conn, rows_of([outcome(check_id, alice.account_id, now)]))
    again = await view(vantage, alice.account_id, now, memo)
    assert again == await view(vantage, alice.account_id, now, None)
    assert sum(bar["finals"] for bar in again["lastResults"]) == 3
    assert again["availability7d"] == 75.0


def test_only_buckets_ended_more_than_the_grace_ago_are_settled() -> None:
    just_after = datetime.fromisoformat("2026-11-27T11:00:30+00:00")
    w = Windows.at(just_after)
    assert w.hour == datetime.fromisoformat("2026-11-27T11:00:00+00:00")
    # a result of 10:59 may still land: the 10:00 bucket is read fresh for two minutes
    assert w.settled_hour == datetime.fromisoformat("2026-11-27T10:00:00+00:00")
    assert w.since == w.hour - timedelta(hours=23) and w.until == w.hour + timedelta(hours=1)
    later = Windows.at(just_after + timedelta(minutes=5))
    assert later.settled_hour == later.hour and later.epoch != w.epoch
