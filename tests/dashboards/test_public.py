"""Public dashboards without login at `/dashboards/{customUrl}` and at their custom domain: the
checks their tags select, with Checkly's header, refresh, pagination, `hideTags`,
`useTagsAndOperator` and `customCSS`; private ones behind their viewer key."""

from __future__ import annotations

import re
from typing import Any

import httpx2

from tests.alerting.flow import run
from tests.dashboards.test_dashboards import GO_DASHBOARD
from tests.support.checks import api_check
from tests.support.harness import Persona
from tests.targets.http_target import HttpTarget


async def _check(alice: Persona, name: str, url: str, tags: list[str]) -> str:
    created = await alice.post("/v1/checks/api", json=api_check(url, name=name, tags=tags))
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


async def _dashboard(alice: Persona, **fields: Any) -> dict[str, Any]:
    body = GO_DASHBOARD | {"customDomain": None, "customUrl": "acme", **fields}
    created = await alice.post("/v1/dashboards", json=body)
    assert created.status_code == 201, created.text
    return dict(created.json())


async def _public(alice: Persona, path: str, **kwargs: Any) -> httpx2.Response:
    # no API key: what any reader gets
    return await alice.client.get(path, **kwargs)


def _names(html: str) -> list[str]:
    return re.findall(r'<span class="name">([^<]*)</span>', html)


async def test_a_dashboard_shows_the_checks_its_tags_select_without_login(
    alice: Persona, http_target: HttpTarget
) -> None:
    ok = f"{http_target.base_url}/status/200"
    await _check(alice, "Checkout API", ok, ["api", "prod"])
    await _check(alice, "Search API", ok, ["api"])
    await _check(alice, "Marketing site", ok, ["web"])
    board = await _dashboard(
        alice, tags=["api", "prod"], useTagsAndOperator=False, header="Acme", description="Live"
    )
    response = await _public(alice, "/dashboards/acme")
    assert response.status_code == 200, response.text
    html = response.text
    assert _names(html) == ["Checkout API", "Search API"]
    assert '<h1 class="title">Acme</h1>' in html and "Live" in html
    assert '<span class="tag">prod</span>' in html
    # nothing that names the account's objects
    for secret in (alice.account_id, board["dashboardId"]):
        assert secret not in html
    assert "default-src 'none'" in response.headers["content-security-policy"]
    assert response.headers["cache-control"] == "public, max-age=10"

    # AND: only the check with both tags; hideTags and showHeader=false take them off the page
    await alice.put(
        f"/v1/dashboards/{board['dashboardId']}",
        json=board | {"useTagsAndOperator": True, "hideTags": True, "showHeader": False},
    )
    html = (await _public(alice, "/dashboards/acme")).text
    assert _names(html) == ["Checkout API"]
    assert 'class="tag"' not in html and 'class="title"' not in html


async def test_a_dashboard_without_tags_shows_every_active_check_and_no_other_accounts(
    alice: Persona, charlie: Persona, http_target: HttpTarget
) -> None:
    ok = f"{http_target.base_url}/status/200"
    await _check(alice, "Alpha", ok, [])
    paused = await _check(alice, "Paused", ok, [])
    await alice.put(f"/v1/checks/{paused}", json={"activated": False})
    await _check(charlie, "Charlie's", ok, [])
    await _dashboard(alice, tags=[])
    html = (await _public(alice, "/dashboards/acme")).text
    assert _names(html) == ["Alpha"]


