"""The intake writes roll-ups in the result's transaction, adding to the buckets already there."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from tests.support import checks as payloads
from tests.support.harness import Harness, Persona
from tests.support.sessions import create, run
from tests.targets.http_target import HttpTarget
from vantage.db.tables import check_results, result_rollups


async def rollups_of(vantage: Harness, check_id: str, seconds: int) -> list[Any]:
    async with vantage.runtime.db.read() as conn:
        return list(
            (
                await conn.execute(
                    sa.select(result_rollups).where(
                        result_rollups.c.check_id == check_id,
                        result_rollups.c.bucket_seconds == seconds,
                    )
                )
            ).all()
        )


async def test_each_final_result_is_counted_once_in_each_bucket_size(
    vantage: Harness, alice: Persona, http_target: HttpTarget
) -> None:
    ok = await create(alice, payloads.api_check(f"{http_target.base_url}/ok", name="ok"))
    bad = await create(alice, payloads.api_check(f"{http_target.base_url}/status/500"))
    for _ in range(3):
        await run(alice, ok)
    await run(alice, bad)
    for seconds in (60, 3600, 86400):
        rows = await rollups_of(vantage, ok, seconds)
        assert sum(r.finals for r in rows) == 3
        assert sum(r.passed for r in rows) == 3
        assert {r.location for r in rows} == {"local"}
        assert all(r.account_id == alice.account_id for r in rows)
    day = await rollups_of(vantage, bad, 86400)
    assert [(r.finals, r.failed, r.passed) for r in day] == [(1, 1, 0)]


async def test_a_rollup_keeps_the_sum_of_its_results_response_times(
    vantage: Harness, alice: Persona, http_target: HttpTarget
) -> None:
    ok = await create(alice, payloads.api_check(f"{http_target.base_url}/ok"))
    await run(alice, ok)
    await run(alice, ok)
    async with vantage.runtime.db.read() as conn:
        total = await conn.scalar(
            sa.select(sa.func.sum(check_results.c.response_time)).where(
                check_results.c.check_id == ok
            )
        )
    (day,) = await rollups_of(vantage, ok, 86400)
    assert abs(day.rt_sum - total) < 1e-6
    assert sum(getattr(day, f"h{i:02d}") for i in range(20)) == 2


async def test_deleting_a_check_deletes_its_rollups(
    vantage: Harness, alice: Persona, http_target: HttpTarget
) -> None:
    ok = await create(alice, payloads.api_check(f"{http_target.base_url}/ok"))
    await run(alice, ok)
    assert await rollups_of(vantage, ok, 60)
    assert (await alice.delete(f"/v1/checks/{ok}")).status_code == 204
    assert await rollups_of(vantage, ok, 60) == []
