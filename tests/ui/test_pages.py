"""The pages and their `.json` twins, over checks that really ran."""

from __future__ import annotations

import asyncio
import socket

from tests.support import checks as payloads
from tests.support.harness import BASE, Harness, Persona
from tests.support.sessions import create, run
from tests.support.ui import ORIGIN, hidden, logged_in
from tests.targets.http_target import HttpTarget
from tests.targets.tcp_target import tcp_target


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


async def test_every_link_the_api_returns_opens_as_a_page_and_as_json(
    vantage: Harness, alice: Persona, http_target: HttpTarget
) -> None:
    check_id = await create(alice, payloads.api_check(f"{http_target.base_url}/ok"))
    session = await run(alice, check_id)
    client = await logged_in(vantage, alice, role="read-only")
    link = session["checkSessionLink"].removeprefix(BASE)
    page = await client.get(link)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    twin = (await client.get(link + ".json")).json()["session"]
    assert twin["status"] == "PASSED" and twin["ended"] is True
    assert [row["location"] for row in twin["locations"]] == session["runLocations"]
    for result in session["results"]:
        result_link = result["checkResultLink"].removeprefix(BASE)
        assert f'href="{result_link}"' in page.text
        opened = await client.get(result_link)
        assert opened.status_code == 200
        assert "Assertions" in opened.text
        body = (await client.get(result_link + ".json")).json()["result"]
        assert body["id"] == result["checkResultId"] and body["state"] == "passed"


async def test_a_failed_result_shows_its_error_before_anything_else(
    vantage: Harness, alice: Persona
) -> None:
    url = f"http://127.0.0.1:{closed_port()}/"
    check_id = await create(alice, payloads.api_check(url, name="refused"))
    session = await run(alice, check_id)
    client = await logged_in(vantage, alice)
    link = session["results"][0]["checkResultLink"].removeprefix(BASE)
    page = (await client.get(link)).text
    data = (await client.get(link + ".json")).json()["result"]
    assert data["state"] == "failed" and data["error"]
    assert page.index('class="errorbox"') < page.index("Assertions")
    assert data["error"].split(":")[0] in page


async def test_the_dashboard_puts_failing_checks_first_and_filters_by_state_and_name(
    vantage: Harness, alice: Persona, http_target: HttpTarget
) -> None:
    good = await create(alice, payloads.api_check(f"{http_target.base_url}/ok", name="a good"))
    bad = await create(
        alice, payloads.api_check(f"{http_target.base_url}/status/500", name="z bad")
    )
    await create(
        alice, payloads.api_check(f"{http_target.base_url}/ok", name="paused", activated=False)
    )
    await run(alice, good)
    await run(alice, bad)
    client = await logged_in(vantage, alice)
    home = f"/accounts/{alice.account_id}"
    data = (await client.get(home + ".json")).json()
    assert data["counts"] == {
        "failing": 1,
        "degraded": 0,
        "pending": 0,
        "passing": 1,
        "paused": 1,
    }
    assert [c["name"] for c in data["checks"]] == ["z bad", "a good", "paused"]
    assert data["checks"][0]["availability24h"] == 0.0
    assert data["checks"][1]["availability24h"] == 100.0
    failing = (await client.get(home + ".json", params={"state": "failing"})).json()
    assert [c["id"] for c in failing["checks"]] == [bad]
    found = (await client.get(home + ".json", params={"q": "GOOD"})).json()
    assert [c["id"] for c in found["checks"]] == [good]
    html = (await client.get(home, params={"state": "failing"})).text
    assert "z bad" in html and "a good" not in html


async def test_the_check_overview_sums_its_rollups_for_the_range(
    vantage: Harness, alice: Persona, http_target: HttpTarget
) -> None:
    check_id = await create(alice, payloads.api_check(f"{http_target.base_url}/ok"))
    for _ in range(2):
        await run(alice, check_id)
    client = await logged_in(vantage, alice)
    overview = f"/accounts/{alice.account_id}/checks/{check_id}"
    for preset, bars in (("1h", 60), ("3h", 90), ("24h", 24), ("7d", 168), ("30d", 30)):
        data = (await client.get(overview + ".json", params={"range": preset})).json()
        assert data["range"] == preset and len(data["buckets"]) == bars
        assert data["summary"]["finals"] == 2 and data["summary"]["availability"] == 100.0
        assert sum(b["finals"] for b in data["buckets"]) == 2
        assert [loc["location"] for loc in data["locations"]] == ["local"]
    page = (await client.get(overview)).text
    assert page.count('class="passed"') >= 1 and "Recent runs" in page


