"""Runs taken in a maintenance window are marked and left out of availability: in the result
list, the roll-ups (dashboard, check overview, status pages) and the raw-result figures
(`checkly checks stats`), on real runs."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from tests.support.checks import api_check
from tests.support.harness import Harness, Persona
from tests.support.sessions import create, run
from tests.targets.http_target import HttpTarget
from vantage.db.tables import result_rollups
from vantage.timeutil import utcnow


def window(**fields: Any) -> dict[str, Any]:
    now = utcnow()
    return {
        "name": "Database upgrade",
        "tags": ["db"],
        "startsAt": (now - timedelta(minutes=5)).isoformat(),
        "endsAt": (now + timedelta(hours=1)).isoformat(),
        **fields,
    }


async def passed_then_failed(
    persona: Persona, http_target: HttpTarget, before_failing: Any = None, **fields: Any
) -> str:
    """A check that passes once, then (after `before_failing`) fails once."""
    payload = api_check(f"{http_target.base_url}/ok", name="db health", **fields)
    check_id = await create(persona, payload)
    await run(persona, check_id)
    failing = api_check(f"{http_target.base_url}/status/500", name="db health", **fields)
    response = await persona.put(f"/v1/checks/api/{check_id}", json=failing)
    assert response.status_code == 200, response.text
    if before_failing is not None:
        await before_failing()
    await run(persona, check_id)
    return check_id


async def availability(persona: Persona, check_id: str) -> Any:
    response = await persona.get(
        f"/v1/analytics/api-checks/{check_id}",
        params={"metrics": "availability", "quickRange": "last24Hours"},
    )
    assert response.status_code == 200, response.text
    return response.json()["series"][0]["data"][0]["availability"]


async def day_rollup(vantage: Harness, check_id: str) -> Any:
    async with vantage.runtime.db.read() as conn:
        (row,) = (
            await conn.execute(
                sa.select(result_rollups).where(
                    result_rollups.c.check_id == check_id,
                    result_rollups.c.bucket_seconds == 86400,
                )
            )
        ).all()
    return row


async def marks(persona: Persona, check_id: str) -> list[tuple[bool, bool]]:
    """(hasFailures, inMaintenance) of the check's results, oldest first."""
    response = await persona.get(f"/v1/check-results/{check_id}")
    assert response.status_code == 200, response.text
    return [(r["hasFailures"], r["inMaintenance"]) for r in reversed(response.json())]


async def test_a_failing_run_in_a_window_is_marked_and_does_not_lower_availability(
    vantage: Harness, alice: Persona, http_target: HttpTarget
) -> None:
    async def open_window() -> None:
        assert (await alice.post("/v1/maintenance-windows", json=window())).status_code == 201

    check_id = await passed_then_failed(alice, http_target, open_window, tags=["db"])

    assert await marks(alice, check_id) == [(False, False), (True, True)]
    assert await availability(alice, check_id) == 100
    day = await day_rollup(vantage, check_id)
    assert (day.finals, day.passed, day.failed, day.maintenance) == (1, 1, 0, 1)
    checkly_stats = await alice.post("/v1/analytics/checks", json={"checkIds": [check_id]})
    assert [item["availability"] for item in checkly_stats.json()] == [100]


async def test_a_failing_run_outside_any_window_lowers_availability(
    vantage: Harness, alice: Persona, http_target: HttpTarget
) -> None:
    async def window_that_has_ended() -> None:
        past = window(
            startsAt=(utcnow() - timedelta(hours=2)).isoformat(),
            endsAt=(utcnow() - timedelta(hours=1)).isoformat(),
        )
        assert (await alice.post("/v1/maintenance-windows", json=past)).status_code == 201

    check_id = await passed_then_failed(alice, http_target, window_that_has_ended, tags=["db"])

    assert await marks(alice, check_id) == [(False, False), (True, False)]
    assert await availability(alice, check_id) == 50
    day = await day_rollup(vantage, check_id)
    assert (day.finals, day.passed, day.failed, day.maintenance) == (2, 1, 1, 0)


async def test_a_recurring_windows_later_occurrence_covers_the_run(
    alice: Persona, http_target: HttpTarget
) -> None:
    async def daily_window_since_last_week() -> None:
        now = utcnow()
        daily = window(
            startsAt=(now - timedelta(days=7, minutes=5)).isoformat(),
            endsAt=(now - timedelta(days=7) + timedelta(minutes=30)).isoformat(),
            repeatUnit="DAY",
            repeatInterval=1,
        )
        assert (await alice.post("/v1/maintenance-windows", json=daily)).status_code == 201

    check_id = await passed_then_failed(
        alice, http_target, daily_window_since_last_week, tags=["db"]
    )

    assert await marks(alice, check_id) == [(False, False), (True, True)]
    assert await availability(alice, check_id) == 100


async def test_a_window_by_tag_leaves_the_runs_of_other_checks_counted(
    alice: Persona, http_target: HttpTarget
) -> None:
    async def window_for_db_only() -> None:
        assert (await alice.post("/v1/maintenance-windows", json=window())).status_code == 201

    check_id = await passed_then_failed(alice, http_target, window_for_db_only, tags=["web"])

    assert await marks(alice, check_id) == [(False, False), (True, False)]
    assert await availability(alice, check_id) == 50


async def test_a_window_by_tag_covers_the_checks_of_a_group_with_that_tag(
    alice: Persona, http_target: HttpTarget
) -> None:
    group = await alice.post(
        "/v1/check-groups", json={"name": "Databases", "tags": ["db"], "locations": ["local"]}
    )
    assert group.status_code == 201, group.text

    async def open_window() -> None:
        assert (await alice.post("/v1/maintenance-windows", json=window())).status_code == 201

    check_id = await passed_then_failed(alice, http_target, open_window, groupId=group.json()["id"])

    assert await marks(alice, check_id) == [(False, False), (True, True)]


async def test_another_accounts_window_never_covers_a_run(
    alice: Persona, charlie: Persona, http_target: HttpTarget
) -> None:
    async def charlies_windows() -> None:
        for sent in (window(), window(tags=[], silenceAllAlerts=True)):
            assert (await charlie.post("/v1/maintenance-windows", json=sent)).status_code == 201

    check_id = await passed_then_failed(alice, http_target, charlies_windows, tags=["db"])

    assert await marks(alice, check_id) == [(False, False), (True, False)]
    assert await availability(alice, check_id) == 50
