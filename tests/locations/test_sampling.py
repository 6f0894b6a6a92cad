"""A private location's queue is sampled periodically and `/metrics` serves the samples as a time
series (from..to, oldest first, with one taken now when the window reaches now); samples leave
with Checkly's 15-day window, operator locations are not sampled, and replicas do not double the
rate."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from tests.support.checks import api_check
from tests.support.harness import Harness, Persona
from vantage.db.tables import location_queue_samples
from vantage.locations.sampling import Sampler, sample_once, series

SECOND = timedelta(seconds=1)


async def private_location(alice: Persona, slug: str = "office") -> dict[str, Any]:
    created = await alice.post("/v1/private-locations", json={"name": "Office", "slugName": slug})
    assert created.status_code == 201, created.text
    body: dict[str, Any] = created.json()
    return body


async def queue_one_run(alice: Persona, slug: str = "office") -> None:
    check = await alice.post(
        "/v1/checks/api", json=api_check("http://127.0.0.1:9/ok", locations=[slug])
    )
    started = await alice.post(
        "/v2/check-sessions/trigger", json={"target": {"checkId": [check.json()["id"]]}}
    )
    assert started.status_code == 201, started.text


async def sample(vantage: Harness, at: datetime) -> int:
    async with vantage.runtime.db.write() as conn:
        return await sample_once(conn, at)


async def test_each_private_location_gets_a_sample_per_pass(
    vantage: Harness, alice: Persona
) -> None:
    office = await private_location(alice)
    before = datetime.now(UTC).replace(microsecond=0)
    assert await sample(vantage, before) == 1  # `local` is the operator's: not sampled
    await queue_one_run(alice)
    after = datetime.now(UTC).replace(microsecond=0) + SECOND  # the run is due by then
    assert await sample(vantage, after) == 1
    async with vantage.runtime.db.read() as conn:
        taken = await series(conn, office["id"], before - timedelta(hours=1), after)
    assert [(s.at, s.queue_size) for s in taken] == [(before, 0), (after, 1)]
    assert taken[1].oldest_wait_ms >= 0


async def test_metrics_serve_the_samples_in_the_window_and_one_taken_now(
    vantage: Harness, alice: Persona, charlie: Persona
) -> None:
    office = await private_location(alice)
    now = int(time.time())
    await sample(vantage, datetime.fromtimestamp(now - 600, UTC))
    await queue_one_run(alice)
    # a sample the run is due by (a test cannot wait a sampling interval)
    await sample(vantage, datetime.fromtimestamp(now + 60, UTC))
    path = f"/v1/private-locations/{office['id']}/metrics"

    body = (await alice.get(path, params={"from": now - 3600, "to": now + 3600})).json()
    assert body["queueSize"] == [0, 1, 1]  # with the one taken now, in time order
    assert len(body["timestamps"]) == len(body["oldestScheduledCheckRun"]) == 3
    assert body["timestamps"] == sorted(body["timestamps"])
    assert body["timestamps"][0].startswith(
        datetime.fromtimestamp(now - 600, UTC).strftime("%Y-%m-%dT%H:%M:%S")
    )

    # a window that does not reach now has the stored samples only
    past = (await alice.get(path, params={"from": now - 900, "to": now - 300})).json()
    assert past["queueSize"] == [0] and len(past["timestamps"]) == 1
    # another account's location is a 404, its samples included
    assert (await charlie.get(path, params={"from": now - 3600, "to": now})).status_code == 404


async def test_samples_older_than_the_window_are_dropped(vantage: Harness, alice: Persona) -> None:
    office = await private_location(alice)
    now = datetime.now(UTC).replace(microsecond=0)
    await sample(vantage, now - timedelta(days=16))
    await sample(vantage, now - timedelta(days=14))
    await sample(vantage, now)
    async with vantage.runtime.db.read() as conn:
        kept = await conn.scalars(
            sa.select(location_queue_samples.c.sampled_at)
            .where(location_queue_samples.c.location_id == office["id"])
            .order_by(location_queue_samples.c.sampled_at)
        )
        assert kept.all() == [now - timedelta(days=14), now]


async def test_a_pass_soon_after_another_replicas_sample_is_skipped(
    vantage: Harness, alice: Persona
) -> None:
    await private_location(alice)
    sampler = Sampler(vantage.runtime)
    interval = timedelta(seconds=vantage.runtime.settings.location_sample_seconds)
    now = datetime.now(UTC)
    assert await sampler.run_once(now) == 1
    assert await sampler.run_once(now + interval / 4) is None
    assert await sampler.run_once(now + interval) == 1


async def test_a_deleted_location_takes_its_samples_along(vantage: Harness, alice: Persona) -> None:
    office = await private_location(alice)
    await sample(vantage, datetime.now(UTC))
    assert (await alice.delete(f"/v1/private-locations/{office['id']}")).status_code == 204
    async with vantage.runtime.db.read() as conn:
        left = await conn.scalar(sa.select(sa.func.count()).select_from(location_queue_samples))
    assert left == 0
