"""Browser jobs reach only agents that can run them, with a real `vantage server` and real
`vantage agent` processes in two locations: the agent of `plain` states no browser capacity, runs
its location's API check and leaves the browser check queued, while the agent of `lab` runs the
same browser check on Debian's Chromium; an agent with a browser started in `plain` then takes
the run that waited there.

Every wait is on a condition (a session's completion, an agent's `agent started` line) with a
deadline sized for a loaded 2-core machine; nothing is asserted about how long anything took."""

from __future__ import annotations

import os
from typing import Any

import pytest

from tests.e2e.support import Api, Cluster
from tests.probes.browser.conftest import REPO, shop  # noqa: F401 (a fixture)
from tests.targets.http_target import HttpTarget

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(os.geteuid() != 0, reason="isolation needs root to switch uid"),
    pytest.mark.timeout(600),
]

# One browser check, run in both locations: it opens the shop and attaches a screenshot of it,
# so a passing run has an asset too.
SPEC = """const { test, expect } = require('@playwright/test');
test('shop', async ({ page }, testInfo) => {
  await page.goto(process.env.BASE_URL);
  await expect(page.locator('h1')).toHaveText('Shop');
  const shot = testInfo.outputPath('shop.png');
  await page.screenshot({ path: shot });
  await testInfo.attach('shop', { path: shot, contentType: 'image/png' });
});
"""
# Starting a process imports the whole server or agent: tens of seconds at load 20 on 2 cores.
START_SECONDS = 120
# Two Chromium runs and an agent start, one after another in the worst case.
RUN_SECONDS = 300


def started(agent_events: list[dict[str, Any]]) -> dict[str, Any]:
    [event] = [e for e in agent_events if e.get("event") == "agent started"]
    return event


async def states(cluster: Cluster, session_id: str) -> dict[str, str]:
    """The state of the session's job in each location."""
    return {job.location: job.state for job in await cluster.jobs() if job.session_id == session_id}


async def create_browser_check(api: Api, base_url: str, locations: list[str]) -> str:
    created = await api.client.post(
        "/v1/checks/browser",
        json={
            "name": "shop",
            "script": SPEC,
            "locations": locations,
            # every location at once, not one in turn
            "runParallel": True,
            "environmentVariables": [{"key": "BASE_URL", "value": base_url}],
        },
    )
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


async def test_a_browser_check_waits_in_the_location_whose_agent_has_no_browser(
    cluster: Cluster,
    http_target: HttpTarget,
    shop: str,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("VANTAGE_BROWSER_RUNTIME", str(REPO / ".browser-runtime"))
    # A session ends TIMED_OUT 30 s after its runs' own timeouts by default; what is tested here
    # is where runs go, so a loaded machine's slow starts must not end the sessions first.
    server = cluster.server(VANTAGE_SESSION_DEADLINE_SLACK_SECONDS="600")
    api = cluster.api(server)
    plain = cluster.agent(server.url, "plain", "--browser-concurrency", "-1")
    lab = cluster.agent(server.url, "lab", "--browser-concurrency", "1")
    plain.agent_id(timeout=START_SECONDS)
    lab.agent_id(timeout=START_SECONDS)
    assert started(plain.events())["browser_concurrency"] == 0
    assert started(lab.events())["browser_concurrency"] == 1

    browser = await create_browser_check(api, shop, ["plain", "lab"])
    api_check = await api.create_check(f"{http_target.base_url}/ok", ["plain"])
    # The browser runs are queued first: were the one in `plain` that agent's to take, the lease
    # that took the API run (claims go in queue order) would have taken it too.
    browser_session = await api.trigger(browser)
    api_session = await api.trigger(api_check)

    assert (await api.completion(api_session, wait=RUN_SECONDS))["status"] == "PASSED"
    assert (await states(cluster, browser_session))["plain"] == "QUEUED"

    # An agent with a browser in `plain` takes the run that waited there.
    assert plain.stop(timeout=START_SECONDS) == 0
    capable = cluster.agent(server.url, "plain", "--browser-concurrency", "1")
    capable.agent_id(timeout=START_SECONDS)
    done = await api.completion(browser_session, wait=RUN_SECONDS)
    assert done["status"] == "PASSED", done
    # A job is taken off the queue when its result is stored.
    assert await states(cluster, browser_session) == {}

    by_location: dict[str, dict[str, Any]] = {}
    for run in done["results"]:
        response = await api.result(browser, run["checkResultId"])
        assert response.status_code == 200, response.text
        result = response.json()
        by_location[result["runLocation"]] = result
    assert sorted(by_location) == ["lab", "plain"]
    for result in by_location.values():
        detail = result["browserCheckResult"]
        assert detail["errors"] == [], detail["errors"]
        # The attached screenshot, stored as an asset and linked absolutely on read.
        assets = f"{server.url}/v1/check-results/{browser}/{result['id']}/assets"
        assert detail["jobAssets"] == [f"{assets}/screenshot-1.png"], detail["jobAssets"]
        shot = await api.client.get(detail["jobAssets"][0])
        assert shot.status_code == 200
        assert shot.content.startswith(b"\x89PNG\r\n\x1a\n")
