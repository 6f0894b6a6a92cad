"""An agent's browser capacity: script runs wait for a browser slot of their own, so protocol
checks go on while every slot is taken; the capacity is a setting, by default what the host can
hold."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.targets.http_target import HttpTarget
from vantage.agent.loop import Agent, AgentOptions
from vantage.agent.memory import InMemoryControlPlane
from vantage.agent.outbox import MemoryOutbox
from vantage.agent.remote import options_of
from vantage.config import AgentSettings
from vantage.probes.browser.probe import browser_pool_size
from vantage.probes.runner import run_check
from vantage.probes.target_policy import ALLOW_ALL

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
