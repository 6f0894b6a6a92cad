"""A BROWSER run's video, recorded by real Chromium through Debian's ffmpeg (which Playwright finds
where it would have downloaded its own), reaches the result as a WebM in `playwrightTestVideos`:
from a JavaScript script and from a Python one, always ("on") or for a failed run only."""

from __future__ import annotations

import base64
import dataclasses
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest

from vantage.probes.browser import BrowserRuntime, ScriptOptions, run_script_check
from vantage.probes.browser.probe import _ffmpeg_revision
from vantage.probes.result import ProbeResult

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="isolation needs root to switch uid")

# Every WebM (a Matroska file) starts with the EBML header's id.
EBML_MAGIC = b"\x1a\x45\xdf\xa3"
SPEC = """const { test, expect } = require('@playwright/test');
test('shop', async ({ page }) => {
  await page.goto(process.env.BASE_URL);
  await page.click('#buy');
  await expect(page.locator('#done')).toHaveText('%s', { timeout: 1000 });
});
"""
PY_SPEC = """
def test_shop(page, env):
    page.goto(env["BASE_URL"])
    page.click("#buy")
    page.wait_for_selector("#done")
"""


@pytest.fixture
def recorder(runtime: BrowserRuntime) -> BrowserRuntime:
    if not runtime.ffmpeg:
        pytest.fail("ffmpeg is not installed: run `make browser`")
    return runtime


async def run(runtime: BrowserRuntime, shop: str, video: str, **check: Any) -> ProbeResult:
    config = {"checkType": "BROWSER", "name": "shop", "scriptVariables": {"BASE_URL": shop}}
    return await run_script_check({**config, **check}, ScriptOptions(runtime=runtime, video=video))


def webm(url: str) -> bytes:
    prefix = "data:video/webm;base64,"
    assert url.startswith(prefix), url[:60]
    return base64.b64decode(url.removeprefix(prefix))


async def test_a_recorded_run_brings_its_video_as_a_webm(
    recorder: BrowserRuntime, shop: str
) -> None:
    result = await run(recorder, shop, "on", script=SPEC % "Thanks")
    assert not result.has_failures, result.detail["errors"]
    [video] = result.detail["playwrightTestVideos"]
    data = webm(video)
    assert len(data) > len(EBML_MAGIC) and data.startswith(EBML_MAGIC)


async def test_a_python_script_records_its_video_too(recorder: BrowserRuntime, shop: str) -> None:
    result = await run(recorder, shop, "on", script=PY_SPEC, scriptPath="checks/shop.py")
    assert not result.has_failures, result.detail["errors"]
    [video] = result.detail["playwrightTestVideos"]
    assert webm(video).startswith(EBML_MAGIC)


async def test_retain_on_failure_keeps_the_video_of_a_failed_run_only(
    recorder: BrowserRuntime, shop: str
) -> None:
    failed = await run(recorder, shop, "retain-on-failure", script=SPEC % "Sold out")
    assert failed.has_failures
    [video] = failed.detail["playwrightTestVideos"]
    assert webm(video).startswith(EBML_MAGIC)
    # the screenshot and trace of the failure are still there beside it
    assert len(failed.detail["jobAssets"]) == 1 and len(failed.detail["playwrightTestTraces"]) == 1

    passed = await run(recorder, shop, "retain-on-failure", script=SPEC % "Thanks")
    assert not passed.has_failures, passed.detail["errors"]
    assert passed.detail["playwrightTestVideos"] == []


async def test_a_file_of_the_check_at_the_links_path_cannot_write_through_it(
    recorder: BrowserRuntime, shop: str
) -> None:
    # The agent lays out a check's files as root: were ffmpeg linked in before them, a
    # dependency at the link's path would be written into the ffmpeg the link names. The run
    # links a copy, so that the test, when it fails, spoils no more than that; in a directory
    # the runner user may enter (pytest's tmp_path is root's alone).
    with tempfile.TemporaryDirectory() as directory:
        os.chmod(directory, 0o755)  # noqa: S103 (the runner user execs the copy)
        ffmpeg = Path(directory) / "ffmpeg"
        shutil.copy2(recorder.ffmpeg, ffmpeg)
        before = ffmpeg.read_bytes()
        runtime = dataclasses.replace(recorder, ffmpeg=str(ffmpeg))
        link = f".browsers/ffmpeg-{_ffmpeg_revision(runtime)}/ffmpeg-linux"
        result = await run(
            runtime,
            shop,
            "on",
            script=SPEC % "Thanks",
            dependencies=[{"path": link, "content": "#!/bin/sh\n"}],
        )
        assert ffmpeg.read_bytes() == before
    assert not result.has_failures, result.detail["errors"]
    [video] = result.detail["playwrightTestVideos"]
    assert webm(video).startswith(EBML_MAGIC)
