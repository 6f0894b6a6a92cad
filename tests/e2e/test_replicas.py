"""Two `vantage server` replicas on one PostgreSQL, both scheduling (issue 5, "Done when" (f)):
each scheduled session is started once, and a /completion long-poll on one replica wakes when the
result lands on the other (LISTEN/NOTIFY, not the 2 s fallback re-read)."""

from __future__ import annotations

import asyncio
import statistics
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta

import pytest

from tests.e2e.support import Cluster, CountingTarget, new_key, parse_time, server_events
from vantage.checks.scheduling import spread_offset

pytestmark = pytest.mark.e2e

INTERVAL = 10  # seconds: frequency 0, frequencyOffset 10
WATCH_SECONDS = 25.0
# How late a scheduler pass may start a due session (it sleeps until the soonest due check, and
# a check created on either replica wakes both schedulers).
MAX_LAG = timedelta(seconds=2)


async def test_two_replicas_schedule_each_session_once_and_wake_each_others_completions(
    pg_cluster: Cluster, target: CountingTarget
) -> None:
    cluster = pg_cluster
    a = cluster.server(scheduler=True)
    b = cluster.server(scheduler=True)
    api_a, api_b = cluster.api(a), cluster.api(b)
    agent = cluster.agent(b.url, "edge-1")
    agent.agent_id()

    # Scheduled checks, created on either replica; both replicas' schedulers race for them.
    watch_from = time.monotonic()
    first_due: dict[str, datetime] = {}
    keys: dict[str, str] = {}
    for n in range(4):
        key = new_key()
        before = datetime.now(UTC)
        check_id = await (api_a, api_b)[n % 2].create_check(
            target.url(key, 0),
            ["edge-1"],
            frequency=0,
            frequencyOffset=INTERVAL,
            name=f"every 10 s #{n}",
        )
        after = datetime.now(UTC)
        created = before + (after - before) / 2
        first_due[check_id] = created + timedelta(seconds=spread_offset(check_id, INTERVAL))
        keys[check_id] = key

    # Meanwhile: completion long-polls on A for sessions triggered on A, whose result the agent
    # hands to B. Each must wake as the result lands, well before A's 2 s fallback re-read.
    awake = await api_a.create_check(target.url(new_key(), 300), ["edge-1"], frequency=1440)
    latencies: list[float] = []
    for _ in range(5):
        session_id = await api_a.trigger(awake)
        done = await api_a.completion(session_id)
        returned = datetime.now(UTC)
        assert done["status"] == "PASSED", done
        latencies.append((returned - parse_time(done["stoppedAt"])).total_seconds())
    assert max(latencies) < 1.0, latencies
    assert statistics.median(latencies) < 0.3, latencies
    assert server_events(b, "results received")
    assert not server_events(a, "results received")

    await asyncio.sleep(max(0.0, WATCH_SECONDS - (time.monotonic() - watch_from)))
    until = datetime.now(UTC)
    started: dict[str, list[datetime]] = defaultdict(list)
    for session in await cluster.sessions():
        if session.run_source == "SCHEDULER" and session.started_at <= until:
            started[session.check_id].append(session.started_at)
    assert set(started) <= set(first_due), "a session of a check that is not scheduled"

    for check_id, first in first_due.items():
        # The check's due times are a grid from its first run; `next_run_at` lies on it.
        grid_point = await cluster.next_run_at(check_id)
        steps = round((first - grid_point).total_seconds() / INTERVAL)
        anchor = grid_point + timedelta(seconds=INTERVAL * steps)
        assert abs(anchor - first) < timedelta(seconds=1), (anchor, first)
        slots: list[datetime] = []
        while anchor + timedelta(seconds=INTERVAL * len(slots)) <= until:
            slots.append(anchor + timedelta(seconds=INTERVAL * len(slots)))
        starts = sorted(started[check_id])
        must_have = [slot for slot in slots if slot <= until - MAX_LAG]
        assert len(must_have) >= 2
        # One session per due time: none missing, none doubled.
        assert len(must_have) <= len(starts) <= len(slots), (starts, slots)
        for start, slot in zip(starts, slots, strict=False):
            assert timedelta(0) <= start - slot <= MAX_LAG, (starts, slots)
        gaps = [(b_ - a_).total_seconds() for a_, b_ in zip(starts, starts[1:], strict=False)]
        assert all(gap >= INTERVAL - 1 for gap in gaps), gaps
        # Every scheduled session ran once at the target (the last may still be on its way).
        assert len(starts) - 1 <= target.hits(keys[check_id]) <= len(starts) + 1
