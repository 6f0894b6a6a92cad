"""`/v1/analytics` and the status filter of `/v1/checks`, against real runs."""

from __future__ import annotations

from tests.support.checks import api_check
from tests.support.harness import Persona
from tests.support.sessions import create, run
from tests.targets.http_target import HttpTarget


async def test_batch_analytics_give_each_checks_availability_and_times(
    alice: Persona, charlie: Persona, http_target: HttpTarget
) -> None:
    ok = await create(alice, api_check(f"{http_target.base_url}/ok", name="ok"))
    bad = await create(alice, api_check(f"{http_target.base_url}/fail", name="bad"))
    never = await create(alice, api_check(f"{http_target.base_url}/ok", name="never"))
    await run(alice, ok)
    await run(alice, bad)

    response = await alice.post(
        "/v1/analytics/checks",
        params={"quickRange": "last7Days"},
        json={"checkIds": [ok, bad, never]},
    )

    assert response.status_code == 200, response.text
    by_id = {item["checkId"]: item for item in response.json()}
    assert by_id[ok]["availability"] == 100 and by_id[ok]["checkType"] == "API"
    assert by_id[bad]["availability"] == 0
    assert by_id[ok]["responseTime_avg"] is not None
    assert by_id[never]["availability"] is None
    # Another account's checks are not there at all.
    theirs = await charlie.post("/v1/analytics/checks", json={"checkIds": [ok]})
    assert theirs.status_code == 200 and theirs.json() == []


async def test_batch_analytics_need_check_ids(alice: Persona) -> None:
    response = await alice.post("/v1/analytics/checks", json={"checkIds": []})
    assert response.status_code == 400
    assert response.json()["validation"]["keys"] == ["checkIds"]


async def test_one_checks_analytics_carry_the_requested_metrics(
    alice: Persona, charlie: Persona, http_target: HttpTarget
) -> None:
    ok = await create(alice, api_check(f"{http_target.base_url}/ok", name="ok"))
    await run(alice, ok)

    response = await alice.get(
        f"/v1/analytics/api-checks/{ok}",
        params={"metrics": "availability,responseTime_p95,LCP_avg", "quickRange": "last24Hours"},
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["checkId"] == ok and body["name"] == "ok"
    [data] = body["series"][0]["data"]
    assert set(data) == {"availability", "responseTime_p95"}
    assert data["availability"] == 100
    assert body["metadata"]["availability"]["unit"] == "percentage"
    assert (await alice.get(f"/v1/analytics/tcp-checks/{ok}")).status_code == 404
    assert (await charlie.get(f"/v1/analytics/api-checks/{ok}")).status_code == 404


async def test_the_checks_list_filters_by_status_and_url(
    alice: Persona, http_target: HttpTarget
) -> None:
    ok = await create(alice, api_check(f"{http_target.base_url}/ok", name="ok"))
    bad = await create(alice, api_check(f"{http_target.base_url}/fail", name="bad"))
    await create(alice, api_check(f"{http_target.base_url}/ok", name="never run"))
    await run(alice, ok)
    await run(alice, bad)

    async def ids(**params: str) -> list[str]:
        response = await alice.get("/v1/checks", params=params)
        assert response.status_code == 200, response.text
        return [c["id"] for c in response.json()]

    assert await ids(status="failing") == [bad]
    assert await ids(status="passing") == [ok]
    assert await ids(status="degraded") == []
    assert await ids(apiCheckUrlFilterPattern="/FAIL") == [bad]
    bad_status = await alice.get("/v1/checks", params={"status": "broken"})
    assert bad_status.status_code == 400


async def test_the_report_gives_each_checks_figures_filtered_by_tag_and_state(
    alice: Persona, charlie: Persona, http_target: HttpTarget
) -> None:
    ok = await create(alice, api_check(f"{http_target.base_url}/ok", name="ok", tags=["prod"]))
    bad = await create(alice, api_check(f"{http_target.base_url}/fail", name="bad", tags=["prod"]))
    off = await create(
        alice, api_check(f"{http_target.base_url}/ok", name="off", tags=["dev"], activated=False)
    )
    await run(alice, ok)
    await run(alice, bad)

    everything = await alice.get("/v1/reporting")
    prod = await alice.get(
        "/v1/reporting", params={"filterByTags": "prod", "quickRange": "last7Days"}
    )
    inactive = await alice.get("/v1/reporting", params={"deactivated": "true"})
    daily = await alice.get("/v1/reporting", params={"granularity": "day", "filterByTags": "prod"})

    assert everything.status_code == 200, everything.text
    by_id = {e["checkId"]: e for e in everything.json()}
    assert set(by_id) == {ok, bad, off}
    assert by_id[ok]["aggregate"]["successRatio"] == 100
    assert by_id[bad]["aggregate"]["successRatio"] == 0
    assert by_id[ok]["aggregate"]["p95"] >= by_id[ok]["aggregate"]["avg"] > 0
    # A check that did not run in the window has no aggregate.
    assert by_id[off] == {
        "name": "off",
        "checkId": off,
        "checkType": "API",
        "deactivated": True,
        "tags": ["dev"],
    }
    assert [e["checkId"] for e in prod.json()] == [ok, bad]
    assert [e["checkId"] for e in inactive.json()] == [off]
    ratios = {}
    for entry in daily.json():
        assert "aggregate" not in entry
        # The one run falls in one day's bucket; the empty day before it (if any) is left out.
        [bucket] = entry["aggregates"]
        assert bucket["from"] < bucket["to"]
        ratios[entry["checkId"]] = bucket["successRatio"]
    assert ratios == {ok: 100, bad: 0}
    assert (await charlie.get("/v1/reporting")).json() == []


async def test_a_bad_report_query_is_a_400_naming_the_parameter(alice: Persona) -> None:
    cases = {
        "quickRange": {"quickRange": "last24Hours"},
        "granularity": {"granularity": "hour"},
        "timezone": {"granularity": "day", "timezone": "+05:00"},
        "from": {"from": "2000", "to": "1000"},
        "deactivated": {"deactivated": "maybe"},
    }
    for key, params in cases.items():
        response = await alice.get("/v1/reporting", params=params)
        assert response.status_code == 400, (key, response.text)
        assert response.json()["validation"]["keys"] == [key], response.text
