"""The agent loop against the in-memory control plane: the rules every agent follows (embedded and
`vantage agent` alike), without a server, a database or a probe."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest

from vantage.agent.control import LeasedJob
from vantage.agent.loop import EXIT_REJECTED, Agent, AgentOptions
from vantage.agent.memory import InMemoryControlPlane
from vantage.agent.outbox import MemoryOutbox
from vantage.probes.result import ProbeResult
from vantage.timeutil import utcnow

FAST = AgentOptions(
    concurrency=4,
    wait_seconds=0.05,
    lease_seconds=30,
    heartbeat_seconds=0.05,
    drain_seconds=5,
    flush_seconds=2,
    max_backoff_seconds=0.02,
)


class Runs:
    """A probe stand-in: a job runs for `config["seconds"]`, or until `release()` if it says
    `hold`. Counts how many run at once."""

    def __init__(self) -> None:
        self.started: list[str] = []
        self.running = 0
        self.most = 0
        self.gate = asyncio.Event()

    def release(self) -> None:
        self.gate.set()

    async def __call__(self, job: LeasedJob) -> ProbeResult:
        self.started.append(job.id)
        self.running += 1
        self.most = max(self.most, self.running)
        try:
            if job.config.get("hold"):
                await self.gate.wait()
            else:
                await asyncio.sleep(job.config.get("seconds", 0.0))
        finally:
            self.running -= 1
        now = utcnow()
        return ProbeResult(
            check_type=job.check_type,
            started_at=now,
            stopped_at=now,
            response_time_ms=1.0,
            has_failures=False,
            is_degraded=False,
            over_max_response_time=False,
            detail_key="apiCheckResult",
            detail={"job": job.id},
        )


@asynccontextmanager
async def running(
    plane: InMemoryControlPlane, runs: Runs, options: AgentOptions = FAST
) -> AsyncIterator[tuple[Agent, asyncio.Task[int]]]:
    agent = Agent(plane, MemoryOutbox(), options, runner=runs)
    task = asyncio.create_task(agent.run())
    try:
        yield agent, task
    finally:
        if not task.done():
            task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def eventually(predicate: Callable[[], bool | Awaitable[bool]], what: str) -> None:
    for _ in range(1000):
        value = predicate()
        if value if isinstance(value, bool) else await value:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"timed out waiting for {what}")


async def test_every_leased_job_is_run_and_its_result_accepted_once() -> None:
    plane, runs = InMemoryControlPlane(), Runs()
    jobs = [plane.add(seconds=0.01) for _ in range(10)]
    async with running(plane, runs) as (agent, task):
        await eventually(lambda: len(plane.results) == 10, "every result")
        agent.stop()
        assert await task == 0
    assert sorted(plane.results) == sorted(jobs)
    assert sorted(runs.started) == sorted(jobs)
    assert [s for answer in plane.answers for s in answer] == ["accepted"] * 10


async def test_no_more_runs_than_the_concurrency_are_in_flight() -> None:
    plane, runs = InMemoryControlPlane(), Runs()
    for _ in range(12):
        plane.add(seconds=0.02)
    async with running(plane, runs):
        await eventually(lambda: len(plane.results) == 12, "every result")
    assert runs.most == FAST.concurrency


async def test_results_wait_in_the_outbox_while_the_control_plane_is_down_and_nothing_is_leased(
) -> None:  # fmt: skip
    plane, runs = InMemoryControlPlane(), Runs()
    jobs = [plane.add(hold=True) for _ in range(3)]
    async with running(plane, runs) as (agent, _):
        await eventually(lambda: len(runs.started) == 3, "the runs to start")
        plane.down = True
        runs.release()
        await eventually(lambda: len(agent.outbox) == 3, "the results to reach the outbox")
        leases = plane.calls["lease"]
        # Many failed deliveries later, the results still wait, and no lease was asked for.
        submits = plane.calls["submit"]
        await eventually(lambda: plane.calls["submit"] >= submits + 10, "more attempts")
        assert plane.calls["lease"] == leases
        assert len(agent.outbox) == 3
        plane.down = False
        await eventually(lambda: len(plane.results) == 3, "the outbox to be delivered")
        assert len(agent.outbox) == 0
    assert sorted(plane.results) == sorted(jobs)
    assert [s for answer in plane.answers for s in answer] == ["accepted"] * 3


async def test_a_result_is_never_dropped_however_many_deliveries_fail() -> None:
    # The embedded agent used to give a batch up after five failed writes.
    plane, runs = InMemoryControlPlane(), Runs()
    job = plane.add(hold=True)
    async with running(plane, runs):
        await eventually(lambda: runs.started == [job], "the run to start")
        plane.down = True
        runs.release()
        await eventually(lambda: plane.calls.get("submit", 0) >= 20, "twenty failed deliveries")
        plane.down = False
        await eventually(lambda: job in plane.results, "the result")


async def test_a_fault_of_the_agent_itself_keeps_the_results_and_the_loop_going() -> None:
    plane, runs = InMemoryControlPlane(), Runs()
    first = plane.add(hold=True)
    async with running(plane, runs) as (agent, _):
        await eventually(lambda: runs.started == [first], "the run to start")
        plane.error = RuntimeError("a bug in a control plane")
        runs.release()
        await eventually(lambda: len(agent.outbox) == 1, "the result to be kept")
        plane.error = None
        second = plane.add(seconds=0.01)
        await eventually(lambda: set(plane.results) == {first, second}, "both results")


async def test_a_run_longer_than_its_lease_keeps_its_job_by_extending_it() -> None:
    plane, runs = InMemoryControlPlane(), Runs()
    job = plane.add(seconds=1.5)
    options = AgentOptions(**{**_fields(FAST), "lease_seconds": 0.6, "concurrency": 2})
    async with running(plane, runs, options):
        await eventually(lambda: job in plane.results, "the result")
    # Without extension the lease would run out and the job be leased again (and this result
    # fenced); extended, it stays the first lease's.
    assert runs.started == [job]
    assert plane.answers == [["accepted"]]
    assert plane.calls["extend"] >= 1


async def test_heartbeats_start_at_once_and_repeat() -> None:
    plane, runs = InMemoryControlPlane(), Runs()
    async with running(plane, runs):
        await eventually(lambda: plane.calls.get("heartbeat", 0) >= 3, "three heartbeats")


async def test_stopping_finishes_runs_within_the_drain_and_releases_the_rest() -> None:
    plane, runs = InMemoryControlPlane(), Runs()
    short = plane.add(seconds=0.05)
    long = plane.add(hold=True)
    options = AgentOptions(**{**_fields(FAST), "drain_seconds": 0.3})
    async with running(plane, runs, options) as (agent, task):
        await eventually(lambda: len(runs.started) == 2, "both runs to start")
        agent.stop()
        assert await task == 0
    assert list(plane.results) == [short]
    assert plane.released == [long]
    assert plane.jobs[long].owner is None  # queued again, for the next agent at once


async def test_cancelling_the_agent_releases_its_runs_at_once() -> None:
    plane, runs = InMemoryControlPlane(), Runs()
    job = plane.add(hold=True)
    async with running(plane, runs) as (_, task):
        await eventually(lambda: runs.started == [job], "the run to start")
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert plane.released == [job]


async def test_a_revoked_key_stops_the_agent_and_keeps_its_results() -> None:
    plane, runs = InMemoryControlPlane(), Runs()
    plane.add(hold=True)
    async with running(plane, runs) as (agent, task):
        await eventually(lambda: len(runs.started) == 1, "the run to start")
        plane.key_revoked = True
        runs.release()
        assert await task == EXIT_REJECTED
        assert len(agent.outbox) == 1
    assert plane.results == {}


async def test_a_fenced_result_is_dropped_not_sent_again() -> None:
    plane, runs = InMemoryControlPlane(), Runs()
    job = plane.add(hold=True)
    async with running(plane, runs) as (agent, task):
        await eventually(lambda: runs.started == [job], "the run to start")
        plane.jobs[job].owner = "another-agent/1"  # its lease was taken over
        runs.release()
        await eventually(lambda: plane.answers == [["fenced"]], "the fenced answer")
        agent.stop()
        assert await task == 0
        assert len(agent.outbox) == 0
    assert plane.calls["submit"] == 1
    assert plane.results == {}


def _fields(options: AgentOptions) -> dict[str, Any]:
    return {name: getattr(options, name) for name in options.__dataclass_fields__}
