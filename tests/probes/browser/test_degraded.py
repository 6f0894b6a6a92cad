"""Degraded runs, as Checkly has them: a script whose soft assertions failed and that then called
`markCheckAsDegraded` (from `@checkly/playwright-helpers`, or `mark_degraded` in Python) is
degraded, not failed; an error after the mark still fails it."""

from __future__ import annotations

import os

import pytest

from vantage.probes.browser import BrowserRuntime, ScriptOptions, run_script_check
from vantage.probes.result import ProbeResult

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="isolation needs root to switch uid")

SOFT = """const { test, expect } = require('@playwright/test');
const { markCheckAsDegraded, getAPIResponseTime } = require('@checkly/playwright-helpers');
test('slow shop', async ({ page }) => {
  const response = await page.goto(process.env.BASE_URL);
  expect(getAPIResponseTime(response)).toBeGreaterThanOrEqual(0);
  expect.soft(getAPIResponseTime(response), 'the shop is too slow').toBeLessThan(0);
  if (test.info().errors.length) markCheckAsDegraded('the shop is slow');
  %s
});
"""
PYTHON = """def test_slow_shop(page, env, mark_degraded):
    page.goto(env["BASE_URL"])
    mark_degraded("the shop is slow")
"""


async def run(
    runtime: BrowserRuntime, script: str, base_url: str, script_path: str | None = None
) -> ProbeResult:
    check = {
        "checkType": "BROWSER",
        "name": "shop",
        "script": script,
        "scriptPath": script_path,
        "scriptVariables": {"BASE_URL": base_url},
    }
    return await run_script_check(check, ScriptOptions(runtime=runtime))


async def test_a_soft_failure_marked_degraded_degrades_the_run(
    runtime: BrowserRuntime, shop: str
) -> None:
    result = await run(runtime, SOFT % "", base_url=shop)
    assert result.is_degraded and not result.has_failures, result.detail["errors"]
    assert result.detail["degradedReasons"] == ["the shop is slow"]
    assert "the shop is too slow" in result.detail["errors"][0]


async def test_an_error_after_the_mark_still_fails_the_run(
    runtime: BrowserRuntime, shop: str
) -> None:
    hard = "await expect(page.locator('h1')).toHaveText('Closed', { timeout: 1000 });"
    result = await run(runtime, SOFT % hard, base_url=shop)
    assert result.has_failures and not result.is_degraded


async def test_a_python_script_marks_its_run_degraded(runtime: BrowserRuntime, shop: str) -> None:
    result = await run(runtime, PYTHON, base_url=shop, script_path="check_shop.py")
    assert result.is_degraded and not result.has_failures, result.detail["errors"]
    assert result.detail["degradedReasons"] == ["the shop is slow"]
