"""The check overview's recent-runs filters (status, location, retry): links and a GET form that
work without JavaScript, and a bad value is a 400 naming its field."""

from __future__ import annotations

import pytest

from tests.support import checks as payloads
from tests.support.harness import Harness, Persona
from tests.support.sessions import create, run
from tests.support.ui import logged_in
from tests.targets.http_target import HttpTarget
from vantage.errors import BadRequest
from vantage.ui.run_filters import RunFilter, requested

RETRY_ONCE = {"type": "FIXED", "baseBackoffSeconds": 0, "maxRetries": 1, "sameRegion": True}


async def test_recent_runs_filter_by_status_location_and_retry(
    vantage: Harness, alice: Persona, http_target: HttpTarget
) -> None:
    check_id = await create(alice, payloads.api_check(f"{http_target.base_url}/ok"))
    passed = await run(alice, check_id)
    broken = {
        "request": {"url": f"{http_target.base_url}/status/500"},
        "retryStrategy": RETRY_ONCE,
    }
    changed = await alice.put(f"/v1/checks/{check_id}", json=broken)
    assert changed.status_code == 200, changed.text
    await run(alice, check_id)
    client = await logged_in(vantage, alice, role="read-only")
    overview = f"/accounts/{alice.account_id}/checks/{check_id}.json"

    def ids(data: dict[str, object]) -> list[tuple[str, str]]:
        runs = data["recentRuns"]
        assert isinstance(runs, list)
        return sorted((r["resultType"], r["state"]) for r in runs)

    everything = (await client.get(overview)).json()
    assert ids(everything) == [("ATTEMPT", "failed"), ("FINAL", "failed"), ("FINAL", "passed")]
    assert not everything["runFilterActive"] and everything["runLocations"] == ["local"]

    failed = (await client.get(overview, params={"status": "failed"})).json()
    assert ids(failed) == [("ATTEMPT", "failed"), ("FINAL", "failed")]
    finals = (await client.get(overview, params={"status": "failed", "retry": "final"})).json()
    assert ids(finals) == [("FINAL", "failed")]
    attempts = (await client.get(overview, params={"retry": "attempt"})).json()
    assert ids(attempts) == [("ATTEMPT", "failed")]
    ok = (await client.get(overview, params={"status": "passed"})).json()
    assert [r["id"] for r in ok["recentRuns"]] == [passed["results"][0]["checkResultId"]]
    assert (await client.get(overview, params={"status": "degraded"})).json()["recentRuns"] == []

    local = (await client.get(overview, params={"location": "local"})).json()
    assert len(local["recentRuns"]) == 3 and local["summary"]["finals"] == 2
    elsewhere = (await client.get(overview, params={"location": "eu-west-1"})).json()
    assert elsewhere["recentRuns"] == [] and elsewhere["summary"]["finals"] == 0
    # the range links keep the filter
    assert failed["earlier"]["status"] == "failed"

    page = (await client.get(overview.removesuffix(".json"), params={"status": "failed"})).text
    assert '<select id="run-status" name="status">' in page
    assert '<option value="failed" selected>' in page
    assert 'href="?status=failed&amp;range=24h"' in page


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"status": "broken"}, "status"),
        ({"retry": "sometimes"}, "retry"),
        ({"location": "Not a slug!"}, "location"),
    ],
)
async def test_a_bad_recent_runs_filter_is_a_400_naming_the_field(
    vantage: Harness, alice: Persona, params: dict[str, str], field: str
) -> None:
    check_id = await create(alice, payloads.api_check("https://shop.example.test/"))
    client = await logged_in(vantage, alice, role="read-only")
    overview = f"/accounts/{alice.account_id}/checks/{check_id}"
    bad = await client.get(overview + ".json", params=params)
    assert bad.status_code == 400
    assert bad.json()["validation"] == {"source": "query", "keys": [field]}
    assert bad.json()["message"].startswith(f'"{field}" must be')
    bad_page = await client.get(overview, params=params)
    assert bad_page.status_code == 400 and "Bad filter" in bad_page.text


def test_empty_filters_are_the_defaults_and_values_ignore_case() -> None:
    assert requested({}) == RunFilter()
    assert requested({"status": "", "retry": "", "location": ""}) == RunFilter()
    assert requested({"status": "FAILED", "retry": "Final"}) == RunFilter("failed", None, "final")
    with pytest.raises(BadRequest):
        requested({"status": "unknown"})
