"""An agent's browser capacity: script runs wait for a browser slot of their own, so protocol
checks go on while every slot is taken; the capacity is a setting, by default what the host can
hold, none without Chromium, and the agent states it with each lease."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.targets.http_target import HttpTarget
from vantage.agent.control import LeasedJob
from vantage.agent.loop import Agent, AgentOptions, browser_capacity
from vantage.agent.memory import InMemoryControlPlane
from vantage.agent.outbox import MemoryOutbox
from vantage.agent.remote import options_of
from vantage.config import AgentSettings
from vantage.probes.browser.probe import browser_pool_size
from vantage.probes.result import ProbeResult
from vantage.probes.runner import run_check
from vantage.probes.target_policy import ALLOW_ALL
from vantage.timeutil import utcnow

SCRIPT = {"name": "shop", "script": "require('@playwright/test')"}


async def test_a_script_run_waits_for_a_browser_slot_while_protocol_checks_run(
    http_target: HttpTarget, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # No runtime installed: once it has a slot, the script run ends at once, as an agent error.
    monkeypatch.setenv("VANTAGE_BROWSER_RUNTIME", str(tmp_path))
    browsers = asyncio.Semaphore(1)
    await browsers.acquire()  # the one slot, taken by a run in flight
    script = asyncio.create_task(run_check("BROWSER", SCRIPT, policy=ALLOW_ALL, browsers=browsers))
    api = await run_check(
        "API",
        {"request": {"method": "GET", "url": f"{http_target.base_url}/ok"}},
        policy=ALLOW_ALL,
        browsers=browsers,
    )
    assert not api.has_failures
    assert not script.done()
    browsers.release()
    result = await script
    assert result.detail_key == "browserCheckResult"
    assert result.has_errors


def test_the_capacity_is_the_setting_or_what_the_host_holds() -> None:
    plane = InMemoryControlPlane()
    assert Agent(plane, MemoryOutbox(), AgentOptions(browser_concurrency=3)).browser_capacity == 3
    assert Agent(plane, MemoryOutbox(), AgentOptions()).browser_capacity == browser_pool_size()


def test_vantage_agent_reads_its_browser_capacity(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VANTAGE_AGENT_BROWSER_CONCURRENCY", "2")
    settings = AgentSettings(server="http://127.0.0.1:1", location="edge", key="k")
    assert options_of(settings).browser_concurrency == 2


def test_an_agent_without_chromium_or_turned_off_has_no_browser_capacity(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plane = InMemoryControlPlane()
    off = Agent(plane, MemoryOutbox(), AgentOptions(browser_concurrency=-1))
    assert off.browser_capacity == 0
    monkeypatch.setenv("VANTAGE_BROWSER_RUNTIME", str(tmp_path))  # no @playwright/test there
    capacity, why = browser_capacity(2)
    assert capacity == 0
    assert "@playwright/test is not installed" in str(why)


async def test_an_agent_states_its_capacity_and_without_one_runs_no_browser_job() -> None:
    plane = InMemoryControlPlane()
    script = plane.add("BROWSER", **SCRIPT)
    api = plane.add("API")
    options = AgentOptions(browser_concurrency=-1, wait_seconds=0.05, max_backoff_seconds=0.02)
    agent = Agent(plane, MemoryOutbox(), options, runner=passing)
    task = asyncio.create_task(agent.run())
    try:
        while api not in plane.results:
            await asyncio.sleep(0.01)
    finally:
        agent.stop()
        await task
    assert plane.browser_capacity == 0
    assert script not in plane.results and script not in plane.released


async def passing(job: LeasedJob) -> ProbeResult:
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
        detail={},
    )