async def test_pages_move_on_by_pagination_rate_and_reload_by_refresh_rate(
    alice: Persona, http_target: HttpTarget
) -> None:
    ok = f"{http_target.base_url}/status/200"
    for name in ("A", "B", "C"):
        await _check(alice, name, ok, ["api"])
    board = await _dashboard(alice, checksPerPage=2, paginate=True, paginationRate=30)
    first = (await _public(alice, "/dashboards/acme")).text
    assert _names(first) == ["A", "B"]
    assert '<meta http-equiv="refresh" content="30;url=/dashboards/acme?page=2">' in first
    second = (await _public(alice, "/dashboards/acme", params={"page": "2"})).text
    assert _names(second) == ["C"]
    # after the last page, the first again
    assert 'content="30;url=/dashboards/acme?page=1"' in second

    await alice.put(
        f"/v1/dashboards/{board['dashboardId']}",
        json=board | {"paginate": False, "refreshRate": 300},
    )
    same = (await _public(alice, "/dashboards/acme", params={"page": "2"})).text
    assert _names(same) == ["C"]
    assert 'content="300;url=/dashboards/acme?page=2"' in same
    # a page number that is not one shows the first page, never an error
    assert (await _public(alice, "/dashboards/acme", params={"page": "x"})).status_code == 200


async def test_sort_by_status_puts_failing_checks_first_with_their_figures(
    alice: Persona, http_target: HttpTarget
) -> None:
    passing = await _check(alice, "A passing", f"{http_target.base_url}/status/200", ["api"])
    failing = await _check(alice, "Z failing", f"{http_target.base_url}/status/500", ["api"])
    await run(alice, passing)
    await run(alice, failing)
    await _dashboard(alice, sortByStatus=True, showP99=False)
    html = (await _public(alice, "/dashboards/acme")).text
    assert _names(html) == ["Z failing", "A passing"]
    assert "Some checks are failing" in html
    assert '<td class="availability">0 %</td>' in html
    assert '<td class="availability">100 %</td>' in html
    assert 'class="p95"' in html and 'class="p99"' not in html


async def test_custom_css_is_served_in_the_stylesheet_not_inline(alice: Persona) -> None:
    await _dashboard(alice, customCSS=".title { color: #c00 }")
    html = (await _public(alice, "/dashboards/acme")).text
    assert "<style" not in html and 'href="/dashboards/acme/style.css"' in html
    style = await _public(alice, "/dashboards/acme/style.css")
    assert style.headers["content-type"].startswith("text/css")
    assert style.text.rstrip().endswith(".title { color: #c00 }")


async def test_a_dashboard_is_served_at_its_custom_domain(alice: Persona) -> None:
    board = await _dashboard(alice, customUrl=None, customDomain="status.acme.example")
    response = await _public(alice, "/", headers={"Host": "status.acme.example"})
    assert response.status_code == 200
    assert 'href="/style.css"' in response.text
    # without a custom URL, the dashboard's id addresses it
    by_id = await _public(alice, f"/dashboards/{board['dashboardId']}")
    assert by_id.status_code == 200
    # the API is not served on that host
    api = await alice.get("/v1/dashboards", headers={"Host": "status.acme.example"})
    assert api.status_code == 200 and isinstance(api.json(), list)


async def test_open_incidents_show_when_enabled(alice: Persona) -> None:
    board = await _dashboard(alice, enableIncidents=True)
    for name, status in (("Slow checkout", "INVESTIGATING"), ("Old outage", "RESOLVED")):
        created = await alice.post(
            "/v1/incidents",
            json={
                "name": name,
                "dashboardId": board["id"],
                "impact": "MAJOR",
                "incidentUpdates": [{"status": status, "description": f"{name} <b>now</b>"}],
            },
        )
        assert created.status_code == 200, created.text  # Checkly's document says 200
    html = (await _public(alice, "/dashboards/acme")).text
    assert "Slow checkout" in html and "Old outage" not in html
    assert "Slow checkout &lt;b&gt;now&lt;/b&gt;" in html


async def test_an_unknown_dashboard_is_not_found(alice: Persona) -> None:
    assert (await _public(alice, "/dashboards/nobody")).status_code == 404