async def test_the_results_list_filters_by_type_and_pages_by_cursor(
    vantage: Harness, alice: Persona, http_target: HttpTarget
) -> None:
    check_id = await create(alice, payloads.api_check(f"{http_target.base_url}/ok"))
    for _ in range(3):
        await run(alice, check_id)
    client = await logged_in(vantage, alice)
    listing = f"/accounts/{alice.account_id}/checks/{check_id}/results.json"
    everything = (await client.get(listing, params={"type": "ALL"})).json()
    assert len(everything["results"]) == 3 and everything["next"] is None
    attempts = (await client.get(listing, params={"type": "ATTEMPT"})).json()
    assert attempts["results"] == []
    from vantage.ui import queries

    old_size = queries.PAGE_SIZE
    queries.PAGE_SIZE = 2
    try:
        first = (await client.get(listing)).json()
        second = (await client.get(listing, params={"after": first["next"]})).json()
    finally:
        queries.PAGE_SIZE = old_size
    ids = [r["id"] for r in first["results"] + second["results"]]
    assert ids == [r["id"] for r in everything["results"]]


async def test_the_locations_page_lists_the_embedded_agents_location(
    vantage: Harness, alice: Persona
) -> None:
    client = await logged_in(vantage, alice)
    data = (await client.get(f"/accounts/{alice.account_id}/locations.json")).json()
    assert "local" in [loc["slug"] for loc in data["locations"]]


async def test_a_missing_page_is_a_404_page_and_a_missing_twin_a_404_body(
    vantage: Harness, alice: Persona
) -> None:
    client = await logged_in(vantage, alice)
    base = f"/accounts/{alice.account_id}/checks"
    for path in (f"{base}/not-a-uuid", f"{base}/00000000-0000-0000-0000-000000000000"):
        page = await client.get(path)
        assert page.status_code == 404 and "Not found" in page.text
        twin = await client.get(path + ".json")
        assert twin.status_code == 404 and twin.json()["statusCode"] == 404


async def test_a_tcp_result_opens_with_its_own_details_and_error(
    vantage: Harness, alice: Persona
) -> None:
    async with tcp_target("echo") as target:
        check = {
            "name": "redis port",
            "request": {"hostname": "127.0.0.1", "port": target.port, "data": "PING\r\n"},
        }
        session = await run(alice, await create(alice, check, kind="tcp"))
    client = await logged_in(vantage, alice)
    link = session["results"][0]["checkResultLink"].removeprefix(BASE)
    page = await client.get(link)
    assert page.status_code == 200
    assert "Details" in page.text and "PING" in page.text
    data = (await client.get(link + ".json")).json()["result"]
    assert data["detailKey"] == "tcpCheckResult"


async def test_a_writer_cancels_a_running_session_from_its_page(
    vantage: Harness, alice: Persona, http_target: HttpTarget
) -> None:
    check_id = await create(alice, payloads.api_check(f"{http_target.base_url}/slow?ms=6000"))
    # Logged in first: an argon2 login on a loaded machine took longer than the run it cancels.
    writer = await logged_in(vantage, alice)
    started = await alice.post(
        "/v2/check-sessions/trigger", json={"target": {"checkId": [check_id]}}
    )
    link = started.json()["sessions"][0]["checkSessionLink"].removeprefix(BASE)
    page = await writer.get(link)
    assert "Cancel session" in page.text
    done = await writer.post(
        link + "/cancel", data={"csrf": hidden(page.text, "csrf")}, headers=ORIGIN
    )
    assert done.status_code == 303 and done.headers["location"] == link
    session = (await writer.get(link + ".json")).json()["session"]
    assert session["status"] == "CANCELLED" and session["ended"] is True
    assert "Cancel session" not in (await writer.get(link)).text


async def test_a_writer_pauses_and_resumes_a_check_and_the_dashboard_follows(
    vantage: Harness, alice: Persona, http_target: HttpTarget
) -> None:
    check_id = await create(alice, payloads.api_check(f"{http_target.base_url}/ok"))
    overview = f"/accounts/{alice.account_id}/checks/{check_id}"
    writer = await logged_in(vantage, alice)
    page = await writer.get(overview)
    csrf = hidden(page.text, "csrf")
    paused = await writer.post(f"{overview}/pause", data={"csrf": csrf}, headers=ORIGIN)
    assert paused.status_code == 303
    assert (await alice.get(f"/v1/checks/{check_id}")).json()["activated"] is False
    home = (await writer.get(f"/accounts/{alice.account_id}.json")).json()
    assert home["counts"]["paused"] == 1
    assert "Resume" in (await writer.get(overview)).text
    await writer.post(f"{overview}/resume", data={"csrf": csrf}, headers=ORIGIN)
    assert (await alice.get(f"/v1/checks/{check_id}")).json()["activated"] is True
    reader = await logged_in(vantage, alice, role="read-only")
    refused = await reader.post(
        f"{overview}/pause",
        data={"csrf": hidden((await reader.get(overview)).text, "csrf")},
        headers=ORIGIN,
    )
    assert refused.status_code == 403


