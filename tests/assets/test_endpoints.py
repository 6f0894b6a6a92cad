"""A script run's screenshots and traces, sent inline by its agent, are stored as assets: the
result links to them, Checkly's manifest lists them (filtered by type and name), the account
downloads them, another account gets a 404, and they go with their check and with retention."""

from __future__ import annotations

import base64
import uuid
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from tests.agentapi.conftest import Agent, item
from tests.support.harness import BASE, Harness, Persona
from tests.testsessions.test_endpoints import post_run, run_body
from vantage.db.tables import check_result_assets, check_results
from vantage.retention.pruner import Pruner
from vantage.timeutil import utcnow

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
ZIP = b"PK\x03\x04" + b"\x01" * 64
SPEC = "const { test } = require('@playwright/test'); test('t', async () => {});"


def data_url(kind: str, data: bytes) -> str:
    return f"data:{kind};base64,{base64.b64encode(data).decode()}"


async def browser_run(alice: Persona, berlin: Agent) -> tuple[str, str]:
    """A browser check at berlin whose run the agent reports with a screenshot and a trace:
    (check id, result id)."""
    created = await alice.post(
        "/v1/checks/browser", json={"name": "shop", "script": SPEC, "locations": ["berlin"]}
    )
    assert created.status_code == 201, created.text
    check_id = created.json()["id"]
    trigger = await alice.post(
        "/v2/check-sessions/trigger", json={"target": {"checkId": [check_id]}}
    )
    assert trigger.status_code == 201, trigger.text
    [job] = await berlin.lease()
    detail: dict[str, Any] = {
        "errors": ["expect(locator).toHaveText failed"],
        "jobAssets": [data_url("image/png", PNG)],
        "playwrightTestTraces": [data_url("application/zip", ZIP)],
        "playwrightTestVideos": [],
    }
    [status] = await berlin.submit(
        item(
            job,
            checkType="BROWSER",
            detailKey="browserCheckResult",
            hasFailures=True,
            detail=detail,
        )
    )
    assert status["status"] == "accepted", status
    return check_id, str(status["resultId"])


async def test_the_result_links_to_its_assets_which_the_manifest_lists_and_serves(
    alice: Persona, berlin: Agent
) -> None:
    check_id, result_id = await browser_run(alice, berlin)
    path = f"/v1/check-results/{check_id}/{result_id}/assets"
    result = (await alice.get(f"/v1/check-results/{check_id}/{result_id}")).json()
    detail = result["browserCheckResult"]
    # Absolute, as Checkly's links and the manifest's are.
    assert detail["jobAssets"] == [f"{BASE}{path}/screenshot-1.png"]
    assert detail["playwrightTestTraces"] == [f"{BASE}{path}/trace-1.zip"]
    [listed] = (await alice.get(f"/v1/check-results/{check_id}")).json()
    assert listed["browserCheckResult"]["jobAssets"] == detail["jobAssets"]

    manifest = (await alice.get(path)).json()
    assert manifest["truncated"] is False
    [screenshot, trace] = manifest["assets"]
    assert screenshot["type"] == "screenshot" and screenshot["contentType"] == "image/png"
    assert screenshot["url"] == f"{BASE}{path}/screenshot-1.png"
    assert screenshot["source"] == {
        "type": "check-result",
        "checkId": check_id,
        "checkName": "shop",
        "checkType": "BROWSER",
        "resultId": result_id,
    }
    assert trace["type"] == "trace" and trace["name"] == "trace-1.zip"

    downloaded = await alice.get(detail["jobAssets"][0])
    assert downloaded.status_code == 200
    assert downloaded.content == PNG
    assert downloaded.headers["content-type"] == "image/png"
    assert downloaded.headers["x-content-type-options"] == "nosniff"
    assert "attachment" in downloaded.headers["content-disposition"]
    assert (await alice.get(f"{path}/trace-1.zip")).content == ZIP
    assert (await alice.get(f"{path}/video-1.webm")).status_code == 404


