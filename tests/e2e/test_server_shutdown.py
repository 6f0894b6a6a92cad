"""`vantage server` as installed (SQLite, its own agent for `local`) stopped with SIGTERM or SIGINT
while runs are under way (issue 16, item 1, for the embedded agent): the first signal stops
leasing at once, runs that finish within the drain are stored, the rest are released and run again
at once after a restart; a second signal exits at once, quietly."""

from __future__ import annotations

import asyncio
import signal

import httpx2
import pytest

from tests.agent.processes import log_events
from tests.e2e.support import Cluster, CountingTarget, new_key, wait_for

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
async def test_a_signal_stores_finished_runs_and_releases_the_rest_to_run_again_at_once(
    sqlite_cluster: Cluster, target: CountingTarget, sig: signal.Signals
) -> None:
    cluster = sqlite_cluster
    server = cluster.server(local_agent=True, VANTAGE_LOCAL_AGENT_DRAIN_SECONDS="2")
    api = cluster.api(server)
    short_key, long_key = new_key(), new_key()
    short = await api.trigger(await api.create_check(target.url(short_key, 500), []))
    long = await api.trigger(
        await api.create_check(
            target.url(long_key, 6000), [], degradedResponseTime=15000, maxResponseTime=20000
        )
    )
    await wait_for(
        lambda: target.hits(short_key) == 1 and target.hits(long_key) == 1, what="both runs"
    )
    assert server.process is not None
    server.process.send_signal(sig)
    # A clean stop: SIGTERM exits 0, as a service manager expects; SIGINT 130, as a shell does.
    assert server.process.wait(30) == (0 if sig == signal.SIGTERM else 130)

    # The short run finished within the drain and its result was stored; the long one was
    # cancelled and handed back, not left leased for a minute.
    [stored] = await cluster.results()
    [queued] = await cluster.jobs()
    assert (queued.state, queued.lease_owner) == ("QUEUED", None)
    events = [e["event"] for e in log_events(server.log.read_text())]
    assert "runs cancelled at shutdown" in events
    assert "Traceback" not in server.log.read_text()

    server.start()
    assert (await api.completion(short))["status"] == "PASSED"
    done = await api.completion(long)
    # Run again well before its 60 s lease would have run out (and the session timed out).
    assert done["status"] == "PASSED", done
    assert len(done["results"]) == 1
    assert target.hits(long_key) == 2
    assert stored.session_id == short


async def test_a_second_signal_exits_at_once_and_quietly(
    sqlite_cluster: Cluster, target: CountingTarget
) -> None:
    cluster = sqlite_cluster
    server = cluster.server(local_agent=True, VANTAGE_LOCAL_AGENT_DRAIN_SECONDS="60")
    api = cluster.api(server)
    key = new_key()
    await api.trigger(await api.create_check(target.url(key, 20000), []))
    await wait_for(lambda: target.hits(key) == 1, what="the run")
    assert server.process is not None
    server.process.send_signal(signal.SIGINT)
    await asyncio.sleep(0.5)
    server.process.send_signal(signal.SIGINT)
    # Well before the 60 s drain and the 20 s run.
    assert server.process.wait(10) == 128 + signal.SIGINT
    assert "Traceback" not in server.log.read_text()


async def test_sigterm_answers_a_remote_agents_long_poll_at_once_and_the_server_exits(
    cluster: Cluster,
) -> None:
    server = cluster.server()
    key = cluster.location("edge-1")
    async with httpx2.AsyncClient(base_url=server.url, timeout=10) as agent:
        # Held by the server for up to 20 s while no work comes.
        polling = asyncio.create_task(
            agent.post(
                "/agent/v1/lease",
                json={"agentId": "edge-a", "max": 4, "waitSeconds": 20},
                headers={"Authorization": f"Bearer {key}"},
            )
        )
        await asyncio.sleep(1)
        assert not polling.done()
        assert server.process is not None
        server.process.send_signal(signal.SIGTERM)
        # Answered empty well inside the agent's 10 s timeout, not after the 20 s wait.
        response = await polling
    assert response.status_code == 200, response.text
    assert response.json()["jobs"] == []
    assert server.process.wait(10) == 0
    assert "Traceback" not in server.log.read_text()
