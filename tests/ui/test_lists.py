"""The account-wide pages: check sessions newest first, and alerting (channels, events, log)."""

from __future__ import annotations

from tests.alerting.flow import channel
from tests.alerting.flow import check as alerting_check
from tests.support import checks as payloads
from tests.support.harness import BASE, Harness, Persona
from tests.support.sessions import create, run
from tests.support.ui import logged_in
from tests.targets.http_target import HttpTarget
from vantage.ui import lists


async def test_the_sessions_list_shows_the_accounts_sessions_newest_first_in_keyset_pages(
    vantage: Harness, alice: Persona, charlie: Persona, http_target: HttpTarget
) -> None:
    check_id = await create(alice, payloads.api_check(f"{http_target.base_url}/ok"))
    first = (await run(alice, check_id))["checkSessionId"]
    second_session = await run(alice, check_id)
    second = second_session["checkSessionId"]
    await run(charlie, await create(charlie, payloads.api_check(f"{http_target.base_url}/ok")))
    client = await logged_in(vantage, alice, role="read-only")
    listing = f"/accounts/{alice.account_id}/check-sessions"
    data = (await client.get(listing + ".json")).json()
    assert [s["id"] for s in data["sessions"]] == [second, first]
    assert data["sessions"][0]["status"] == "PASSED" and data["next"] is None
    link = second_session["checkSessionLink"].removeprefix(BASE)
    assert data["sessions"][0]["link"] == link
    page = await client.get(listing)
    assert page.status_code == 200 and f'href="{link}"' in page.text
    old_size = lists.PAGE_SIZE
    lists.PAGE_SIZE = 1
    try:
        one = (await client.get(listing + ".json")).json()
        two = (await client.get(listing + ".json", params={"after": one["next"]})).json()
    finally:
        lists.PAGE_SIZE = old_size
    assert [s["id"] for s in one["sessions"] + two["sessions"]] == [second, first]
    nobody = (await client.get(listing + ".json", params={"after": "not a cursor"})).json()
    assert len(nobody["sessions"]) == 2  # a bad cursor reads as the first page, never a 500


async def test_the_alerts_page_lists_channels_without_secrets_and_the_alerts_they_raised(
    vantage: Harness, alice: Persona, charlie: Persona, http_target: HttpTarget
) -> None:
    secret = "whsec-0123456789abcdef"
    hook = await channel(
        alice, "WEBHOOK", {"url": f"{http_target.base_url}/ok", "webhookSecret": secret}
    )
    await channel(charlie, "EMAIL", {"address": "charlie@example.com"})
    check_id = await alerting_check(alice, http_target, [hook], name="failing one")
    await run(alice, check_id)
    client = await logged_in(vantage, alice, role="read-only")
    data = (await client.get(f"/accounts/{alice.account_id}/alerts.json")).json()
    assert [(c["id"], c["type"], c["subscriptions"]) for c in data["channels"]] == [
        (hook, "WEBHOOK", 1)
    ]
    assert [a["checkId"] for a in data["alerts"]] == [check_id]
    assert data["alerts"][0]["alertType"] == "ALERT_FAILURE"
    assert [(n["alertChannelId"], n["checkName"]) for n in data["notifications"]] == [
        (hook, "failing one")
    ]
    page = await client.get(f"/accounts/{alice.account_id}/alerts")
    assert page.status_code == 200 and "failing one" in page.text
    assert secret not in page.text and secret not in str(data)
    assert "charlie@example.com" not in page.text
