"""A BROWSER check end to end: a real `vantage agent` (a remote agent) leases it from a real
`vantage server`, runs the script on Debian's Chromium, and the screenshot, trace and video
(recorded through Debian's ffmpeg) it took reach the stored result as assets, listed and
downloaded through Checkly's asset manifest by the account, and by no other account."""

from __future__ import annotations

import io
import os
import zipfile

import httpx2
import pytest

from tests.agent.processes import vantage_cli
from tests.e2e.support import Cluster
from tests.probes.browser.conftest import REPO, shop  # noqa: F401 (a fixture)

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(os.geteuid() != 0, reason="isolation needs root to switch uid"),
]

SPEC = """const { test, expect } = require('@playwright/test');
test('shop', async ({ page }) => {
  await test.step('open', async () => { await page.goto(process.env.BASE_URL); });
  await test.step('buy', async () => {
    await page.click('#buy');
    await expect(page.locator('#done')).toHaveText('Sold out', { timeout: 2000 });
  });
});
"""
# A browser run on this shared machine can take tens of seconds under load.
RUN_WAIT_SECONDS = 180
# Every WebM (a Matroska file) starts with the EBML header's id.
EBML_MAGIC = b"\x1a\x45\xdf\xa3"


async def test_a_remote_agents_browser_run_brings_its_screenshot_trace_and_video_as_assets(
    cluster: Cluster,
    shop: str,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("VANTAGE_BROWSER_RUNTIME", str(REPO / ".browser-runtime"))
    # the agent keeps the video of a failed run, as Checkly does for a scheduled one
    monkeypatch.setenv("VANTAGE_BROWSER_VIDEO", "retain-on-failure")
    server = cluster.server()
    api = cluster.api(server)
    cluster.agent(server.url, "shop-floor").agent_id()

    created = await api.client.post(
        "/v1/checks/browser",
        json={
            "name": "shop",
            "script": SPEC,
            "locations": ["shop-floor"],
            "environmentVariables": [{"key": "BASE_URL", "value": shop}],
        },
    )
    assert created.status_code == 201, created.text
    check_id = created.json()["id"]
    done = await api.completion(await api.trigger(check_id), wait=RUN_WAIT_SECONDS)
    assert done["status"] == "FAILED", done
    [run] = done["results"]
    result_id = run["checkResultId"]

    result = (await api.result(check_id, result_id)).json()
    assert result["runLocation"] == "shop-floor"
    detail = result["browserCheckResult"]
    failed = [s["title"] for s in detail["steps"] if s["status"] == "failed" and s["depth"] == 0]
    assert failed == ["buy"]
    assets_path = f"/v1/check-results/{check_id}/{result_id}/assets"
    # absolute, as the manifest's links are
    assert detail["jobAssets"] == [f"{server.url}{assets_path}/screenshot-1.png"]
    assert detail["playwrightTestTraces"] == [f"{server.url}{assets_path}/trace-1.zip"]
    assert detail["playwrightTestVideos"] == [f"{server.url}{assets_path}/video-1.webm"]

    listed = await api.client.get(assets_path)
    assert listed.status_code == 200, listed.text
    manifest = listed.json()
    assert [(a["type"], a["name"], a["contentType"]) for a in manifest["assets"]] == [
        ("screenshot", "screenshot-1.png", "image/png"),
        ("trace", "trace-1.zip", "application/zip"),
        ("video", "video-1.webm", "video/webm"),
    ]
    assert manifest["assets"][0]["url"] == detail["jobAssets"][0]
    assert manifest["assets"][0]["source"]["checkName"] == "shop"
    only_traces = await api.client.get(assets_path, params={"type": "trace"})
    assert [a["name"] for a in only_traces.json()["assets"]] == ["trace-1.zip"]

    screenshot = await api.client.get(detail["jobAssets"][0])
    assert screenshot.status_code == 200
    assert screenshot.headers["content-type"] == "image/png"
    assert screenshot.content.startswith(b"\x89PNG\r\n\x1a\n")
    trace = await api.client.get(detail["playwrightTestTraces"][0])
    # Playwright Test's trace: the test's own events and the browser context's.
    names = zipfile.ZipFile(io.BytesIO(trace.content)).namelist()
    assert "test.trace" in names and any(n.endswith("-trace.trace") for n in names), names
    video = await api.client.get(detail["playwrightTestVideos"][0])
    assert video.status_code == 200
    assert video.headers["content-type"] == "video/webm"
    assert len(video.content) > len(EBML_MAGIC) and video.content.startswith(EBML_MAGIC)

    stranger = vantage_cli("accounts", "create", "other", "--database-url", cluster.database_url)
    async with httpx2.AsyncClient(
        base_url=server.url,
        headers={
            "Authorization": f"Bearer {stranger['apiKey']}",
            "X-Checkly-Account": str(stranger["accountId"]),
        },
    ) as other:
        assert (await other.get(assets_path)).status_code == 404
        assert (await other.get(detail["jobAssets"][0])).status_code == 404
