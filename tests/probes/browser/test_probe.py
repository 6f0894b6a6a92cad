"""Checkly scripts run unchanged on Debian's Chromium, isolated: what a run reports, and what a
runaway script cannot do (a loop, a memory hog, reading the agent's environment or outbox)."""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import pytest

from vantage.agent.outbox import Outbox
from vantage.probes.browser import BrowserRuntime, ScriptOptions, run_script_check
from vantage.probes.result import ProbeResult

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="isolation needs root to switch uid")

SHOP_SPEC = """const { test, expect } = require('@playwright/test');
test('buy', async ({ page }) => {
  await test.step('open the shop', async () => { await page.goto(process.env.BASE_URL); });
  await test.step('buy', async () => {
    await page.click('#buy');
    await expect(page.locator('#done')).toHaveText('%s', { timeout: 2000 });
  });
});
"""


async def run(
    runtime: BrowserRuntime, script: str, check_type: str = "BROWSER", **options: Any
) -> ProbeResult:
    check = {
        "checkType": check_type,
        "name": "shop",
        "script": script,
        "scriptVariables": {"BASE_URL": options.pop("base_url", ""), "PASSWORD": "hunter22"},
        "maskedValues": ["hunter22"],
    }
    return await run_script_check(check, ScriptOptions(runtime=runtime, **options))


async def test_a_passing_script_reports_steps_vitals_and_the_pages_errors(
    runtime: BrowserRuntime, shop: str
) -> None:
    result = await run(runtime, SHOP_SPEC % "Thanks", base_url=shop)
    assert not result.has_failures, result.detail["errors"]
    detail = result.detail
    assert result.detail_key == "browserCheckResult"
    assert detail["type"] == "PLAYWRIGHT_TEST"
    assert [s["title"] for s in detail["steps"] if s["depth"] == 0] == ["open the shop", "buy"]
    assert detail["traceSummary"]["consoleErrors"] >= 1
    assert detail["traceSummary"]["networkErrors"] == 1
    [page] = detail["pages"]
    assert page["url"] == shop + "/"
    assert set(page["webVitals"]) == {"LCP", "FCP", "CLS", "TTFB", "TBT"}
    assert page["webVitals"]["FCP"]["score"] in ("GOOD", "NEEDS_IMPROVEMENT", "POOR")
    assert "shop script failed" in json.dumps(detail["jobLog"])


async def test_a_failing_assertion_names_the_failing_step_and_keeps_a_screenshot_and_trace(
    runtime: BrowserRuntime, shop: str
) -> None:
    result = await run(runtime, SHOP_SPEC % "Sold out", base_url=shop)
    assert result.has_failures and not result.has_errors
    detail = result.detail
    assert "toHaveText" in detail["errors"][0]
    failed = [s["title"] for s in detail["steps"] if s["status"] == "failed" and s["depth"] == 0]
    assert failed == ["buy"]
    assert detail["jobAssets"][0].startswith("data:image/png;base64,")
    assert detail["playwrightTestTraces"][0].startswith("data:application/zip;base64,")
    # the run's temporary directory and the agent's installation are not shown
    shown = json.dumps(
        {k: v for k, v in detail.items() if k not in ("jobAssets", "playwrightTestTraces")}
    )
    assert "vantage-run-" not in shown and tempfile.gettempdir() + "/" not in shown
    assert str(runtime.node_path) not in shown


async def test_a_navigation_error_fails_the_run(runtime: BrowserRuntime) -> None:
    with socket_closed() as url:
        result = await run(runtime, SHOP_SPEC % "Thanks", base_url=url)
    assert result.has_failures
    assert "ERR_CONNECTION_REFUSED" in result.detail["errors"][0]


class socket_closed:
    """A loopback URL where nothing listens."""

    def __enter__(self) -> str:
        import socket

        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        self.sock = sock
        return f"http://127.0.0.1:{sock.getsockname()[1]}"

    def __exit__(self, *exc: object) -> None:
        self.sock.close()