async def test_a_private_dashboard_asks_for_its_viewer_key(alice: Persona) -> None:
    board = await _dashboard(alice, isPrivate=True, header="Secret board")
    [key] = board["keys"]
    assert key["rawKey"] and key["maskedKey"].startswith(key["rawKey"][:4])
    assert key["maskedKey"] != key["rawKey"]
    # a round trip (Terraform sends the answer back) keeps the key
    again = await alice.put(f"/v1/dashboards/{board['dashboardId']}", json=board)
    assert again.json()["keys"] == board["keys"]

    locked = await _public(alice, "/dashboards/acme")
    assert locked.status_code == 401 and "Secret board" not in locked.text
    wrong = await alice.client.post("/dashboards/acme/login", data={"key": "guess"})
    assert wrong.status_code == 401 and "not this dashboard" in wrong.text
    right = await alice.client.post("/dashboards/acme/login", data={"key": key["rawKey"]})
    assert right.status_code == 303
    cookie = right.headers["set-cookie"]
    assert (
        key["rawKey"] not in cookie and "HttpOnly" in cookie and "Path=/dashboards/acme" in cookie
    )
    alice.client.cookies.clear()  # sent by hand below, as a browser would
    assert (await _public(alice, "/dashboards/acme")).status_code == 401
    opened = await _public(alice, "/dashboards/acme", headers={"Cookie": cookie.split(";")[0]})
    assert opened.status_code == 200 and "Secret board" in opened.text
    assert opened.headers["cache-control"] == "private, no-cache"

    # public again: no key, no form
    public = await alice.put(
        f"/v1/dashboards/{board['dashboardId']}", json=board | {"isPrivate": False}
    )
    assert public.json()["keys"] == []
    assert (await _public(alice, "/dashboards/acme")).status_code == 200


async def test_each_check_lists_its_last_runs_opened_by_expand_checks(
    alice: Persona, http_target: HttpTarget
) -> None:
    check = await _check(alice, "Checkout API", f"{http_target.base_url}/status/200", ["api"])
    await run(alice, check)
    board = await _dashboard(alice, tags=["api"])
    html = (await _public(alice, "/dashboards/acme")).text
    # Checkly's default: the checks collapsed, their runs one click away, no links
    assert "<details><summary>Last runs</summary>" in html
    assert html.count('<li class="run st-passing">') == 1 and "/runs/" not in html

    await alice.put(f"/v1/dashboards/{board['dashboardId']}", json=board | {"expandChecks": True})
    html = (await _public(alice, "/dashboards/acme")).text
    assert "<details open><summary>Last runs</summary>" in html


async def test_check_run_links_open_a_run_of_a_shown_check_and_nothing_else(
    alice: Persona, charlie: Persona, http_target: HttpTarget
) -> None:
    ok = f"{http_target.base_url}/status/200"
    shown = await _check(alice, "Checkout API", ok, ["api"])
    hidden = await _check(alice, "Internal job", ok, ["internal"])
    theirs = await _check(charlie, "Charlie's", ok, ["api"])
    for persona, check in ((alice, shown), (alice, hidden), (charlie, theirs)):
        await run(persona, check)
    board = await _dashboard(alice, tags=["api"], showCheckRunLinks=True)
    html = (await _public(alice, "/dashboards/acme")).text
    [link] = re.findall(r'href="(/dashboards/acme/runs/[^"]+)"', html)
    page = await _public(alice, link)
    assert page.status_code == 200 and "Checkout API" in page.text and "Passing" in page.text
    # the run's page says what the dashboard says, not what the run sent or got
    assert http_target.base_url not in page.text
    assert page.headers["cache-control"] == "public, max-age=10"

    hidden_run = (await alice.get(f"/v1/check-results/{hidden}")).json()[0]["id"]
    their_run = (await charlie.get(f"/v1/check-results/{theirs}")).json()[0]["id"]
    for other in (hidden_run, their_run, "not-a-run", "x" * 300):
        answer = await _public(alice, f"/dashboards/acme/runs/{other}")
        assert answer.status_code == 404 and "Checkout" not in answer.text, other
    # with the links off, no run pages either
    await alice.put(
        f"/v1/dashboards/{board['dashboardId']}", json=board | {"showCheckRunLinks": False}
    )
    assert (await _public(alice, link)).status_code == 404
