"""The dashboard's views: filters by state, type, tag and text, sortable columns and check groups,
all as query-string links and GET forms (so they work with JavaScript off)."""

from __future__ import annotations

from typing import Any

from tests.groups.test_endpoints import create_group
from tests.support import checks as payloads
from tests.support.harness import Harness, Persona
from tests.support.sessions import create
from tests.support.statuses import set_status
from tests.support.ui import logged_in
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
        "q": "",
        "sort": "name",
        "dir": "desc",
        "group": None,
    }