async def test_a_multi_step_script_reports_its_request_steps(
    runtime: BrowserRuntime, shop: str
) -> None:
    script = """const { test, expect } = require('@playwright/test');
test('cart', async ({ request }) => {
  await test.step('read the cart', async () => {
    const response = await request.get(`${process.env.BASE_URL}/api/cart`);
    expect((await response.json()).items).toBe(2);
  });
});
"""
    result = await run(runtime, script, "MULTI_STEP", base_url=shop)
    assert not result.has_failures, result.detail["errors"]
    assert result.detail_key == "multiStepCheckResult"
    assert "pages" not in result.detail
    assert [s["title"] for s in result.detail["steps"]][:1] == ["read the cart"]


async def test_secret_variables_are_masked_in_what_the_run_reports(
    runtime: BrowserRuntime,
) -> None:
    script = """const { test } = require('@playwright/test');
test('leak', async () => { console.log('password is', process.env.PASSWORD);
  throw new Error('failed with ' + process.env.PASSWORD); });
"""
    result = await run(runtime, script, "MULTI_STEP")
    assert result.has_failures
    text = json.dumps(result.detail)
    assert "hunter22" not in text
    assert "password is *****" in text


def _processes_of(pids: set[int]) -> list[int]:
    return [pid for pid in pids if Path(f"/proc/{pid}").exists()]


async def test_an_endless_loop_is_stopped_at_the_timeout_and_the_next_run_passes(
    runtime: BrowserRuntime, shop: str
) -> None:
    loop = """const { test } = require('@playwright/test');
test('spin', async ({ page }) => { await page.goto(process.env.BASE_URL); for (;;) {} });
"""
    result = await run(runtime, loop, base_url=shop, timeout_seconds=8)
    assert result.has_failures
    assert result.detail["errors"][0] == "Check timed out after 8 s"
    after = await run(runtime, SHOP_SPEC % "Thanks", base_url=shop)
    assert not after.has_failures, after.detail["errors"]


async def test_a_memory_hog_is_stopped_at_the_memory_limit(runtime: BrowserRuntime) -> None:
    hog = """const { test } = require('@playwright/test');
test('hog', async () => { const kept = []; for (;;) kept.push(Buffer.alloc(16 << 20, 1)); });
"""
    result = await run(runtime, hog, "MULTI_STEP", tree_rss_bytes=600 * 1024 * 1024)
    assert result.has_failures
    assert result.detail["errors"][0] == "Check exceeded the memory limit of 600 MiB"


async def test_a_script_cannot_read_the_agents_environment_or_outbox(
    runtime: BrowserRuntime,
) -> None:
    # Another process of the agent's uid, holding a key in its environment, and a real outbox
    # in a directory anyone may traverse.
    holder = subprocess.Popen(
        ["sleep", "60"], env={"PATH": os.environ["PATH"], "VANTAGE_AGENT_KEY": "agent-key-123"}
    )
    base = Path(tempfile.mkdtemp())
    base.chmod(0o755)
    outbox = Outbox(base / "outbox")
    (base / "outbox" / "0000000000000001.json").write_text('{"key": "agent-key-123"}')
    script = f"""const {{ test, expect }} = require('@playwright/test');
const fs = require('fs');
test('snoop', async () => {{
  expect(() => fs.readFileSync('/proc/{holder.pid}/environ')).toThrow(/EACCES/);
  expect(() => fs.readdirSync('{base}/outbox')).toThrow(/EACCES/);
  expect(Object.keys(process.env).filter((k) => k.startsWith('VANTAGE_'))).toEqual([]);
  expect(process.env.HOME).toBe(process.cwd());
}});
"""
    try:
        result = await run(runtime, script, "MULTI_STEP")
    finally:
        holder.kill()
        holder.wait()
        outbox.close()
    assert not result.has_failures, result.detail["errors"]
    assert "agent-key-123" not in json.dumps(result.detail)


