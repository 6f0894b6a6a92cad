"""The server dies, or a location has nobody to run its checks, with real `vantage server` and
`vantage agent` processes on SQLite and PostgreSQL (issue 5, "Done when" (c) and (d)), and the
embedded default (SQLite, the server's own agent) SIGKILLed mid-run."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from datetime import timedelta

import pytest

from tests.e2e.support import (
    Cluster,
    CountingTarget,
    delivered,
    delivered_eventually,
    new_key,
    parse_time,
    wait_for,
)

pytestmark = pytest.mark.e2e


async def test_a_sigkilled_server_keeps_every_delivered_result_and_its_sessions_complete(
    cluster: Cluster, target: CountingTarget
) -> None:
    server = cluster.server()
    api = cluster.api(server)
    agent = cluster.agent(server.url, "edge-1")
    agent.agent_id()

    # Delivered before the crash: the agent was told `accepted`, the sessions ended.
    fast = [await api.create_check(target.url(new_key(), 0), ["edge-1"]) for _ in range(3)]
    before: dict[str, str] = {}  # result id -> check id
    for check_id in fast:
        done = await api.completion(await api.trigger(check_id))
        assert done["status"] == "PASSED", done
        [result] = done["results"]
        before[result["checkResultId"]] = check_id
    await delivered_eventually(agent, "accepted", 3)

    # In flight at the crash: the agent's runs are under way.
    slow_keys = [new_key() for _ in range(3)]
    slow = [
        await api.trigger(await api.create_check(target.url(k, 2500), ["edge-1"]))
        for k in slow_keys
    ]
    await wait_for(lambda: all(target.hits(k) == 1 for k in slow_keys), what="the slow runs")
    server.kill()
    server.start()

    for session_id in slow:
        done = await api.completion(session_id)
        assert done["status"] == "PASSED", done
        assert len(done["results"]) == 1, done["results"]
    for result_id, check_id in before.items():
        response = await api.result(check_id, result_id)
        assert response.status_code == 200, response.text

    results = await cluster.results()
    assert {r.id for r in results} >= set(before)
    assert sorted(Counter(r.job_id for r in results).values()) == [1] * 6
    # What the agent was told is what the database holds: an answer lost in the crash makes a
    # resent result a `duplicate` of the stored one, never a second row or a gap.
    await wait_for(
        lambda: delivered(agent, "accepted") + delivered(agent, "duplicate") == 6,
        what="every result to be answered",
    )
    assert delivered(agent, "fenced") == delivered(agent, "rejected") == 0
    # The leases outlived the crash: nothing had to run again.
    assert [target.hits(k) for k in slow_keys] == [1, 1, 1]


async def test_a_location_without_agents_times_out_and_late_results_do_not_flip_it(
    cluster: Cluster, target: CountingTarget
) -> None:
    """Deadline = the run's timeout (maxResponseTime + 1 s grace) + the slack, here 1 s: 3 s."""
    server = cluster.server(VANTAGE_SESSION_DEADLINE_SLACK_SECONDS="1")
    api = cluster.api(server)
    cluster.location("nowhere")  # gets an agent only after the deadline
    prompt = cluster.agent(server.url, "edge-1")
    frozen = cluster.agent(server.url, "edge-2")
    prompt.agent_id()
    frozen.agent_id()
    timing = {"maxResponseTime": 1000, "degradedResponseTime": 500, "retryStrategy": None}

    # One location reports, the other has nobody: TIMED_OUT at the deadline.
    both = await api.create_check(
        target.url(new_key(), 0), ["edge-1", "nowhere"], runParallel=True, **timing
    )
    # A late result: edge-2's agent leases the run in time but reports after the deadline (it is
    # frozen with SIGSTOP meanwhile). It is stored and shown; the session stays TIMED_OUT.
    key = new_key()
    late = await api.create_check(target.url(key, 500), ["edge-2"], **timing)
    session_id = await api.trigger(both)
    late_session = await api.trigger(late)
    await wait_for(lambda: target.hits(key) == 1, what="the late run to start")
    frozen.pause()
    try:
        done = await api.completion(session_id, wait=15)
        timed_out = await api.completion(late_session, wait=15)
    finally:
        frozen.resume()
    assert done["status"] == "TIMED_OUT", done
    [result] = done["results"]
    assert (result["runLocation"], result["resultType"]) == ("edge-1", "FINAL")
    took = parse_time(done["stoppedAt"]) - parse_time(done["startedAt"])
    assert timedelta(seconds=3) <= took < timedelta(seconds=6), took
    assert timed_out["status"] == "TIMED_OUT", timed_out
    assert timed_out["results"] == []

    # An agent that turns up for `nowhere` after the deadline changes nothing either.
    newcomer = cluster.agent(server.url, "nowhere")
    newcomer.agent_id()
    arrived = time.monotonic()

    async def reported() -> bool:
        return bool((await api.session(late_session))["results"])

    await wait_for(reported, what="the late result")
    after = await api.session(late_session)
    assert (after["status"], after["stoppedAt"]) == ("TIMED_OUT", timed_out["stoppedAt"])
    [late_result] = after["results"]
    assert (late_result["runLocation"], late_result["resultType"]) == ("edge-2", "FINAL")
    response = await api.result(late, late_result["checkResultId"])
    assert response.status_code == 200, response.text
    listed = await api.client.get(f"/v1/check-results/{late}")
    assert [r["id"] for r in listed.json()] == [late_result["checkResultId"]]

    await asyncio.sleep(max(0.0, 2.0 - (time.monotonic() - arrived)))
    again = await api.session(session_id)
    assert (again["status"], again["stoppedAt"]) == ("TIMED_OUT", done["stoppedAt"])
    assert Counter(r["runLocation"] for r in again["results"])["edge-1"] == 1
    finals = Counter(
        (r.session_id, r.run_location) for r in await cluster.results() if r.result_type == "FINAL"
    )
    assert max(finals.values()) == 1


async def test_the_embedded_server_sigkilled_mid_run_reruns_its_runs_after_the_lease(
    sqlite_cluster: Cluster, target: CountingTarget
) -> None:
    """`vantage server` as installed (SQLite, its own agent for `local`), with 4 s leases."""
    cluster = sqlite_cluster
    # A lease this short refuses to start unless the test says it accepts re-runs of slow runs.
    server = cluster.server(
        local_agent=True, VANTAGE_LEASE_SECONDS="4", VANTAGE_ALLOW_SHORT_LEASE="true"
    )
    api = cluster.api(server)
    keys = [new_key() for _ in range(3)]
    sessions = [await api.trigger(await api.create_check(target.url(k, 2000), [])) for k in keys]
    await wait_for(lambda: all(target.hits(k) == 1 for k in keys), what="the runs to start")
    server.kill()
    server.start()

    for session_id in sessions:
        done = await api.completion(session_id)
        assert done["status"] in ("PASSED", "TIMED_OUT"), done
        # With a 4 s lease the re-run lands well inside the deadline.
        assert done["status"] == "PASSED", done
        assert [(r["runLocation"], r["resultType"]) for r in done["results"]] == [
            ("local", "FINAL")
        ]
    # The killed runs were run again by the restarted server's agent, once each.
    assert [target.hits(k) for k in keys] == [2, 2, 2]
    finals = Counter(
        (r.session_id, r.run_location) for r in await cluster.results() if r.result_type == "FINAL"
    )
    assert sorted(finals.values()) == [1, 1, 1]
