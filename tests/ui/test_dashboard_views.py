"""The dashboard's views: filters by state, type, tag and text, sortable columns and check groups,
all as query-string links and GET forms (so they work with JavaScript off)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.groups.test_endpoints import create_group
from tests.support import checks as payloads
from tests.support.harness import Harness, Persona
from tests.support.sessions import create
from tests.support.statuses import set_status
from tests.support.ui import logged_in
from tests.ui.test_dashboard import outcome
from vantage.rollups import repository as rollups_repo
from vantage.rollups.digest import rows_of
from vantage.timeutil import utcnow
from vantage.ui.dashboard import View

URL = "https://shop.example.test/health"


def names(data: dict[str, Any]) -> list[str]:
    return [c["name"] for c in data["checks"]]


async def seed(vantage: Harness, alice: Persona) -> dict[str, str]:
    ids = {
        "Cart": await create(alice, payloads.api_check(URL, name="Cart", tags=["shop", "eu"])),
        "blog": await create(
            alice, payloads.api_check("https://blog.example.test/", name="blog", tags=["web"])
        ),
        "Login": await create(alice, payloads.url_check(URL, name="Login"), kind="url"),
        "paused": await create(
            alice, payloads.api_check(URL, name="paused", activated=False, tags=["shop"])
        ),
    }
    await set_status(vantage, alice.account_id, ids["Cart"], has_failures=True)
    await set_status(vantage, alice.account_id, ids["blog"])
    await set_status(vantage, alice.account_id, ids["Login"], is_degraded=True)
    return ids


async def test_filters_narrow_the_rows_and_the_counters_count_under_the_other_filters(
    vantage: Harness, alice: Persona
) -> None:
    await seed(vantage, alice)
    client = await logged_in(vantage, alice, role="read-only")
    home = f"/accounts/{alice.account_id}.json"

    everything = (await client.get(home)).json()
    assert names(everything) == ["Cart", "Login", "blog", "paused"]  # worst first

    shop = (await client.get(home, params={"tag": "shop"})).json()
    assert names(shop) == ["Cart", "paused"]
    assert shop["counts"] == {
        "failing": 1,
        "degraded": 0,
        "pending": 0,
        "passing": 0,
        "paused": 1,
    }
    failing_shop = (await client.get(home, params={"tag": "shop", "state": "failing"})).json()
    assert names(failing_shop) == ["Cart"]
    assert failing_shop["counts"] == shop["counts"]

    assert names((await client.get(home, params={"type": "url"})).json()) == ["Login"]
    # text matches a name or an API check's URL, in any case
    by_url = (await client.get(home, params={"q": "BLOG.example"})).json()
    assert names(by_url) == ["blog"]
    assert names((await client.get(home, params={"q": "cart"})).json()) == ["Cart"]
    nothing = (await client.get(home, params={"q": "cart", "type": "TCP"})).json()
    assert nothing["checks"] == [] and nothing["total"] == 0


async def test_columns_sort_both_ways_and_the_page_links_keep_the_view(
    vantage: Harness, alice: Persona
) -> None:
    await seed(vantage, alice)
    client = await logged_in(vantage, alice, role="read-only")
    home = f"/accounts/{alice.account_id}"
    by_name = (await client.get(home + ".json", params={"sort": "name"})).json()
    assert names(by_name) == ["blog", "Cart", "Login", "paused"]
    backwards = (await client.get(home + ".json", params={"sort": "name", "dir": "desc"})).json()
    assert names(backwards) == ["paused", "Login", "Cart", "blog"]
    worst_last = (await client.get(home + ".json", params={"dir": "desc"})).json()
    assert names(worst_last)[-1] == "Cart"

    html = (await client.get(home, params={"sort": "name", "tag": "shop"})).text
    # the Name header of a name-sorted page reverses the order and keeps the filter
    assert 'aria-sort="ascending"' in html
    assert 'href="?tag=shop&amp;sort=name&amp;dir=desc"' in html
    # a tag in a row is a link that filters by it
    assert 'href="?tag=eu&amp;sort=name"' in html
    assert '<form class="filters" method="get"' in html


async def test_grouped_checks_come_in_one_collapsible_section_per_group(
    vantage: Harness, alice: Persona
) -> None:
    web = await create_group(alice, name="Web")
    api = await create_group(alice, name="API")
    await create(alice, payloads.api_check(URL, name="home", groupId=web["id"]))
    bad = await create(alice, payloads.api_check(URL, name="orders", groupId=api["id"]))
    await create(alice, payloads.api_check(URL, name="users", groupId=api["id"]))
    await create(alice, payloads.api_check(URL, name="loose"))
    await set_status(vantage, alice.account_id, bad, has_failures=True)
    client = await logged_in(vantage, alice, role="read-only")
    home = f"/accounts/{alice.account_id}"

    data = (await client.get(home + ".json", params={"group": "1"})).json()
    sections = [
        (s["group"]["name"] if s["group"] else None, [c["name"] for c in s["checks"]])
        for s in data["sections"]
    ]
    assert sections == [("API", ["orders", "users"]), ("Web", ["home"]), (None, ["loose"])]
    api_section = data["sections"][0]["group"]
    assert api_section["total"] == 2 and api_section["counts"]["failing"] == 1

    html = (await client.get(home, params={"group": "1"})).text
    assert html.count('<details class="group" open') == 3
    assert "<b>API</b> · 2 checks" in html

    # without grouping, one section holds the page worst first
    flat = (await client.get(home + ".json")).json()
    assert len(flat["sections"]) == 1 and names(flat)[0] == "orders"


def test_unknown_view_parameters_fall_back_to_the_defaults() -> None:
    view = View.of({"state": "bogus", "type": "nope", "sort": "x", "dir": "up", "page": "-3"})
    assert view == View()
    assert View.of({"type": "dns", "page": "2", "group": "1"}) == View(
        check_type="DNS", page=2, grouped=True
    )
    assert View(sort="name", descending=True).query() == {
        "state": None,
        "type": None,
        "tag": None,
        "groupId": None,
        "q": "",
        "sort": "name",
        "dir": "desc",
        "group": None,
    }


async def test_availability_and_p95_sort_by_the_last_24_hours_with_checks_without_runs_last(
    vantage: Harness, alice: Persona
) -> None:
    flaky = await create(alice, payloads.api_check(URL, name="flaky"))
    slow = await create(alice, payloads.api_check(URL, name="slow"))
    await create(alice, payloads.api_check(URL, name="idle"))
    now = utcnow()
    history = [
        outcome(flaky, alice.account_id, now, response_time=100.0),
        outcome(flaky, alice.account_id, now, response_time=100.0, has_failures=True),
        outcome(slow, alice.account_id, now - timedelta(hours=3), response_time=900.0),
        # outside the 24 hours: never counted
        outcome(slow, alice.account_id, now - timedelta(days=3), has_failures=True),
    ]
    async with vantage.runtime.db.write() as conn:
        await rollups_repo.add(conn, rows_of(history))
    client = await logged_in(vantage, alice, role="read-only")
    home = f"/accounts/{alice.account_id}"

    async def order(**params: str) -> list[str]:
        return names((await client.get(home + ".json", params=params)).json())

    assert await order(sort="availability") == ["flaky", "slow", "idle"]
    assert await order(sort="availability", dir="desc") == ["slow", "flaky", "idle"]
    assert await order(sort="p95") == ["flaky", "slow", "idle"]
    assert await order(sort="p95", dir="desc") == ["slow", "flaky", "idle"]
    assert await order(sort="p95", q="l") == ["flaky", "slow", "idle"]
    assert await order(sort="p95", q="slow") == ["slow"]
    ranked = (await client.get(home + ".json", params={"sort": "availability"})).json()
    assert [c["availability24h"] for c in ranked["checks"]] == [50.0, 100.0, None]

    html = (await client.get(home, params={"sort": "p95"})).text
    assert 'href="?sort=p95&amp;dir=desc"' in html
    assert '<option value="availability">Availability, 24 h</option>' in html


async def test_the_group_and_tag_dropdowns_list_the_accounts_choices_and_filter(
    vantage: Harness, alice: Persona, charlie: Persona
) -> None:
    web = await create_group(alice, name="Web")
    await create_group(alice, name="API")
    await create(alice, payloads.api_check(URL, name="home", groupId=web["id"], tags=["web"]))
    await create(alice, payloads.api_check(URL, name="loose", tags=["Shop", "eu"]))
    await create(charlie, payloads.api_check(URL, name="theirs", tags=["secret"]))
    client = await logged_in(vantage, alice, role="read-only")
    home = f"/accounts/{alice.account_id}"

    data = (await client.get(home + ".json")).json()
    assert data["options"]["tags"] == ["eu", "Shop", "web"]
    assert [g["name"] for g in data["options"]["groups"]] == ["API", "Web"]
    in_web = (await client.get(home + ".json", params={"groupId": str(web["id"])})).json()
    assert names(in_web) == ["home"] and in_web["total"] == 1

    html = (await client.get(home, params={"groupId": str(web["id"]), "tag": "web"})).text
    assert '<select id="groupId" name="groupId">' in html
    assert f'<option value="{web["id"]}" selected>Web</option>' in html
    assert '<option value="web" selected>web</option>' in html
    assert "secret" not in html
    # a tag in the address that no check has still shows as chosen
    unknown = (await client.get(home, params={"tag": "gone"})).text
    assert '<option value="gone" selected>gone</option>' in unknown