async def test_a_script_file_that_is_a_link_is_not_read_back(runtime: BrowserRuntime) -> None:
    # The report is the script's to write: a link to a file of the agent's is refused.
    script = """const { test } = require('@playwright/test');
const fs = require('fs');
test.afterAll(() => { setTimeout(() => { try { fs.unlinkSync('report.json'); } catch (e) {}
  fs.symlinkSync('/etc/shadow', 'report.json'); }, 0); });
test('ok', async () => {});
"""
    result = await run(runtime, script, "MULTI_STEP")
    assert "root:" not in json.dumps(result.detail)


async def test_a_missing_runtime_is_an_error_of_the_agent(tmp_path: Path) -> None:
    check = {"checkType": "BROWSER", "name": "x", "script": "test"}
    os.environ["VANTAGE_BROWSER_RUNTIME"] = str(tmp_path)
    try:
        result = await run_script_check(check, ScriptOptions())
    finally:
        del os.environ["VANTAGE_BROWSER_RUNTIME"]
    assert result.has_errors and result.has_failures
    assert "@playwright/test is not installed" in result.detail["errors"][0]


PY_SHOP = """
def test_buy(page, step, env, log):
    with step("open the shop"):
        page.goto(env["BASE_URL"])
    with step("buy"):
        page.click("#buy")
        log("bought")
        assert page.inner_text("#done") == %r
"""


async def python(runtime: BrowserRuntime, script: str, check_type: str, **options: Any) -> Any:
    check = {
        "checkType": check_type,
        "name": "shop",
        "script": script,
        "scriptPath": "checks/shop.py",
        "scriptVariables": {"BASE_URL": options.pop("base_url", "")},
    }
    return await run_script_check(check, ScriptOptions(runtime=runtime, **options))


async def test_a_python_script_runs_with_the_fixtures_it_names(
    runtime: BrowserRuntime, shop: str
) -> None:
    result = await python(runtime, PY_SHOP % "Thanks", "BROWSER", base_url=shop)
    assert not result.has_failures, result.detail["errors"]
    detail = result.detail
    assert detail["type"] == "PLAYWRIGHT_PYTHON"
    assert [s["title"] for s in detail["steps"]] == ["open the shop", "buy"]
    assert detail["pages"][0]["url"] == shop + "/"
    assert detail["traceSummary"]["networkErrors"] == 1
    # The page's console error (its failed request) can be logged after the script's own line.
    assert any({"msg": "bought", "level": "INFO"}.items() <= e.items() for e in detail["jobLog"])


async def test_a_failing_python_script_shows_the_failing_step_and_the_line(
    runtime: BrowserRuntime, shop: str
) -> None:
    result = await python(runtime, PY_SHOP % "Sold out", "BROWSER", base_url=shop)
    assert result.has_failures
    failed = [s["title"] for s in result.detail["steps"] if s["status"] == "failed"]
    assert failed == ["buy"]
    assert "AssertionError" in result.detail["errors"][0]
    assert "checks/shop.py" in result.detail["errors"][0]
    assert "pyrunner" not in result.detail["errors"][0]
    assert result.detail["jobAssets"][0].startswith("data:image/png;base64,")


async def test_a_python_multi_step_script_uses_the_request_fixture(
    runtime: BrowserRuntime, shop: str
) -> None:
    script = """
def test_cart(request, step, env):
    with step("read the cart"):
        assert request.get(env["BASE_URL"] + "/api/cart").json() == {"items": 2}
"""
    result = await python(runtime, script, "MULTI_STEP", base_url=shop)
    assert not result.has_failures, result.detail["errors"]
    assert [s["title"] for s in result.detail["steps"]] == ["read the cart"]


async def test_an_endless_python_loop_is_stopped(runtime: BrowserRuntime) -> None:
    script = "def test_spin():\n    while True:\n        pass\n"
    result = await python(runtime, script, "MULTI_STEP", timeout_seconds=6)
    assert result.has_failures
    assert result.detail["errors"][0] == "Check timed out after 6 s"
