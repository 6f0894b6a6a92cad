"""The trusted mode: runs connect to one warm Chromium, which closing leaves nothing of."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

from vantage.probes.browser import BrowserRuntime, WarmBrowser, run_script_check
from vantage.probes.browser.probe import runner_identity
from vantage.probes.browser.sandbox import Tree

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="isolation needs root to switch uid")

SPEC = """const { test, expect } = require('@playwright/test');
test('shop', async ({ page, browser }) => {
  await page.goto(process.env.BASE_URL);
  await expect(page.locator('h1')).toHaveText('Shop');
  expect(browser.contexts().length).toBe(1);
});
"""


async def test_runs_on_a_warm_browser_pass_and_closing_it_ends_its_processes(
    runtime: BrowserRuntime, shop: str
) -> None:
    warm = WarmBrowser(runtime, runner_identity())
    await warm.start()
    assert warm.endpoint.startswith("ws://127.0.0.1:")
    assert warm.pid is not None
    tree = Tree(warm.pid)
    check: dict[str, Any] = {"checkType": "BROWSER", "name": "x", "script": SPEC}
    try:
        for _ in range(2):
            check["scriptVariables"] = {"BASE_URL": shop}
            result = await run_script_check(check, warm.options())
            assert not result.has_failures, result.detail["errors"]
        tree.poll()
    finally:
        await warm.close()
    assert len(tree.known) > 1  # node and Chromium's processes
    assert await gone(tree.known)


async def gone(pids: Iterable[int]) -> bool:
    """Whether every process has ended (killed ones need a moment to be reaped)."""
    for _ in range(50):
        if not [pid for pid in pids if alive(pid)]:
            return True
        await asyncio.sleep(0.1)
    return False


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"
