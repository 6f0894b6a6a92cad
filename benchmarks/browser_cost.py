"""What one BROWSER check run costs on this agent (issue 13): wall time, CPU seconds and peak
memory of the run's process tree, for a small loopback page, in two modes:

- **isolated**: the agent's way (vantage.probes.browser): a subprocess tree per run, node +
  `@playwright/test` + a Chromium of its own, as the runner user, with the watchdog;
- **python**: isolated, the same journey as a Python script (pyrunner.py);
- **video**: isolated, recording the run's video (`VANTAGE_BROWSER_VIDEO=on`, Debian's ffmpeg):
  what recording adds (`retain-on-failure` records every run too, and keeps a failed one's);
- **warm**: the same subprocess per run, but connecting to one warm Chromium per agent
  (`WarmBrowser`, a new context per run, the browser also as the runner user). The per-run tree
  is then node alone; the browser's own growth over the run is printed beside it.

CPU = utime + stime of every process of the run: the larger of `getrusage(RUSAGE_CHILDREN)` of
this process (the run's node reaps its browser, this process reaps the node; a process that init
reaps escapes it) and the watchdog's samples of the tree (/proc/<pid>/stat every 200 ms: the last
moments escape it); plus, in warm mode, the warm
browser's CPU over the run (summed from /proc/<pid>/stat of its tree). Memory = the peak of the
tree's summed RSS, sampled every 200 ms by the watchdog (RSS counts shared pages once per
process: an upper bound). Needs root (scripts run as `nobody`) and `make browser`.

    python -m benchmarks.browser_cost [--runs 5] [--modes isolated,warm,python,video]

Goal (issue 13): warm <= 300 MiB and <= 1.5 CPU-s per run; isolated <= 3 CPU-s.
"""

from __future__ import annotations

import argparse
import asyncio
import http.server
import os
import resource
import statistics
import threading
import time
from pathlib import Path

from vantage.probes.browser import BrowserRuntime, ScriptOptions, WarmBrowser, run_script_check
from vantage.probes.browser.probe import runner_identity
from vantage.probes.browser.sandbox import Tree

MiB = 1024 * 1024
PAGE = b"<!doctype html><title>Shop</title><h1>Shop</h1><button id=b>Buy</button>"
SPEC = """const { test, expect } = require('@playwright/test');
test('shop', async ({ page }) => {
  await test.step('open', async () => { await page.goto(process.env.BASE_URL); });
  await test.step('title', async () => { await expect(page.locator('h1')).toHaveText('Shop'); });
});
"""
PY_SPEC = """
def test_shop(page, step, env):
    with step("open"):
        page.goto(env["BASE_URL"])
    with step("title"):
        assert page.inner_text("h1") == "Shop"
"""


class _Page(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200 if self.path == "/" else 404)
        self.send_header("content-type", "text/html")
        self.end_headers()
        if self.path == "/":
            self.wfile.write(PAGE)

    def log_message(self, format: str, *args: object) -> None:
        pass


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _tree_cpu(tree: Tree) -> float:
    tree.poll()
    return sum(tree.cpu.values())


async def measure(mode: str, runs: int, url: str, runtime: BrowserRuntime) -> list[str]:
    warm: WarmBrowser | None = None
    browser_tree: Tree | None = None
    if mode == "warm":
        warm = WarmBrowser(runtime, runner_identity())
        await warm.start()
        assert warm.pid is not None
        browser_tree = Tree(warm.pid)
        # One run to warm the browser up (its first context costs more than the rest).
        await run_script_check(_check(url), warm.options())
    lines: list[str] = []
    walls, cpus, peaks = [], [], []
    try:
        for _ in range(runs):
            cpu_before = _children_cpu()
            browser_before = _tree_cpu(browser_tree) if browser_tree else 0.0
            browser_rss_before = browser_tree.poll() if browser_tree else 0
            started = time.perf_counter()
            video = "on" if mode == "video" else "off"
            options = (
                warm.options() if warm is not None else ScriptOptions(runtime=runtime, video=video)
            )
            result = await run_script_check(_check(url, python=mode == "python"), options)
            wall = time.perf_counter() - started
            assert not result.has_failures, result.detail.get("errors")
            assert bool(result.detail["playwrightTestVideos"]) == (mode == "video")
            # The larger of what this process reaped and what the watchdog saw of the tree
            # while it ran (a process reaped by init, or the last 200 ms, escapes one of them).
            cpu = max(_children_cpu() - cpu_before, float(result.detail["cpuSeconds"]))
            extra = ""
            if browser_tree is not None:
                browser_cpu = _tree_cpu(browser_tree) - browser_before
                growth = (browser_tree.poll() - browser_rss_before) / MiB
                cpu += browser_cpu
                extra = f"  (browser: {browser_cpu:.2f} CPU-s, RSS {growth:+.0f} MiB)"
            peak = result.detail["peakMemoryBytes"] / MiB
            walls.append(wall)
            cpus.append(cpu)
            peaks.append(peak)
            lines.append(
                f"  {mode:8} wall {wall:5.2f} s  CPU {cpu:5.2f} s  peak {peak:6.0f} MiB{extra}"
            )
    finally:
        if warm is not None:
            await warm.close()
    lines.append(
        f"  {mode:8} median: wall {statistics.median(walls):.2f} s, "
        f"CPU {statistics.median(cpus):.2f} s, peak tree {statistics.median(peaks):.0f} MiB"
    )
    return lines


def _check(url: str, python: bool = False) -> dict[str, object]:
    check: dict[str, object] = {
        "checkType": "BROWSER",
        "name": "bench",
        "script": PY_SPEC if python else SPEC,
        "scriptVariables": {"BASE_URL": url},
    }
    if python:
        check["scriptPath"] = "check.py"
    return check


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--modes", default="isolated,warm,python")
    args = parser.parse_args()
    root = Path(__file__).resolve().parents[1]
    runtime = BrowserRuntime.discover(
        {
            **os.environ,
            "VANTAGE_BROWSER_RUNTIME": os.environ.get(
                "VANTAGE_BROWSER_RUNTIME", str(root / ".browser-runtime")
            ),
        }
    )
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Page)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}/"
    print(f"load average before: {os.getloadavg()}; runs as: {runner_identity()}")
    for mode in args.modes.split(","):
        for line in asyncio.run(measure(mode, args.runs, url, runtime)):
            print(line, flush=True)
    print(f"load average after: {os.getloadavg()}")
    server.shutdown()


if __name__ == "__main__":
    main()