async def test_the_check_overview_draws_the_average_timing_phases_of_its_http_runs(
    vantage: Harness, alice: Persona, http_target: HttpTarget
) -> None:
    check_id = await create(alice, payloads.api_check(f"{http_target.base_url}/ok"))
    session = await run(alice, check_id)
    client = await logged_in(vantage, alice)
    overview = f"/accounts/{alice.account_id}/checks/{check_id}"
    data = (await client.get(overview + ".json", params={"range": "1h"})).json()
    phases = data["summary"]["phases"]
    assert set(phases) == {"wait", "dns", "tcp", "tls", "firstByte", "download"}
    result_link = session["results"][0]["checkResultLink"].removeprefix(BASE)
    result = (await client.get(result_link + ".json")).json()["result"]
    measured = result["detail"]["response"]["timingPhases"]
    assert phases["firstByte"] == measured["firstByte"]  # one run: its average is itself
    assert [b for b in data["buckets"] if b["phases"]] != []
    page = (await client.get(overview, params={"range": "1h"})).text
    assert 'id="phase-chart"' in page and 'class="ph-firstByte"' in page


async def test_the_results_list_filters_to_failures_and_to_a_location(
    vantage: Harness, alice: Persona, http_target: HttpTarget
) -> None:
    check_id = await create(alice, payloads.api_check(f"{http_target.base_url}/ok"))
    passed = await run(alice, check_id)
    changed = await alice.put(
        f"/v1/checks/{check_id}", json={"request": {"url": f"{http_target.base_url}/status/500"}}
    )
    assert changed.status_code == 200, changed.text
    failed = await run(alice, check_id)
    client = await logged_in(vantage, alice)
    listing = f"/accounts/{alice.account_id}/checks/{check_id}/results.json"
    failures = (await client.get(listing, params={"failures": "1"})).json()["results"]
    assert [r["id"] for r in failures] == [failed["results"][0]["checkResultId"]]
    local = (await client.get(listing, params={"location": "local"})).json()["results"]
    assert {r["id"] for r in local} == {
        passed["results"][0]["checkResultId"],
        failed["results"][0]["checkResultId"],
    }
    assert (await client.get(listing, params={"location": "elsewhere"})).json()["results"] == []


async def test_the_locations_page_shows_a_private_locations_waiting_runs(
    vantage: Harness, alice: Persona
) -> None:
    created = await alice.post(
        "/v1/private-locations", json={"name": "Office", "slugName": "alice-office"}
    )
    assert created.status_code == 201, created.text
    check_id = await create(
        alice, payloads.api_check("http://127.0.0.1:9/", locations=["alice-office"])
    )
    triggered = await alice.post(
        "/v2/check-sessions/trigger", json={"target": {"checkId": [check_id]}}
    )
    assert triggered.status_code == 201, triggered.text
    client = await logged_in(vantage, alice, role="read-only")
    data = (await client.get(f"/accounts/{alice.account_id}/locations.json")).json()
    office = next(loc for loc in data["locations"] if loc["slug"] == "alice-office")
    assert office["private"] is True and office["agents"] == []
    assert office["queue"]["waiting"] == 1 and office["queue"]["running"] == 0
    # The embedded agent's first heartbeat is written once it has started, not before the
    # server answers: on a loaded machine the first read can come earlier.
    for _ in range(100):
        local = next(loc for loc in data["locations"] if loc["slug"] == "local")
        if local["agents"]:
            break
        await asyncio.sleep(0.1)
        data = (await client.get(f"/accounts/{alice.account_id}/locations.json")).json()
    assert local["agents"] and local["agents"][0]["alive"] is True
    page = (await client.get(f"/accounts/{alice.account_id}/locations")).text
    assert "1 waiting" in page


async def test_the_overview_shows_a_custom_range_shifts_it_and_draws_a_line_per_location(
    vantage: Harness, alice: Persona, http_target: HttpTarget
) -> None:
    check_id = await create(alice, payloads.api_check(f"{http_target.base_url}/ok"))
    await run(alice, check_id)
    client = await logged_in(vantage, alice)
    overview = f"/accounts/{alice.account_id}/checks/{check_id}"
    day = (await client.get(overview + ".json", params={"range": "24h"})).json()
    assert day["later"] is None  # nothing after now
    earlier = (await client.get(overview + ".json", params=day["earlier"])).json()
    assert earlier["range"] == "custom"
    assert (earlier["from"], earlier["to"]) == (day["earlier"]["from"], day["earlier"]["to"])
    assert earlier["summary"]["finals"] == 0 and earlier["later"]["to"] == day["to"]
    assert [s["location"] for s in day["locationSeries"]] == ["local"]
    assert sum(v is not None for v in day["locationSeries"][0]["p95"]) == 1

    page = (await client.get(overview, params={"range": "3h"})).text
    assert '<form class="custom-range" method="get"' in page
    assert 'rel="prev"' in page and 'rel="next"' not in page
    assert "Response time per location" in page and 'class="line-0"' in page

    bad = await client.get(overview + ".json", params={"from": "last tuesday"})
    assert bad.status_code == 400
    assert bad.json()["message"].startswith('"from" must be a date and time')
    bad_page = await client.get(overview, params={"from": "2026-11-27T10:00", "to": "2026-11-26"})
    assert bad_page.status_code == 400
    assert bad_page.headers["content-type"].startswith("text/html")
    assert "&#34;to&#34; must be after &#34;from&#34;" in bad_page.text
