"""BROWSER and MULTI_STEP checks through Checkly's API (`/v1/checks/browser`,
`/v1/checks/multistep`), and one run by the embedded agent on real Chromium."""

from __future__ import annotations

import os
from typing import Any

import pytest

from tests.probes.browser.conftest import REPO, shop  # noqa: F401 (a fixture)
from tests.support.harness import Persona

SPEC = """const { test, expect } = require('@playwright/test');
test('shop', async ({ page }) => {
  await test.step('open', async () => { await page.goto(process.env.BASE_URL); });
  await test.step('title', async () => { await expect(page.locator('h1')).toHaveText('%s'); });
});
"""


def browser_check(**extra: Any) -> dict[str, Any]:
    return {"name": "shop", "script": SPEC % "Shop", **extra}


async def test_a_browser_check_gets_checklys_defaults_and_reads_back(alice: Persona) -> None:
    created = await alice.post("/v1/checks/browser", json=browser_check())
    assert created.status_code == 201, created.text
    check = created.json()
    assert check["checkType"] == "BROWSER"
    assert check["frequency"] == 10
    assert check["runtimeId"] is None
    assert check["environmentVariables"] == []
    assert check["script"] == SPEC % "Shop"
    got = await alice.get(f"/v1/checks/{check['id']}")
    assert got.json()["script"] == check["script"]


async def test_a_browser_check_keeps_checklys_script_fields(alice: Persona) -> None:
    body = browser_check(
        scriptPath="tests/shop.spec.ts",
        dependencies=[{"path": "tests/helpers.ts", "content": "export const x = 1"}],
        runtimeId="2025.04",
        sslCheckDomain="shop.example.com",
        playwrightConfig={"timeout": 20000, "use": {"viewport": {"width": 800, "height": 600}}},
        environmentVariables=[{"key": "BASE_URL", "value": "https://shop.example.com"}],
        frequency=5,
    )
    created = await alice.post("/v1/checks/browser", json=body)
    assert created.status_code == 201, created.text
    check = created.json()
    for key in ("scriptPath", "dependencies", "runtimeId", "sslCheckDomain", "frequency"):
        assert check[key] == body[key]
    assert check["playwrightConfig"]["use"] == {"viewport": {"width": 800, "height": 600}}
    updated = await alice.put(f"/v1/checks/browser/{check['id']}", json={"frequency": 15})
    assert updated.status_code == 200, updated.text
    assert updated.json()["frequency"] == 15
    assert updated.json()["scriptPath"] == "tests/shop.spec.ts"
    deleted = await alice.delete(f"/v1/checks/{check['id']}")
    assert deleted.status_code == 204


async def test_a_multistep_check_is_created_on_its_typed_path(alice: Persona) -> None:
    created = await alice.post("/v1/checks/multistep", json=browser_check())
    assert created.status_code == 201, created.text
    assert created.json()["checkType"] == "MULTI_STEP"
    other = await alice.put(f"/v1/checks/browser/{created.json()['id']}", json={"frequency": 5})
    assert other.status_code == 404


async def test_a_browser_check_without_a_script_is_a_400_naming_script(alice: Persona) -> None:
    response = await alice.post("/v1/checks/browser", json={"name": "shop"})
    assert response.status_code == 400
    assert "script" in response.json()["message"]


async def test_a_null_script_in_an_update_keeps_the_browser_checks_script(alice: Persona) -> None:
    # Checkly's BrowserCheckUpdate declares `script` nullable; a check cannot be left without one.
    check = (await alice.post("/v1/checks/browser", json=browser_check())).json()
    updated = await alice.put(f"/v1/checks/{check['id']}", json={"script": None, "frequency": 5})
    assert updated.status_code == 200, updated.text
    assert updated.json()["script"] == SPEC % "Shop"
    assert updated.json()["frequency"] == 5


async def test_a_browser_check_has_no_seconds_frequency(alice: Persona) -> None:
    response = await alice.post(
        "/v1/checks/browser", json=browser_check(frequency=0, frequencyOffset=10)
    )
    assert response.status_code == 400
    assert "frequency" in response.json()["message"]


async def test_a_bad_playwright_config_is_a_400_naming_it(alice: Persona) -> None:
    response = await alice.post(
        "/v1/checks/browser", json=browser_check(playwrightConfig={"workers": 4})
    )
    assert response.status_code == 400
    assert "playwrightConfig" in response.json()["message"]


async def test_the_generic_route_takes_browser_and_multistep_checks(alice: Persona) -> None:
    for check_type in ("BROWSER", "MULTI_STEP"):
        response = await alice.post("/v1/checks", json=browser_check(checkType=check_type))
        assert response.status_code == 201, response.text
        assert response.json()["checkType"] == check_type


async def test_the_checks_list_filters_by_every_check_session_type(alice: Persona) -> None:
    await alice.post("/v1/checks/browser", json=browser_check())
    for check_type in ("API", "BROWSER", "MULTI_STEP", "TCP", "PLAYWRIGHT", "URL", "DNS"):
        response = await alice.get("/v1/checks", params={"checkType": check_type})
        assert response.status_code == 200, response.text
        assert len(response.json()) == (check_type == "BROWSER")
    bad = await alice.get("/v1/checks", params={"checkType": "FAX"})
    assert bad.status_code == 400


@pytest.mark.skipif(os.geteuid() != 0, reason="isolation needs root to switch uid")
async def test_the_agent_runs_a_browser_check_and_shows_the_failing_step(
    alice: Persona,
    shop: str,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("VANTAGE_BROWSER_RUNTIME", str(REPO / ".browser-runtime"))
    variables = [{"key": "BASE_URL", "value": shop}]
    created = await alice.post(
        "/v1/checks/browser",
        json={"name": "shop", "script": SPEC % "Closed", "environmentVariables": variables},
    )
    check_id = created.json()["id"]
    trig = await alice.post("/v2/check-sessions/trigger", json={"target": {"checkId": [check_id]}})
    session_id = trig.json()["sessions"][0]["checkSessionId"]
    for _ in range(4):  # a browser run may outlast one 30 s wait on this shared machine
        done = await alice.get(
            f"/v2/check-sessions/{session_id}/completion", params={"maxWaitSeconds": 30}
        )
        if done.status_code != 408:
            break
    assert done.status_code == 200, done.text
    result_id = done.json()["results"][0]["checkResultId"]
    result = (await alice.get(f"/v1/check-results/{check_id}/{result_id}")).json()
    assert result["hasFailures"] is True
    detail = result["browserCheckResult"]
    failed = [s["title"] for s in detail["steps"] if s["status"] == "failed" and s["depth"] == 0]
    assert failed == ["title"]
    assert detail["pages"][0]["url"] == shop + "/"
