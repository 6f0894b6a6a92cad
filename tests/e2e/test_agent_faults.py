"""Agents that die, lose their network or are stopped, with real `vantage server` and
`vantage agent` processes on SQLite and PostgreSQL (issue 5, "Done when" (a), (b) and (e)).

tests/agent/test_remote_agent.py covers the server going away under one agent and an agent's
SIGTERM releasing a run longer than its drain bound; these cover what happens around them.
"""

from __future__ import annotations

import asyncio
import signal
import time
from collections import Counter
from datetime import UTC, datetime

import pytest

from tests.e2e.support import (
    Cluster,
    CountingTarget,
    delivered,
    delivered_eventually,
    new_key,
    parse_time,
    server_events,
    wait_for,
)

pytestmark = pytest.mark.e2e

LEASE = "5"  # seconds, the shortest lease the protocol grants


async def test_a_sigkilled_agents_runs_are_completed_by_another_agent_of_the_location(
    cluster: Cluster, target: CountingTarget
) -> None:
    server = cluster.server()
    api = cluster.api(server)
    doomed = cluster.agent(server.url, "edge-1", "--lease-seconds", LEASE)
    steady = cluster.agent(server.url, "edge-2", "--lease-seconds", LEASE)
    doomed_id = doomed.agent_id()
    steady.agent_id()

    keys = [new_key() for _ in range(2)]
    check_ids = [
        await api.create_check(target.url(key, 2500), ["edge-1", "edge-2"], runParallel=True)
        for key in keys
    ]
    sessions = [await api.trigger(check_id) for check_id in check_ids]

    # Both locations' runs are under way (each check's target got its two requests), and edge-1's
    # are the doomed agent's: it is mid-check.
    async def mid_check() -> bool:
        return all(target.hits(k) == 2 for k in keys) and await cluster.leased_by(
            doomed_id, sessions, "edge-1"
        )

    await wait_for(mid_check, what="both locations' runs to be under way")
    # Killed before the rescuer starts: under load, starting it can outlast the 2.5 s run.
    doomed.kill()
    killed_at = datetime.now(UTC)
    killed = time.monotonic()
    rescuer = cluster.agent(server.url, "edge-1", "--lease-seconds", LEASE)
    rescuer.agent_id()

    for session_id in sessions:
        done = await api.completion(session_id)
        assert done["status"] == "PASSED", done
        finals = Counter(r["runLocation"] for r in done["results"] if r["resultType"] == "FINAL")
        assert finals == {"edge-1": 1, "edge-2": 1}, done["results"]
        assert len(done["results"]) == 2
        [edge1] = [r for r in done["results"] if r["runLocation"] == "edge-1"]
        # The run that counted started after the kill: the rescuer's, not the doomed agent's.
        assert parse_time(edge1["startedAt"]) > killed_at
    # A lease (5 s) to expire and the 2.5 s run, about 7 s: the jobs were not leased again to the
    # killed agent's dead long-poll (which would cost another lease).
    assert time.monotonic() - killed < 10.0

    # Each check's target saw the steady run, the killed run and the rescuer's run.
    assert [target.hits(k) for k in keys] == [3, 3]
    results = await cluster.results()
    assert Counter(r.job_id for r in results) == Counter({r.job_id: 1 for r in results})
    assert len(results) == 4
    submitters = {e["agent"] for e in server_events(server, "results received")}
    assert doomed_id not in submitters
    await delivered_eventually(rescuer, "accepted", 2)
    await delivered_eventually(steady, "accepted", 2)