async def test_the_manifest_filters_by_type_and_name_and_refuses_an_unknown_type(
    alice: Persona, berlin: Agent
) -> None:
    check_id, result_id = await browser_run(alice, berlin)
    path = f"/v1/check-results/{check_id}/{result_id}/assets"

    async def names(**params: Any) -> list[str]:
        response = await alice.get(path, params=params)
        assert response.status_code == 200, response.text
        return [a["name"] for a in response.json()["assets"]]

    assert await names(type="trace") == ["trace-1.zip"]
    assert await names(type=["trace", "screenshot"]) == ["screenshot-1.png", "trace-1.zip"]
    assert await names(name="SCREEN*") == ["screenshot-1.png"]
    assert await names(name="*.webm") == []
    bad = await alice.get(path, params={"type": "fax"})
    assert bad.status_code == 400
    assert bad.json()["validation"]["keys"] == ["type"]


async def test_another_accounts_assets_are_not_found(
    alice: Persona, charlie: Persona, berlin: Agent
) -> None:
    check_id, result_id = await browser_run(alice, berlin)
    path = f"/v1/check-results/{check_id}/{result_id}/assets"
    assert (await charlie.get(path)).status_code == 404
    assert (await charlie.get(f"{path}/screenshot-1.png")).status_code == 404
    assert (await alice.get(f"/v1/check-results/{check_id}/{check_id}/assets")).status_code == 404


async def test_assets_go_with_their_check_and_with_retention(
    vantage: Harness, alice: Persona, berlin: Agent
) -> None:
    kept_check, _ = await browser_run(alice, berlin)
    old_check, old_result = await browser_run(alice, berlin)
    then = utcnow() - timedelta(days=vantage.runtime.settings.retention_days + 1)
    async with vantage.runtime.db.write() as conn:
        await conn.execute(
            check_results.update().where(check_results.c.id == old_result).values(created_at=then)
        )
        await conn.execute(
            check_result_assets.update()
            .where(check_result_assets.c.result_id == old_result)
            .values(created_at=then)
        )
    done = await Pruner(vantage.runtime).run_once()
    assert done is not None and done.results == 1 and done.assets == 2

    async def stored(check_id: str) -> int:
        async with vantage.runtime.db.read() as conn:
            count = await conn.scalar(
                sa.select(sa.func.count()).where(check_result_assets.c.check_id == check_id)
            )
        return int(count or 0)

    assert await stored(old_check) == 0
    assert await stored(kept_check) == 2
    assert (await alice.delete(f"/v1/checks/{kept_check}")).status_code == 204
    assert await stored(kept_check) == 0


async def test_a_checkly_test_runs_assets_are_listed_by_its_test_session_result(
    alice: Persona, charlie: Persona, berlin: Agent
) -> None:
    job = {"name": "shop", "checkType": "BROWSER", "logicalId": "shop", "script": SPEC}
    body = run_body(str(uuid.uuid4()), job, location={"type": "PUBLIC", "region": "berlin"})
    started = await post_run(alice, body)
    assert started.status_code == 202, started.text
    session_id = started.json()["testSessionId"]
    [result_id] = started.json()["testResultIds"].values()
    [leased] = await berlin.lease()
    detail = {"errors": ["boom"], "jobAssets": [data_url("image/png", PNG)]}
    failed = item(
        leased, checkType="BROWSER", detailKey="browserCheckResult", hasFailures=True, detail=detail
    )
    [status] = await berlin.submit(failed)
    assert status["status"] == "accepted", status

    path = f"/v1/test-sessions/{session_id}/results/{result_id}/assets"
    listed = await alice.get(path)
    assert listed.status_code == 200, listed.text
    [screenshot] = listed.json()["assets"]
    assert screenshot["source"]["type"] == "test-session-result"
    assert screenshot["source"]["testSessionId"] == session_id
    downloaded = await alice.get(screenshot["url"].removeprefix(BASE))
    assert downloaded.content == PNG
    assert (await charlie.get(path)).status_code == 404
    assert (await charlie.get(screenshot["url"].removeprefix(BASE))).status_code == 404


async def test_ids_and_names_that_cannot_be_an_asset_are_not_found(
    alice: Persona, berlin: Agent
) -> None:
    check_id, result_id = await browser_run(alice, berlin)
    for path in (
        f"/v1/check-results/not-a-uuid/{result_id}/assets",
        f"/v1/check-results/{check_id}/not-a-uuid/assets",
        f"/v1/check-results/{check_id}/{result_id}/assets/screenshot-1.png%00",
        f"/v1/check-results/{check_id}/{result_id}/assets/..%2F..%2Fetc",
    ):
        response = await alice.get(path)
        assert response.status_code == 404, (path, response.text)