async def test_results_wait_in_the_outbox_while_the_agents_network_is_cut(
    cluster: Cluster, target: CountingTarget
) -> None:
    """The server stays up; the link to it is cut (connections reset) for longer than a lease.
    Nobody else takes the jobs over, so the results from the outbox are accepted when it is back,
    and work queued during the outage is leased only after them."""
    server = cluster.server()
    api = cluster.api(server)
    proxy = cluster.proxy(server)
    agent = cluster.agent(proxy.url, "edge-1", "--lease-seconds", LEASE)
    agent.agent_id()

    keys = [new_key() for _ in range(4)]
    in_flight = [
        await api.trigger(await api.create_check(target.url(k, 2500), ["edge-1"])) for k in keys
    ]
    await wait_for(lambda: all(target.hits(k) == 1 for k in keys), what="the runs to start")
    proxy.cut()
    cut_at = time.monotonic()

    await wait_for(lambda: len(cluster.outbox_of(agent)) == 4, what="the results in the outbox")
    late_keys = [new_key() for _ in range(2)]
    queued = [
        await api.trigger(await api.create_check(target.url(k, 100), ["edge-1"])) for k in late_keys
    ]
    # Longer than the lease: the server sees the leases expire, unextended.
    await asyncio.sleep(max(0.0, 7.0 - (time.monotonic() - cut_at)))
    assert len(cluster.outbox_of(agent)) == 4
    for session_id in in_flight + queued:
        assert (await api.session(session_id))["stoppedAt"] is None
    # While its outbox holds results, the agent leases nothing (and could not anyway).
    assert {j.session_id: j.state for j in await cluster.jobs() if j.session_id in queued} == {
        s: "QUEUED" for s in queued
    }
    proxy.restore()

    for session_id in in_flight + queued:
        done = await api.completion(session_id)
        assert done["status"] == "PASSED", done
        assert len(done["results"]) == 1, done["results"]
    await wait_for(lambda: cluster.outbox_of(agent) == [], what="the outbox to empty")

    results = await cluster.results()
    assert sorted(Counter(r.session_id for r in results).values()) == [1] * 6
    assert sorted(Counter(r.job_id for r in results).values()) == [1] * 6
    assert [target.hits(k) for k in keys + late_keys] == [1] * 6
    # The four waited on disk and went out from there; nothing was fenced or rejected.
    assert delivered(agent, "accepted", "outbox") + delivered(agent, "duplicate", "outbox") == 4
    await delivered_eventually(agent, "accepted", 6)
    assert delivered(agent, "fenced") == delivered(agent, "rejected") == 0


async def test_sigterm_with_runs_in_flight_loses_none_and_runs_none_twice(
    cluster: Cluster, target: CountingTarget
) -> None:
    """The stopping agent finishes and delivers its runs (the drain bound covers them) and leases
    nothing more; work that arrives while it drains goes to the other agent, once."""
    server = cluster.server()
    api = cluster.api(server)
    stopping = cluster.agent(server.url, "edge-1", "--drain-seconds", "8")
    stopping_id = stopping.agent_id()

    # Created first, then triggered one after the other, each run held 5 s or more: all are still
    # under way when the last starts and when the second agent is up, however slow the machine
    # (and the 8 s drain still covers what is left of them).
    first_keys = [new_key() for _ in range(6)]
    first_checks = [
        await api.create_check(
            target.url(k, 5000 + 300 * i),
            ["edge-1"],
            degradedResponseTime=15_000,
            maxResponseTime=20_000,
        )
        for i, k in enumerate(first_keys)
    ]
    first = [await api.trigger(check) for check in first_checks]

    async def all_under_way() -> bool:
        return all(target.hits(k) == 1 for k in first_keys) and await cluster.leased_by(
            stopping_id, first, "edge-1"
        )

    await wait_for(all_under_way, what="the stopping agent to run every job")
    other = cluster.agent(server.url, "edge-1")
    other.agent_id()
    stopping.process.send_signal(signal.SIGTERM)
    signalled = time.monotonic()

    later_keys = [new_key() for _ in range(4)]
    later = [
        await api.trigger(await api.create_check(target.url(k, 200), ["edge-1"]))
        for k in later_keys
    ]
    assert stopping.process.wait(20) == 0
    assert time.monotonic() - signalled < 10

    for session_id in first + later:
        done = await api.completion(session_id)
        assert done["status"] == "PASSED", done
        assert len(done["results"]) == 1, done["results"]
    # Every check ran exactly once: no run lost, none run twice.
    assert [target.hits(k) for k in first_keys + later_keys] == [1] * 10
    results = await cluster.results()
    assert sorted(Counter(r.job_id for r in results).values()) == [1] * 10
    await delivered_eventually(stopping, "accepted", 6)
    await delivered_eventually(other, "accepted", 4)

    events = [e["event"] for e in stopping.events()]
    assert events[-1] == "agent stopped"
    after_stop = events[events.index("agent stopping") :]
    assert "jobs leased" not in after_stop
    assert "runs cancelled at shutdown" not in after_stop
    assert cluster.outbox_of(stopping) == []
